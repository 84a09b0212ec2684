"""The `dpo` stage's entry points: `run_stage` for the runner, `prepare_dpo` for the notebook, `check_config`
before any stage starts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from stxlib.config import ParamsError, StxConfig
from stxlib.paths import RunPaths
from stxlib.training.chain import check_stage_config, prepare_stage_session

STAGE = "dpo"


def check_config(config: StxConfig) -> None:
    from stxlib.chat_templates import rendering_template

    check_stage_config(config, STAGE)
    if config.dpo.finetuning == "full":
        raise ParamsError(
            "dpo.finetuning=full needs a second model as the reference, which this stage does not load; use "
            "dpo.finetuning: lora (the reference is the same weights with the adapter disabled or frozen)"
        )
    try:
        rendering_template(config.dpo.chat_template, "dpo.chat_template")
    except ValueError as err:
        raise ParamsError(str(err)) from None


def prepare_dpo(
    config: StxConfig,
    paths: RunPaths,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> Any:
    """Resolve the start (`dpo.start_from`, the SFT adapter by default: an error when it is missing and
    `dpo.require_start`), read the pairs, build the session around trl's `DPOTrainer`."""
    from stxlib.dpo.kind import PreferenceKind

    return prepare_stage_session(
        config,
        paths,
        STAGE,
        PreferenceKind,
        require_start=config.dpo.require_start,
        callbacks=callbacks,
        echo=echo,
        disable_tqdm=disable_tqdm,
        add_data_hint="add preference rows to dpo.datasets",
        eval_data_hint="raise dpo.eval_size",
    )


def run_stage(config: StxConfig, paths: RunPaths) -> Any:
    """Train (or resume) into `dpo/`; the `TrainResult` on the main process."""
    return prepare_dpo(config, paths).train()
