"""The `lora` and `train` params sections: the card's hyperparameters by name.

`TrainerSettings` holds the Trainer hyperparameters every training kind shares; `TrainSection` adds the STX
recipe's own switches. Cross-checks that need the data or the hardware (batch size against the training rows,
bf16 support) happen when training starts, in `stxlib.training.checks`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from stxlib.config.base import (
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Section,
    UnitInterval,
)


class LoraSection(Section):
    """LoRA adapter settings (the card: r=64, alpha=16, dropout 0.05, all linear layers but lm_head)."""

    r: PositiveInt = 64
    alpha: PositiveInt = 16
    dropout: UnitInterval = 0.05
    # "all-linear": every linear layer except the output layer (qlora's find_all_linear_names), or a list of names.
    target_modules: str | list[str] = "all-linear"
    bias: Literal["none", "all", "lora_only"] = "none"
    # qlora cast the LoRA weights to bf16 after wrapping; "float32" keeps peft's default fp32 adapters.
    dtype: Literal["bfloat16", "float32"] = "bfloat16"

    @field_validator("target_modules")
    @classmethod
    def _targets(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str) and value != "all-linear":
            raise ValueError(f"must be 'all-linear' or a list of module names such as [q_proj, v_proj], got {value!r}")
        if isinstance(value, list):
            if not value:
                raise ValueError("the list of target modules is empty; use 'all-linear' or name modules")
            if "lm_head" in value:
                raise ValueError("lm_head cannot be a LoRA target (the recipe adapts every linear layer except it)")
        return value


class TrainerSettings(Section):
    """The Trainer hyperparameters every training kind shares (STX's `train`, and the Shisa stages' sections),
    named as in the card / qlora (see specs/stx-recipe.md §3). Defaults are the STX card's; a stage's section
    may subclass this with other defaults and add its own fields."""

    per_device_train_batch_size: PositiveInt = 8
    gradient_accumulation_steps: PositiveInt = 2
    per_device_eval_batch_size: PositiveInt = 16
    learning_rate: PositiveFloat = 2e-4
    lr_scheduler_type: Literal["constant", "constant_with_warmup", "linear", "cosine"] = "constant"
    warmup_ratio: UnitInterval = 0.03
    max_steps: PositiveInt = 1000
    eval_steps: PositiveInt = 50
    save_steps: PositiveInt = 50
    logging_steps: PositiveInt = 10
    max_grad_norm: NonNegativeFloat = 0.3
    adam_beta1: UnitInterval = 0.9
    adam_beta2: UnitInterval = 0.999
    adam_epsilon: NonNegativeFloat = 1e-8
    weight_decay: NonNegativeFloat = 0.0
    # paged_* optimizers need CUDA; on CPU stx trains with plain `adamw_torch` and says so in the log.
    optim: str = "paged_adamw_32bit"
    gradient_checkpointing: bool = True
    # Mixed precision of the Trainer (autocast). bf16 works on CPU and on Ampere+ GPUs; fp16 needs CUDA.
    bf16: bool = True
    fp16: bool = False
    save_total_limit: PositiveInt | None = None
    # Continue from the last checkpoint in <stage>/checkpoints/ (optimizer, scheduler and RNG state).
    # False starts over and deletes earlier checkpoints of this run.
    resume: bool = True
    dataloader_num_workers: NonNegativeInt = 0
    # CPU threads per training process (torch.set_num_threads); null keeps torch's default. Tiny models
    # train faster on one thread (their ops are too small to split, and extra threads spin on a busy CPU).
    cpu_threads: PositiveInt | None = None
    # Multi-process (torchrun) backend: "auto" is nccl on CUDA, gloo on CPU.
    ddp_backend: Literal["auto", "gloo", "nccl"] = "auto"

    @field_validator(
        "per_device_train_batch_size",
        "gradient_accumulation_steps",
        "per_device_eval_batch_size",
        "max_steps",
        "eval_steps",
        "save_steps",
        "logging_steps",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be a positive integer, got {value}")
        return value

    @model_validator(mode="after")
    def _one_precision(self) -> TrainerSettings:
        if self.bf16 and self.fp16:
            raise ValueError("bf16 and fp16 are both true; choose one mixed precision (the card: bf16)")
        return self

    @property
    def effective_batch_size(self) -> int:
        """Sequences per optimizer step in one process (times the number of processes under torchrun)."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps


class TrainSection(TrainerSettings):
    """The STX stage's `train` section: the shared Trainer settings plus the recipe's fidelity switches."""

    # qlora passed warmup_ratio with a `constant` schedule, which ignores it (a no-op). True applies it
    # (`constant` becomes `constant_with_warmup`). Other schedules always apply it, as in qlora.
    apply_warmup: bool = False
    # qlora's length grouping (length = characters of input + output), the Trainer's
    # `train_sampling_strategy="group_by_length"` in transformers 5.
    group_by_length: bool = True
    # "sequential": evaluate in file order like transformers 4.31 did; "group_by_length": transformers 5's
    # behaviour when length grouping is on (eval batches grouped by length too; eval_loss then differs).
    eval_sampling: Literal["sequential", "group_by_length"] = "sequential"
    # "2023": mean of micro-batch means under gradient accumulation (transformers 4.31);
    # "token_mean": the modern mean over every target token of the accumulated batch.
    loss_scaling: Literal["2023", "token_mean"] = "2023"
    # "qlora": source and target tokenised separately (faithful); "joint": prompt+completion together.
    collator: Literal["qlora", "joint"] = "qlora"
    train_on_source: bool = False

    @field_validator("loss_scaling", mode="before")
    @classmethod
    def _year_as_text(cls, value: object) -> object:
        # `--set train.loss_scaling=2023` and an unquoted `2023` in YAML arrive as an int
        return "2023" if value == 2023 and not isinstance(value, bool) else value
