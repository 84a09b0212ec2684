"""The `lora` and `train` params sections: the card's hyperparameters by name."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from stxlib.config.base import Section


class LoraSection(Section):
    """LoRA adapter settings (the card: r=64, alpha=16, dropout 0.05, all linear layers but lm_head)."""

    r: int = 64
    alpha: int = 16
    dropout: float = 0.05
    target_modules: str | list[str] = "all-linear"
    bias: Literal["none", "all", "lora_only"] = "none"
    # qlora cast the LoRA weights to bf16 after wrapping; "float32" keeps peft's default fp32 adapters.
    dtype: Literal["bfloat16", "float32"] = "bfloat16"


class TrainSection(Section):
    """Trainer settings, named as in the card / qlora. See specs/stx-recipe.md §3."""

    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 2
    per_device_eval_batch_size: int = 16
    learning_rate: float = 2e-4
    lr_scheduler_type: Literal["constant", "constant_with_warmup", "linear", "cosine"] = "constant"
    warmup_ratio: float = 0.03
    # qlora passed warmup_ratio with a `constant` schedule, which ignores it (a no-op). True applies it.
    apply_warmup: bool = False
    max_steps: int = 1000
    eval_steps: int = 50
    save_steps: int = 50
    logging_steps: int = 10
    max_grad_norm: float = 0.3
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    weight_decay: float = 0.0
    optim: str = "paged_adamw_32bit"
    group_by_length: bool = True
    # "2023": mean of micro-batch means under gradient accumulation (transformers 4.31);
    # "token_mean": the modern mean over every target token of the accumulated batch.
    loss_scaling: Literal["2023", "token_mean"] = "2023"
    gradient_checkpointing: bool = True
    # "qlora": source and target tokenised separately (faithful); "joint": prompt+completion together.
    collator: Literal["qlora", "joint"] = "qlora"
    train_on_source: bool = False
    bf16: bool = True
    save_total_limit: int | None = None
    resume: bool = True
    dataloader_num_workers: int = 0

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

    @field_validator("learning_rate")
    @classmethod
    def _positive_lr(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"must be > 0, got {value}")
        return value

    @field_validator("warmup_ratio")
    @classmethod
    def _ratio(cls, value: float) -> float:
        if not 0 <= value < 1:
            raise ValueError(f"must be in [0, 1), got {value}")
        return value
