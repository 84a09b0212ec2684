"""Batch execution of the stage notebooks (`stx run`); the stages come from `stxlib.stages`."""

from stxlib.runner.execute import RunInterrupted
from stxlib.runner.lock import RunLockedError
from stxlib.runner.pipeline import StageFailedError, run_pipeline
from stxlib.runner.plan import StagePackageError, check_stage_configs, plan_stages

__all__ = [
    "RunInterrupted",
    "RunLockedError",
    "StageFailedError",
    "StagePackageError",
    "check_stage_configs",
    "plan_stages",
    "run_pipeline",
]
