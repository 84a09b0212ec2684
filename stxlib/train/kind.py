"""The STX recipe as a training kind ("completion"): `{"input", "output"}` rows from the data stage, qlora's
collator and length grouping, the 2023 loss scaling and sequential evaluation, qlora's no-op warmup.
Everything else (model, LoRA, checkpoints, resume, outputs) is the shared session's."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.hardware import Hardware
from stxlib.paths import RunPaths
from stxlib.training.arguments import build_arguments
from stxlib.training.checkpoints import settings_keys
from stxlib.training.kind import TrainingKind, TrainingSpec
from stxlib.training.trainer import SessionTrainer

STAGE = "train"


class StxTrainer(SessionTrainer):
    """The session's Trainer with the STX recipe's defaults: 2023 loss scaling, sequential evaluation order,
    bf16 LoRA weights (see `SessionTrainerMixin`)."""

    def __init__(
        self,
        *args: Any,
        loss_scaling: str = "2023",
        eval_sampling: str = "sequential",
        lora_dtype: str = "bfloat16",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, loss_scaling=loss_scaling, eval_sampling=eval_sampling, lora_dtype=lora_dtype, **kwargs)


def stx_spec(config: StxConfig, paths: RunPaths) -> TrainingSpec:
    """The `train` stage's session settings: the configured base, `lora` and `train` sections, `train/`."""
    return TrainingSpec(
        section=STAGE,
        dirs=paths.training(STAGE),
        model=config.model,
        trainer=config.train,
        lora=config.lora,
        seed=config.run.seed,
        add_data_hint="add data (data.samples_per_source)",
        eval_data_hint="set data.eval_size > 0",
    )


def scheduler_settings(config: StxConfig) -> tuple[str, float]:
    """(lr_scheduler_type, warmup_steps). qlora passed warmup_ratio=0.03 with `constant`, which ignores
    warmup: passing the ratio unchanged reproduces that no-op. `apply_warmup` switches `constant` to
    `constant_with_warmup` so the ratio takes effect."""
    train = config.train
    kind = train.lr_scheduler_type
    if kind == "constant" and train.apply_warmup:
        kind = "constant_with_warmup"
    return kind, train.warmup_ratio


class CompletionKind(TrainingKind):
    """Completion training on the data stage's rows (see docs/training.md for each fidelity choice)."""

    name = "completion"
    trainer_class = StxTrainer

    def __init__(self, config: StxConfig, paths: RunPaths) -> None:
        self.config = config
        self.paths = paths

    def datasets(self, tokenizer: Any) -> tuple[Any, Any]:
        from stxlib.train.data import load_datasets

        return load_datasets(self.paths)

    def fingerprint(self) -> Mapping[str, Any]:
        from stxlib.train.data import data_fingerprint

        config = self.config
        return {
            "run.seed": config.fingerprint(["run.seed"]),
            "data": config.fingerprint(["data"]),
            "data files": data_fingerprint(self.paths),
            "model": config.fingerprint(["model"]),
            "lora": config.fingerprint(["lora"]),
            "train": config.fingerprint(settings_keys(STAGE, type(config.train))),
        }

    def collator(self, tokenizer: Any) -> Any:
        from stxlib.train.collator import build_collator

        return build_collator(self.config, tokenizer)

    def argument_fields(self) -> Mapping[str, Any]:
        return completion_argument_fields(self.config)

    def trainer_kwargs(self) -> Mapping[str, Any]:
        return {"loss_scaling": self.config.train.loss_scaling, "eval_sampling": self.config.train.eval_sampling}

    def summary_fields(self) -> Mapping[str, Any]:
        train = self.config.train
        return {
            "loss_scaling": train.loss_scaling,
            "collator": train.collator,
            "group_by_length": train.group_by_length,
            "eval_sampling": train.eval_sampling,
        }


def completion_argument_fields(config: StxConfig) -> dict[str, Any]:
    """What the recipe sets beyond the shared arguments: qlora's warmup no-op, length grouping by the
    `length` column (characters), and the raw text columns kept for the collator."""
    from stxlib.train.data import LENGTH_COLUMN

    scheduler, _warmup = scheduler_settings(config)
    return {
        "lr_scheduler_type": scheduler,
        "train_sampling_strategy": "group_by_length" if config.train.group_by_length else "random",
        "length_column_name": LENGTH_COLUMN,
        "remove_unused_columns": False,
    }


def training_arguments(
    config: StxConfig,
    paths: RunPaths,
    hardware: Hardware,
    optim: str,
    *,
    processes: int = 1,
    disable_tqdm: bool = False,
) -> Any:
    """The `TrainingArguments` the `train` stage runs with (checkpoints in `train/checkpoints/`)."""
    return build_arguments(
        config.train,
        paths.training(STAGE).checkpoints,
        config.run.seed,
        hardware,
        optim,
        extra=completion_argument_fields(config),
        processes=processes,
        disable_tqdm=disable_tqdm,
    )


def load_with_adapter(config: StxConfig, tokenizer: Any, adapter: str | Path) -> Any:
    """Base rebuilt exactly as for training, with the saved adapter applied (not merged), in eval mode."""
    from stxlib.training.model import load_with_adapter as load

    return load(config.model, config.lora.dtype, tokenizer, adapter)
