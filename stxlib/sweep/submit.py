"""Submitting a sweep through submitit (Slurm, or its local executor), the points' states, and the comparison.

A point is `done` when its job finished `stx run` for the point's current params file, `failed` when its job
failed or ended without saying (killed, timed out), `running` while its job is alive, `new` before any job.
Re-running a sweep submits the `new` and `failed` points (and `done` ones whose params changed), leaves
running jobs alone, and builds `compare.html` once every point is done.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.sweep.grid import Point
from stxlib.sweep.job import DONE, FAILED, RUNNING, file_sha256, read_status, run_point
from stxlib.sweep.plan import SweepPlan, read_record, write_point_params, write_record

NEW, CHANGED = "new", "changed"
EXECUTORS = ("local", "slurm")
_SLURM_ALIVE = {"PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING", "SUSPENDED", "RESIZING", "UNKNOWN"}


@dataclass(frozen=True)
class ExecutorSettings:
    """What each job asks for; `None` leaves submitit's (or the cluster's) default."""

    kind: str = "local"  # local | slurm
    timeout_min: int = 24 * 60
    partition: str | None = None
    gpus_per_job: int | None = None
    cpus_per_job: int | None = None
    mem_gb: float | None = None
    slurm_args: dict[str, Any] = field(default_factory=dict)  # further `slurm_*` submitit parameters


@dataclass(frozen=True)
class PointState:
    point: Point
    state: str  # new | running | done | failed | changed
    job_id: str | None
    detail: str = ""


def make_executor(settings: ExecutorSettings, folder: Path, name: str) -> Any:
    """submitit's executor for `settings.kind` (its logs and pickles in `folder`)."""
    import submitit

    if settings.kind not in EXECUTORS:
        raise ValueError(f"executor {settings.kind!r}: use one of {', '.join(EXECUTORS)}")
    try:
        executor = submitit.AutoExecutor(folder=folder, cluster=settings.kind)
    except RuntimeError as err:  # submitit's "Could not detect srun"
        raise ValueError(
            f"--executor {settings.kind}: {err} (run `stx sweep` on a Slurm login node, or use --executor local)"
        ) from None
    parameters: dict[str, Any] = {
        "name": name,
        "timeout_min": settings.timeout_min,
        "gpus_per_node": settings.gpus_per_job,
        "cpus_per_task": settings.cpus_per_job,
        "mem_gb": settings.mem_gb,
    }
    if settings.kind == "slurm":
        parameters["slurm_partition"] = settings.partition
        parameters.update({k if k.startswith("slurm_") else f"slurm_{k}": v for k, v in settings.slurm_args.items()})
    executor.update_parameters(**{k: v for k, v in parameters.items() if v is not None})
    return executor


def job_alive(kind: str, folder: Path, job_id: str | None) -> bool:
    """Whether a job submitted earlier (perhaps by another `stx sweep` process) is still queued or running."""
    if not job_id:
        return False
    if kind == "local":
        try:
            os.kill(int(job_id), 0)  # the local executor's job id is its controller's process id
        except (ProcessLookupError, ValueError):
            return False
        except PermissionError:
            return True
        return True
    import submitit

    return str(submitit.SlurmJob(folder=folder, job_id=job_id).state).upper() in _SLURM_ALIVE


def point_states(plan: SweepPlan, kind: str | None = None) -> list[PointState]:
    """Every point's state, from its status file, its params file and (while unfinished) its job."""
    record = read_record(plan.root)
    kind = kind or record.get("executor", "local")
    jobs = {p["name"]: p.get("job_id") for p in record.get("points", [])}
    states = []
    for point in plan.points:
        status = read_status(plan.status_path(point))
        job_id = status.get("job_id") or jobs.get(point.name)
        params = plan.params_path(point)
        state = status.get("state")
        if state == DONE and params.is_file() and status.get("params_sha256") != file_sha256(params):
            states.append(PointState(point, CHANGED, job_id, "params changed since it ran"))
        elif state in (DONE, FAILED):
            states.append(PointState(point, state, job_id, status.get("error", "")))
        elif job_alive(kind, plan.submitit_dir, jobs.get(point.name)):
            states.append(PointState(point, RUNNING, job_id, "started" if state == RUNNING else "queued"))
        elif jobs.get(point.name) or state == RUNNING:
            log = plan.submitit_dir / f"{jobs.get(point.name)}_0_log.err"
            states.append(PointState(point, FAILED, job_id, f"the job ended without a result (see {log})"))
        else:
            states.append(PointState(point, NEW, None))
    return states


@dataclass
class SweepOutcome:
    submitted: list[str]
    states: list[PointState]
    compare: Path | None


def run_sweep(
    plan: SweepPlan,
    settings: ExecutorSettings,
    *,
    parallel: int | None = None,
    wait: bool = True,
    echo: Callable[[str], None] = print,
) -> SweepOutcome:
    """Submit the points that need a run (at most `parallel` at a time; None: all), wait for them unless
    `wait` is False, then build the comparison page if every point is done."""
    plan.root.mkdir(parents=True, exist_ok=True)
    write_point_params(plan)
    jobs = {p["name"]: p.get("job_id") for p in read_record(plan.root).get("points", [])}
    todo = []
    for state in point_states(plan, settings.kind):
        if state.state in (NEW, FAILED, CHANGED):
            todo.append(state.point)
        else:
            echo(f"{state.point.name}: {state.state}{' (' + state.detail + ')' if state.detail else ''}, not submitted")
    write_record(plan, settings.kind, jobs)
    executor = make_executor(settings, plan.submitit_dir, f"stx-{plan.name}") if todo else None
    active: list[Any] = []
    for point in todo:
        while wait and parallel and len(active) >= parallel:
            active = _still_running(active)
        plan.status_path(point).unlink(missing_ok=True)
        job = executor.submit(
            run_point, str(plan.params_path(point)), str(plan.run_dir(point)), plan.stages, str(plan.status_path(point))
        )
        jobs[point.name] = str(job.job_id)
        write_record(plan, settings.kind, jobs)
        echo(f"{point.name}: submitted ({settings.kind} job {job.job_id}) -> {plan.run_dir(point)}")
        active.append(job)
    while wait and active:
        active = _still_running(active)
    states = point_states(plan, settings.kind)
    compare = None
    if all(s.state == DONE for s in states):
        from stxlib.report.compare import build_comparison

        compare = build_comparison([plan.run_dir(s.point) for s in states], plan.compare_path).path
    return SweepOutcome([p.name for p in todo], states, compare)


def _still_running(jobs: list[Any]) -> list[Any]:
    """The jobs not yet finished, after waiting a moment if none has."""
    running = [job for job in jobs if not job.done()]
    if len(running) == len(jobs):
        time.sleep(1.0)
    return running
