"""The `sft` stage's entry points: `run_stage` for the runner, `prepare_sft` for the notebook, `check_config`
before any stage starts (the chat template must mark the assistant turns)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stxlib.config import ParamsError, StxConfig
from stxlib.paths import RunPaths
from stxlib.training.chain import check_stage_config, prepare_stage_session

STAGE = "sft"


def check_config(config: StxConfig) -> None:
    from stxlib.chat_templates import training_template

    check_stage_config(config, STAGE)
    try:
        training_template(config.sft.chat_template, "sft.chat_template")
    except ValueError as err:
        raise ParamsError(str(err)) from None


def prepare_sft(
    config: StxConfig,
    paths: RunPaths,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> Any:
    """Resolve the start (`sft.start_from`: e.g. the pretrain adapter), encode the conversations, build the session."""
    from stxlib.sft.kind import ChatKind

    return prepare_stage_session(
        config,
        paths,
        STAGE,
        ChatKind,
        callbacks=callbacks,
        echo=echo,
        disable_tqdm=disable_tqdm,
        add_data_hint="add conversations to sft.datasets",
        eval_data_hint="raise sft.eval_size",
    )


def run_stage(config: StxConfig, paths: RunPaths) -> Any:
    """Train (or resume) into `sft/`; the `TrainResult` on the main process."""
    return prepare_sft(config, paths).train()
