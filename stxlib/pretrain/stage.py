"""The `pretrain` stage's entry points: `run_stage` for the runner, `prepare_pretrain` for the notebook (which
shows the model before training), `check_config` before any stage starts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stxlib.config import StxConfig
from stxlib.paths import RunPaths
from stxlib.training.chain import check_stage_config, prepare_stage_session

STAGE = "pretrain"


def check_config(config: StxConfig) -> None:
    check_stage_config(config, STAGE)


def prepare_pretrain(
    config: StxConfig,
    paths: RunPaths,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> Any:
    """Resolve the base (the extended model when the tokenizer was extended), pack the corpus, build the session
    (a `TrainingSession`: `.describe()`, `.train()`)."""
    from stxlib.pretrain.kind import CausalLMKind

    return prepare_stage_session(
        config,
        paths,
        STAGE,
        CausalLMKind,
        callbacks=callbacks,
        echo=echo,
        disable_tqdm=disable_tqdm,
        add_data_hint="add documents to pretrain.corpora or lower pretrain.block_size",
        eval_data_hint="raise pretrain.eval_size",
    )


def run_stage(config: StxConfig, paths: RunPaths) -> Any:
    """Train (or resume) into `pretrain/`; the `TrainResult` on the main process."""
    return prepare_pretrain(config, paths).train()
