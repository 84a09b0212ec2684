"""`stx run` over papermill, in-process with stand-in stage notebooks: execution, HTML, manifest, skip,
--force, changed params, incomplete outputs, failures, locking. (`test_end_to_end.py` runs the real notebooks.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from helpers import REPO, SMOKE, PageLinks, run_stx, write_notebook

import stxlib.runner.pipeline as pipeline
from stxlib.cli import main
from stxlib.config import ParamsError, load_params
from stxlib.paths import RunPaths
from stxlib.runner import StageFailedError, run_pipeline
from stxlib.runner.lock import RunLock
from stxlib.stages import STAGES, get_stage

pytestmark = pytest.mark.slow

# A stand-in stage: writes every output its registry entry asks for (stamped, parseable as its type), nothing else.
STAND_IN = """
import json, struct, time
from stxlib.notebook import start_stage
from stxlib.stages import get_stage
ctx = start_stage({name!r}, params_file, run_dir, overrides)
for path in get_stage({name!r}).outputs(ctx.paths, ctx.config):
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = str(time.time_ns())
    if path.suffix == ".png":
        path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + stamp.encode())
    elif path.suffix == ".safetensors":
        header = json.dumps({{"__metadata__": {{"stamp": stamp}}}}).encode()
        path.write_bytes(struct.pack("<Q", len(header)) + header)
    elif path.suffix == ".html":
        path.write_text(f"<html>{{stamp}}</html>")
    else:
        path.write_text(stamp)
"""


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    for stage in STAGES:
        write_notebook(folder / f"{stage.notebook}.ipynb", STAND_IN.format(name=stage.name))
    return folder


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def stamps(run: Path) -> dict[str, str]:
    """Stage output files (relative) -> their content, the stand-in's stamp."""
    skip = {"manifest.json", "params.yaml", ".stx-run.lock"}
    skip |= {f"{s.notebook}{suffix}" for s in STAGES for suffix in (".ipynb", ".html")}
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name not in skip and p.parent.name != "logs"  # logs/: the kernels' own logs
    }


def reasons(lines: list[str]) -> dict[str, str]:
    """`[stage] running X.ipynb (reason)` / `[stage] complete, skipped ...` -> {stage: reason or "skipped"}."""
    found = {}
    for line in lines:
        if line.startswith("[") and ("running" in line or "skipped" in line):
            stage = line[1 : line.index("]")]
            found[stage] = "skipped" if "skipped" in line else line[line.index("(") + 1 : line.rindex(")")]
    return found


def check_links(page: Path) -> None:
    parser = PageLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    local = [h.split("#", 1)[0] for h in parser.hrefs if "://" not in h and not h.startswith("#")]
    assert local, "the page links the run's files"
    assert all((page.parent / h).exists() for h in local), [h for h in local if not (page.parent / h).exists()]


