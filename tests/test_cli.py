"""The `stx` command line: help, version, `stx mix`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import SMOKE, run_stx

from stxlib import __version__
from stxlib.cli import build_parser
from stxlib.io import read_jsonl


def test_subcommands_are_registered() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert {"run", "mix", "tiny-model"} <= commands


def test_mix_writes_the_data_stage(tmp_path: Path) -> None:
    result = run_stx("mix", str(SMOKE), "--run-dir", str(tmp_path), "--set", "data.samples_per_source=10")
    assert result.returncode == 0, result.stderr
    assert "wrote 30 train / 24 validation rows" in result.stdout
    assert len(read_jsonl(tmp_path / "data" / "train.jsonl")) == 30


def test_mix_offline_hub_error_is_clear(tmp_path: Path) -> None:
    result = run_stx(
        "mix",
        str(SMOKE),
        "--run-dir",
        str(tmp_path),
        "--set",
        "data.sources.xlsum.train_files=[]",
        "--set",
        "data.sources.xlsum.validation_files=[]",
    )
    assert result.returncode == 1
    assert "source 'xlsum'" in result.stderr and "data.sources.xlsum.train_files" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_runs_the_same_command_line(tmp_path: Path) -> None:
    """`python -m stxlib.cli` works where the console script is not on PATH, exit status included."""
    version = subprocess.run(
        [sys.executable, "-m", "stxlib.cli", "--version"], capture_output=True, text=True, timeout=120
    )
    assert version.returncode == 0 and version.stdout.strip() == f"stx {__version__}", version.stderr
    result = subprocess.run(
        [sys.executable, "-m", "stxlib.cli", "mix", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "missing.yaml" in result.stderr
