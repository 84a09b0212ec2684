"""`TrainingArguments` from the `train` section, with transformers 5 names and the recipe's choices."""

from __future__ import annotations

from typing import Any

from stxlib.config import StxConfig
from stxlib.hardware import Hardware
from stxlib.paths import RunPaths
from stxlib.train.data import LENGTH_COLUMN
from stxlib.train.model import GC_KWARGS


def scheduler_settings(config: StxConfig) -> tuple[str, float]:
    """(lr_scheduler_type, warmup_steps). qlora passed warmup_ratio=0.03 with `constant`, which ignores
    warmup: passing the ratio unchanged reproduces that no-op. `apply_warmup` switches `constant` to
    `constant_with_warmup` so the ratio takes effect."""
    train = config.train
    kind = train.lr_scheduler_type
    if kind == "constant" and train.apply_warmup:
        kind = "constant_with_warmup"
    return kind, train.warmup_ratio


def training_arguments(
    config: StxConfig,
    paths: RunPaths,
    hardware: Hardware,
    optim: str,
    *,
    processes: int = 1,
    disable_tqdm: bool = False,
) -> Any:
    from transformers import TrainingArguments

    train = config.train
    scheduler, warmup = scheduler_settings(config)
    backend = None  # single process: no process group at all
    if processes > 1:
        backend = train.ddp_backend if train.ddp_backend != "auto" else ("nccl" if hardware.cuda else "gloo")
    return TrainingArguments(
        output_dir=str(paths.checkpoints),
        seed=config.run.seed,
        max_steps=train.max_steps,
        per_device_train_batch_size=train.per_device_train_batch_size,
        per_device_eval_batch_size=train.per_device_eval_batch_size,
        gradient_accumulation_steps=train.gradient_accumulation_steps,
        learning_rate=train.learning_rate,
        lr_scheduler_type=scheduler,
        warmup_steps=warmup,
        optim=optim,
        adam_beta1=train.adam_beta1,
        adam_beta2=train.adam_beta2,
        adam_epsilon=train.adam_epsilon,
        weight_decay=train.weight_decay,
        max_grad_norm=train.max_grad_norm,
        eval_strategy="steps",
        eval_steps=train.eval_steps,
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=train.save_total_limit,
        # Track the best eval_loss so that checkpoint rotation (save_total_limit) never deletes it.
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        load_best_model_at_end=False,
        logging_strategy="steps",
        logging_steps=train.logging_steps,
        logging_nan_inf_filter=False,
        train_sampling_strategy="group_by_length" if train.group_by_length else "random",
        length_column_name=LENGTH_COLUMN,
        remove_unused_columns=False,
        activation_checkpointing=train.gradient_checkpointing,
        activation_checkpointing_kwargs=dict(GC_KWARGS) if train.gradient_checkpointing else None,
        bf16=train.bf16,
        fp16=train.fp16,
        use_cpu=not hardware.cuda,
        dataloader_num_workers=train.dataloader_num_workers,
        ddp_backend=backend,
        ddp_find_unused_parameters=False,
        report_to="none",
        disable_tqdm=disable_tqdm,
        save_only_model=False,
    )
