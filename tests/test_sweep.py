"""`stx sweep`: grid expansion, point states, resubmission rules, and a real local-executor sweep over the smoke
params (two points differing in `train.max_steps`, data stage only) with its comparison page."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import SMOKE

from stxlib.cli import main
from stxlib.config import ParamsError
from stxlib.io import write_json
from stxlib.sweep import expand, parse_grid, plan_from_record, plan_sweep, point_states, run_sweep
from stxlib.sweep import submit as submit_module
from stxlib.sweep.job import file_sha256
from stxlib.sweep.plan import write_point_params, write_record
from stxlib.sweep.submit import ExecutorSettings


def test_grid_expands_in_order_with_readable_names() -> None:
    points = expand(parse_grid(["train.max_steps=20,40", "lora.r=8,16", "train.learning_rate=[1e-4],'2e-4'"]))
    assert [p.name for p in points][:3] == [
        "max_steps-20__r-8__learning_rate-1e-4",
        "max_steps-20__r-8__learning_rate-2e-4",
        "max_steps-20__r-16__learning_rate-1e-4",
    ]
    assert len(points) == 8 and points[-1].overrides == (
        "train.max_steps=40",
        "lora.r=16",
        "train.learning_rate='2e-4'",
    )
    same_last = expand(parse_grid(["train.seed=1", "run.seed=2,3"]))
    assert [p.name for p in same_last] == ["train-seed-1__run-seed-2", "train-seed-1__run-seed-3"]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ([], "at least one --grid"),
        (["train.max_steps"], "write KEY=V1,V2"),
        (["train.max_steps=1,,2"], "an empty value"),
        (["train.max_steps=1,1"], "a value is repeated"),
        (["lora.r=8", "lora.r=16"], "each key once"),
    ],
)
def test_bad_grids_are_clear_errors(grid: list[str], message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        parse_grid(grid)


def test_a_bad_point_fails_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"sweep point max_steps-0: .*max_steps"):
        plan_sweep(SMOKE, ["train.max_steps=0,2"], run_dir=str(tmp_path / "sweep"))
    assert not (tmp_path / "sweep").exists()


class FakeJob:
    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def done(self) -> bool:
        return True


def test_rerun_submits_only_new_failed_and_changed_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_sweep(SMOKE, ["train.max_steps=1,2,3,4"], stages="data", run_dir=str(tmp_path / "sweep"))
    write_point_params(plan)
    done, failed, changed, new = plan.points
    write_json(plan.status_path(done), {"state": "done", "params_sha256": file_sha256(plan.params_path(done))})
    write_json(plan.status_path(failed), {"state": "failed", "error": "StageFailedError: boom"})
    write_json(plan.status_path(changed), {"state": "done", "params_sha256": "old"})
    write_record(plan, "local", {})
    states = {s.point.name: (s.state, s.detail) for s in point_states(plan)}
    assert states == {
        done.name: ("done", ""),
        failed.name: ("failed", "StageFailedError: boom"),
        changed.name: ("changed", "params changed since it ran"),
        new.name: ("new", ""),
    }
    submitted: list[tuple] = []

    def fake_executor(settings, folder, name):
        def submit(func, *args):
            submitted.append(args)
            return FakeJob(str(10**9 + len(submitted)))  # no such process

        return SimpleNamespace(submit=submit)

    monkeypatch.setattr(submit_module, "make_executor", fake_executor)
    outcome = run_sweep(plan, ExecutorSettings(), parallel=1, echo=lambda line: None)
    assert outcome.submitted == [failed.name, changed.name, new.name] and outcome.compare is None
    assert [Path(args[1]).name for args in submitted] == outcome.submitted and submitted[0][2] == "data"
    record = json.loads(plan.record_path.read_text())
    assert [p["job_id"] for p in record["points"]] == [None, "1000000001", "1000000002", "1000000003"]
    # the fake jobs wrote nothing, and no such process is alive: each ended without a result
    after = {s.point.name: s.state for s in point_states(plan_from_record(plan.root))}
    assert after == {done.name: "done", failed.name: "failed", changed.name: "failed", new.name: "failed"}


def test_status_without_a_sweep_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(SMOKE), "--status", "--run-dir", str(tmp_path / "none")]) == 2
    assert "no sweep in" in capsys.readouterr().err
    assert main(["sweep", "--status"]) == 2 and "--status needs the sweep's params file" in capsys.readouterr().err
    assert main(["sweep", "--grid", "lora.r=8"]) == 2 and "give the params file" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
def test_local_sweep_runs_both_points_then_a_rerun_submits_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "sweep"
    args = ["sweep", str(SMOKE), "--grid", "train.max_steps=1,2", "--stages", "data", "--run-dir", str(root)]
    assert main([*args, "--parallel", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("submitted (local job") == 2 and f"comparison of 2 runs: {root / 'compare.html'}" in out
    for name, steps in (("max_steps-1", 1), ("max_steps-2", 2)):
        manifest = json.loads((root / name / "manifest.json").read_text())
        assert manifest["stages"]["data"]["status"] == "done" and manifest["params"]["train"]["max_steps"] == steps
        assert (root / name / "data" / "train.jsonl").is_file()
    page = (root / "compare.html").read_text(encoding="utf-8")
    assert "max_steps-1" in page and "max_steps-2" in page and "train.max_steps" in page

    page_time = (root / "compare.html").stat().st_mtime_ns
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "submitted (local" not in again and again.count("done, not submitted") == 2
    assert (root / "compare.html").stat().st_mtime_ns >= page_time
    assert main(["sweep", "--status", "--run-dir", str(root)]) == 0
    status = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in status] == [["max_steps-1", "done"], ["max_steps-2", "done"]]


def _fake_slurm(bin_dir: Path, log: Path) -> None:
    """`srun`, `sbatch` (keeps the script, answers a job id) and `sacct` (knows nothing yet) on PATH."""
    bin_dir.mkdir()
    scripts = {
        "srun": "exit 0",
        "sbatch": f'cat "$1" >> {log}; echo "Submitted batch job 4242"',
        "sacct": "exit 0",
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)


def test_slurm_jobs_carry_the_requested_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nobin"))
    plan = plan_sweep(SMOKE, ["lora.r=8,16"], stages="data", run_dir=str(tmp_path / "sweep"))
    with pytest.raises(ValueError, match=r"Could not detect .*use --executor local"):
        submit_module.make_executor(ExecutorSettings(kind="slurm"), plan.submitit_dir, "x")
    log = tmp_path / "sbatch.txt"
    _fake_slurm(tmp_path / "bin", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    settings = ExecutorSettings(
        kind="slurm", partition="gpu", gpus_per_job=2, cpus_per_job=8, mem_gb=64, slurm_args={"account": "proj"}
    )
    outcome = run_sweep(plan, settings, wait=False, echo=lambda line: None)
    assert outcome.submitted == ["r-8", "r-16"] and outcome.compare is None
    script = log.read_text()
    for line in ("--partition=gpu", "--gpus-per-node=2", "--cpus-per-task=8", "--mem=64GB", "--account=proj"):
        assert script.count(f"#SBATCH {line}") == 2, line
    assert "#SBATCH --time=1440" in script and "#SBATCH --job-name=stx-smoke-sweep" in script
    assert [s.state for s in point_states(plan)] == ["running", "running"]  # sacct does not know them yet
    assert [p["job_id"] for p in json.loads(plan.record_path.read_text())["points"]] == ["4242", "4242"]
