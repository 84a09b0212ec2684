"""Batch execution of the stage notebooks (`stx run`)."""

from stxlib.runner.lock import RunLockedError
from stxlib.runner.pipeline import StageFailedError, run_pipeline
from stxlib.stages import STAGE_NAMES, STAGES, Stage, select_stages

__all__ = ["STAGES", "STAGE_NAMES", "RunLockedError", "Stage", "StageFailedError", "run_pipeline", "select_stages"]
