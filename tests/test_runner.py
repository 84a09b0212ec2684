"""`stx run` over papermill: execution, HTML, manifest, skip, --force, params change, failure, locking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from helpers import REPO, SMOKE, run_stx

from stxlib.runner import run_pipeline
from stxlib.runner.lock import RunLock

pytestmark = pytest.mark.slow


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def test_data_stage_runs_then_skips_then_forces(tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = run_stx("run", str(SMOKE), "--stages", "data", "--run-dir", str(run))
    assert first.returncode == 0, first.stderr
    assert "[data] running 01_data_mixing.ipynb (first run)" in first.stdout
    for name in (
        "data/train.jsonl",
        "data/validation.jsonl",
        "data/mix_stats.json",
        "plots/data_mix.png",
        "01_data_mixing.ipynb",
        "01_data_mixing.html",
        "params.yaml",
    ):
        assert (run / name).is_file(), name
    executed = nbformat.read(run / "01_data_mixing.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert str(run / "params.yaml") in injected[0].source
    html = (run / "01_data_mixing.html").read_text()
    assert "data:image/png;base64" in html and "Data mixing" in html
    info = manifest(run)
    assert info["stages"]["data"]["status"] == "done" and info["stages"]["data"]["seconds"] > 0
    assert info["params"]["data"]["samples_per_source"] == 40
    assert info["packages"]["torch"].startswith("2.13") and info["hardware"]["cpu_count"] >= 1
    assert info["git"]["commit"] is None or len(info["git"]["commit"]) == 40
    stamp = (run / "data" / "train.jsonl").stat().st_mtime_ns

    second = run_stx("run", str(SMOKE), "--stages", "data", "--run-dir", str(run))
    assert second.returncode == 0, second.stderr
    assert "[data] complete, skipped" in second.stdout
    assert (run / "data" / "train.jsonl").stat().st_mtime_ns == stamp
    assert "last_skipped" in manifest(run)["stages"]["data"]

    forced = run_stx("run", str(SMOKE), "--stages", "data", "--run-dir", str(run), "--force")
    assert forced.returncode == 0 and "(forced)" in forced.stdout
    assert (run / "data" / "train.jsonl").stat().st_mtime_ns != stamp

    changed = run_stx(
        "run", str(SMOKE), "--stages", "data", "--run-dir", str(run), "--set", "data.samples_per_source=30"
    )
    assert changed.returncode == 0 and "params changed" in changed.stdout
    assert len((run / "data" / "train.jsonl").read_text().splitlines()) == 90


def test_failing_cell_stops_with_a_message_and_keeps_the_notebook(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = run_stx("run", str(SMOKE), "--run-dir", str(run), "--set", "data.samples_per_source=1000")
    assert result.returncode == 1
    assert "stage 'data' failed in 01_data_mixing.ipynb, cell" in result.stderr
    assert "MixError" in result.stderr and "asked for 1000 rows" in result.stderr
    assert "executed notebook with the error" in result.stderr
    assert "[train]" not in result.stdout, "later stages must not run after a failure"
    executed = nbformat.read(run / "01_data_mixing.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert (run / "01_data_mixing.html").is_file()
    info = manifest(run)["stages"]["data"]
    assert info["status"] == "failed" and "MixError" in info["error"]
    assert not (run / "data" / "train.jsonl").exists()


def test_second_run_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with RunLock(run):
        result = run_stx("run", str(SMOKE), "--stages", "data", "--run-dir", str(run))
    assert result.returncode == 1
    assert "another stx run is already using" in result.stderr and "--run-dir" in result.stderr
    assert not (run / "manifest.json").exists()


def test_missing_stage_notebook_is_reported_not_implemented(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(REPO / "notebooks" / "01_data_mixing.ipynb", notebooks)
    lines: list[str] = []
    run_pipeline(SMOKE, stages="train", run_dir=tmp_path / "run", notebook_dir=notebooks, echo=lines.append)
    assert any("[train] not implemented" in line for line in lines)
    assert manifest(tmp_path / "run")["stages"]["train"]["status"] == "not_implemented"


def test_bad_params_and_stage_names_exit_before_running(tmp_path: Path) -> None:
    bad = run_stx("run", str(SMOKE), "--run-dir", str(tmp_path / "r"), "--set", "train.max_stepz=3")
    assert bad.returncode == 2 and "did you mean 'train.max_steps'" in bad.stderr
    unknown = run_stx("run", str(SMOKE), "--run-dir", str(tmp_path / "r"), "--stages", "data,tarin")
    assert unknown.returncode == 1 and "unknown stage(s) tarin" in unknown.stderr
    assert not (tmp_path / "r").exists()