def test_stages_run_then_skip_then_rerun_what_changed(tmp_path: Path, notebooks: Path) -> None:
    run = tmp_path / "run"

    def stx_run(*overrides: str, stages: str | None = None, force: bool = False) -> dict[str, str]:
        lines: list[str] = []
        run_pipeline(SMOKE, stages, run, list(overrides), force=force, notebook_dir=notebooks, echo=lines.append)
        return reasons(lines)

    assert stx_run() == dict.fromkeys(load_params(SMOKE).run.stages, "first run")
    info = manifest(run)
    smoke_stages = load_params(SMOKE).run.stages
    assert list(info["stages"]) == smoke_stages  # the smoke params' stages, not the whole registry
    for name in smoke_stages:
        entry = info["stages"][name]
        assert entry["status"] == "done" and entry["seconds"] >= 0 and entry["error"] is None
        assert (run / entry["notebook"]).is_file() and (run / entry["html"]).is_file()
    assert info["params"]["data"]["samples_per_source"] == 40 and info["params_file"] == str(SMOKE)
    executed = nbformat.read(run / "01_data_mixing.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert str(run / "params.yaml") in injected[0].source and str(run) in injected[0].source
    assert "stage data: run 'smoke'" in (run / "01_data_mixing.html").read_text()
    first = stamps(run)
    assert "report.html" in first and "eval/finetuned/results.json" in first

    assert stx_run() == dict.fromkeys(("data", "train", "eval", "contamination", "report"), "skipped")
    assert stamps(run) == first and "last_skipped" in manifest(run)["stages"]["data"]

    (run / "train" / "left_over.txt").write_text("from the last run")
    assert stx_run("train.max_steps=7") == {
        "data": "skipped",
        "train": "params changed since the last run",
        "eval": "params changed since the last run",  # eval's keys include train's
        "contamination": "eval ran after it",
        "report": "params changed since the last run",
    }
    second = stamps(run)
    data_outputs = {str(p.relative_to(run)) for p in get_stage("data").outputs(RunPaths(run), load_params(SMOKE))}
    assert "plots/data_mix.png" in data_outputs and "data/train.jsonl" in data_outputs
    assert all(second[k] == first[k] for k in data_outputs)  # the skipped stage's files, its chart included
    assert all(second[k] != first[k] for k in first if k not in data_outputs)
    assert not (run / "train" / "left_over.txt").exists(), "a re-run stage starts from an empty folder"

    assert stx_run("train.max_steps=7", stages="eval", force=True) == {"eval": "forced"}
    third = stamps(run)
    assert third["train/log_history.json"] == second["train/log_history.json"]
    assert third["eval/base/results.json"] != second["eval/base/results.json"]
    # the report did not run: its page was rebuilt from the files (no dead link), its notebook is due next time
    assert third["report.html"] != second["report.html"]
    check_links(run / "report.html")

    (run / "plots" / "keep.txt").write_text("kept")
    assert stx_run("train.max_steps=7") == {
        "data": "skipped",
        "train": "skipped",
        "eval": "skipped",
        "contamination": "eval ran after it",  # the runner re-runs every stage after one that ran later
        "report": "contamination ran after it",
    }
    (run / "report.html").unlink()
    assert stx_run("train.max_steps=7")["report"] == "report.html missing"
    assert (run / "plots" / "keep.txt").is_file(), "continuing keeps what the stage already wrote"


def test_failing_cell_stops_the_run_and_keeps_the_notebook(
    tmp_path: Path, notebooks: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(
        notebooks / "02_qlora_training.ipynb",
        "from stxlib.notebook import start_stage\nctx = start_stage('train', params_file, run_dir, overrides)",
        "raise ValueError('train.max_steps: too many for this test')",
    )
    monkeypatch.setattr(pipeline, "notebooks_dir", lambda: notebooks)
    run = tmp_path / "run"
    assert main(["run", str(SMOKE), "--run-dir", str(run)]) == 1
    out, err = capsys.readouterr()
    # the cell number is the executed copy's (papermill's injected-parameters cell included)
    assert "stage 'train' failed in 02_qlora_training.ipynb, cell 3 (In [4])" in err
    assert "ValueError: train.max_steps: too many for this test" in err and "Traceback" not in err
    assert f"executed notebook with the error: {run / '02_qlora_training.ipynb'}" in err
    assert "[data] running" in out and "[eval]" not in out, "later stages must not run after a failure"
    executed = nbformat.read(run / "02_qlora_training.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    info = manifest(run)["stages"]
    assert info["train"]["status"] == "failed" and "too many for this test" in info["train"]["error"]
    assert info["train"]["html"] == "02_qlora_training.html" and (run / "02_qlora_training.html").is_file()
    assert info["data"]["status"] == "done" and "eval" not in info


def test_a_stage_that_writes_no_outputs_fails(tmp_path: Path, notebooks: Path) -> None:
    write_notebook(notebooks / "01_data_mixing.ipynb", "print('did nothing')")
    with pytest.raises(StageFailedError, match=r"01_data_mixing.ipynb finished but did not write data/train.jsonl"):
        run_pipeline(SMOKE, "data", tmp_path / "run", notebook_dir=notebooks, echo=lambda line: None)
    assert manifest(tmp_path / "run")["stages"]["data"]["status"] == "failed"


def test_missing_stage_notebook_is_reported_not_implemented(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(REPO / "notebooks" / "01_data_mixing.ipynb", notebooks)
    lines: list[str] = []
    run_pipeline(SMOKE, stages="train", run_dir=tmp_path / "run", notebook_dir=notebooks, echo=lines.append)
    assert any("[train] not implemented" in line for line in lines)
    assert manifest(tmp_path / "run")["stages"]["train"]["status"] == "not_implemented"


def test_bad_params_and_stage_names_stop_before_the_run_folder(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"did you mean 'train\.max_steps'"):
        run_pipeline(SMOKE, run_dir=tmp_path / "r", overrides=["train.max_stepz=3"])
    with pytest.raises(ParamsError, match=r"--stages: unknown stage\(s\) tarin"):
        run_pipeline(SMOKE, stages="data,tarin", run_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_second_run_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with RunLock(run):
        result = run_stx("run", str(SMOKE), "--stages", "data", "--run-dir", str(run))
    assert result.returncode == 1
    assert "another stx run is already using" in result.stderr and "--run-dir" in result.stderr
    assert not (run / "manifest.json").exists()
