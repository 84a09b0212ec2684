"""The `stx` command line: help, version, `stx mix`."""

from __future__ import annotations

from pathlib import Path

from helpers import SMOKE, run_stx

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
