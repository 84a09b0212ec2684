"""What one sweep job runs (on a Slurm node or as a local submitit process): `stx run` of one point into its
run folder, with the point's state written beside the sweep (`status/<point>.json`) as it starts and ends."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from stxlib.io import read_json, write_json

RUNNING, DONE, FAILED = "running", "done", "failed"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_status(path: Path) -> dict[str, Any]:
    """A point's status file, or `{}` (absent or unreadable: never submitted or died before writing it)."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _job_id() -> str | None:
    try:
        import submitit

        return str(submitit.JobEnvironment().job_id)
    except Exception:  # not inside a submitit job (a direct call)
        return None


def run_point(params: str, run_dir: str, stages: str | None, status: str) -> int:
    """`stx run PARAMS --run-dir RUN_DIR [--stages S]` in this process; returns 0 (done) or 1 (failed)."""
    from stxlib.runner import run_pipeline

    status_path = Path(status)
    record: dict[str, Any] = {
        "state": RUNNING,
        "job_id": _job_id(),
        "params_sha256": file_sha256(Path(params)),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(status_path, record)
    try:
        run_pipeline(params, stages, run_dir)
    except BaseException as err:  # the failure is the point's state; Ctrl-C and SIGTERM (Slurm timeout) too
        write_json(status_path, {**record, "state": FAILED, "error": f"{type(err).__name__}: {err}", **_ended()})
        if isinstance(err, Exception):
            return 1
        raise
    write_json(status_path, {**record, "state": DONE, **_ended()})
    return 0


def _ended() -> dict[str, str]:
    return {"ended": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
