"""The Trainer's arguments from `TrainerSettings` (transformers 5 names), plus a kind's own fields."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stxlib.config.training import TrainerSettings
from stxlib.hardware import Hardware
from stxlib.training.model import GC_KWARGS


def ddp_backend(settings: TrainerSettings, hardware: Hardware, processes: int) -> str | None:
    """None for a single process (no process group at all); else the configured backend ("auto": nccl on
    CUDA, gloo on CPU)."""
    if processes <= 1:
        return None
    return settings.ddp_backend if settings.ddp_backend != "auto" else ("nccl" if hardware.cuda else "gloo")


def argument_fields(
    settings: TrainerSettings,
    output_dir: str | Path,
    seed: int,
    hardware: Hardware,
    optim: str,
    *,
    processes: int = 1,
    disable_tqdm: bool = False,
) -> dict[str, Any]:
    """Every field a session sets, whatever the kind: the settings, step-wise evaluation and saving (every
    evaluated step is kept, and `eval_loss` is tracked so that checkpoint rotation never deletes the best),
    logging without hiding NaN/inf, non-reentrant checkpointing, and the hardware's choices."""
    return {
        "output_dir": str(output_dir),
        "seed": seed,
        "max_steps": settings.max_steps,
        "per_device_train_batch_size": settings.per_device_train_batch_size,
        "per_device_eval_batch_size": settings.per_device_eval_batch_size,
        "gradient_accumulation_steps": settings.gradient_accumulation_steps,
        "learning_rate": settings.learning_rate,
        "lr_scheduler_type": settings.lr_scheduler_type,
        # transformers 5 reads a value below 1 as a ratio of the steps
        "warmup_steps": settings.warmup_ratio,
        "optim": optim,
        "adam_beta1": settings.adam_beta1,
        "adam_beta2": settings.adam_beta2,
        "adam_epsilon": settings.adam_epsilon,
        "weight_decay": settings.weight_decay,
        "max_grad_norm": settings.max_grad_norm,
        "eval_strategy": "steps",
        "eval_steps": settings.eval_steps,
        "save_strategy": "steps",
        "save_steps": settings.save_steps,
        "save_total_limit": settings.save_total_limit,
        "metric_for_best_model": "eval_loss",
        "greater_is_better": False,
        "load_best_model_at_end": False,
        "logging_strategy": "steps",
        "logging_steps": settings.logging_steps,
        "logging_nan_inf_filter": False,
        "activation_checkpointing": settings.gradient_checkpointing,
        "activation_checkpointing_kwargs": dict(GC_KWARGS) if settings.gradient_checkpointing else None,
        "bf16": settings.bf16,
        "fp16": settings.fp16,
        "use_cpu": not hardware.cuda,
        "dataloader_num_workers": settings.dataloader_num_workers,
        "ddp_backend": ddp_backend(settings, hardware, processes),
        "ddp_find_unused_parameters": False,
        "report_to": "none",
        "disable_tqdm": disable_tqdm,
        "save_only_model": False,
    }


def build_arguments(
    settings: TrainerSettings,
    output_dir: str | Path,
    seed: int,
    hardware: Hardware,
    optim: str,
    *,
    arguments_class: type | None = None,
    extra: Mapping[str, Any] | None = None,
    processes: int = 1,
    disable_tqdm: bool = False,
) -> Any:
    """`arguments_class` (default `TrainingArguments`; e.g. trl's `DPOConfig`) from the settings, then `extra`
    (a kind's fields, which may override the shared ones)."""
    if arguments_class is None:
        from transformers import TrainingArguments

        arguments_class = TrainingArguments
    fields = argument_fields(
        settings, output_dir, seed, hardware, optim, processes=processes, disable_tqdm=disable_tqdm
    )
    fields.update(extra or {})
    return arguments_class(**fields)
