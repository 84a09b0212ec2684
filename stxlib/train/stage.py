"""Stage 2's entry points: `run_stage(config, paths)` for the runner and `stx train`, `prepare_training` for
the notebook (which shows the model before training), `check_config` before any stage starts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stxlib.config import ParamsError, StxConfig
from stxlib.paths import RunPaths
from stxlib.training.session import TrainingSession, TrainResult, prepare_session


def check_config(config: StxConfig) -> None:
    """The training settings that need no data, model or hardware (eval/save step alignment, optimizer name)."""
    from stxlib.train.kind import STAGE
    from stxlib.training.checks import check_settings
    from stxlib.training.errors import TrainSetupError

    try:
        check_settings(config.train, STAGE)
    except TrainSetupError as err:
        raise ParamsError(str(err)) from None


def prepare_training(
    config: StxConfig,
    paths: RunPaths,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> TrainingSession:
    """Check the settings, load the data, tokenizer and model, set up the Trainer and decide on resuming."""
    from stxlib.train.kind import CompletionKind, stx_spec

    kind = CompletionKind(config, paths)
    return prepare_session(stx_spec(config, paths), kind, callbacks=callbacks, echo=echo, disable_tqdm=disable_tqdm)


def run_training(
    config: StxConfig, paths: RunPaths, *, callbacks: Sequence[Any] = (), echo: Callable[[str], None] = print
) -> TrainResult | None:
    """Stage 2 in one call (what `stx train` and the multi-process entrypoint run)."""
    return prepare_training(config, paths, callbacks=callbacks, echo=echo).train()


def run_stage(config: StxConfig, paths: RunPaths) -> TrainResult | None:
    """The registry's entry point: train (or resume) into `train/`; the result on the main process."""
    return run_training(config, paths)
