"""Refuse bad training settings before any model is loaded, naming the params key and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field

from stxlib.config.training import TrainerSettings
from stxlib.hardware import Hardware
from stxlib.training.errors import TrainSetupError
from stxlib.training.kind import TrainingSpec

CPU_OPTIMIZER = "adamw_torch"


@dataclass
class Resolved:
    """Settings after the hardware was taken into account, with the notes to print."""

    optim: str
    notes: list[str] = field(default_factory=list)


def check_precision(spec: TrainingSpec, hardware: Hardware) -> None:
    """bf16 only where the hardware has it, fp16 only on CUDA."""
    settings, model = spec.trainer, spec.model
    wanted = {
        spec.key("bf16"): "bfloat16" if settings.bf16 else None,
        spec.key("fp16"): "float16" if settings.fp16 else None,
        "model.dtype": model.dtype,
    }
    if model.quantization.load_in_4bit:
        wanted["model.quantization.compute_dtype"] = model.quantization.compute_dtype
    for key, dtype in wanted.items():
        if dtype == "bfloat16" and not hardware.bf16:
            raise TrainSetupError(
                f"{key} asks for bfloat16 but {hardware.name} has no bf16 support; set it to float32 "
                f"({spec.key('bf16')}=false) or use an Ampere or newer GPU (A100, H100, RTX 30xx+)"
            )
        if dtype == "float16" and not hardware.cuda:
            raise TrainSetupError(
                f"{key} asks for float16, which needs a CUDA GPU; on CPU use bfloat16 or float32 "
                f"({spec.key('fp16')}=false, model.dtype=float32)"
            )


def check_steps(settings: TrainerSettings, section: str) -> None:
    """Every evaluated state must be saved, so that the best one can be exported (needs the settings only)."""
    if settings.eval_steps % settings.save_steps:
        raise TrainSetupError(
            f"{section}.eval_steps={settings.eval_steps} is not a multiple of {section}.save_steps="
            f"{settings.save_steps}: some evaluated steps would have no checkpoint to keep as the best adapter. "
            "Use save_steps equal to eval_steps (the card: 50 and 50) or a divisor of it"
        )
    if settings.max_steps < settings.eval_steps:
        raise TrainSetupError(
            f"{section}.max_steps={settings.max_steps} is below {section}.eval_steps={settings.eval_steps}: no "
            "evaluation would run and no best checkpoint could be chosen; lower eval_steps or raise max_steps"
        )


def check_full_finetune(spec: TrainingSpec) -> None:
    """Full fine-tuning trains every weight: bitsandbytes 4-bit weights cannot be trained."""
    if spec.full_finetune and spec.model.quantization.load_in_4bit:
        raise TrainSetupError(
            f"{spec.section} fine-tunes every weight, which a 4-bit model cannot do; set "
            "model.quantization.load_in_4bit=false (and model.dtype), or train a LoRA adapter"
        )


def check_batch_sizes(spec: TrainingSpec, train_rows: int, eval_rows: int, processes: int) -> None:
    """A batch must fit in the data it is drawn from."""
    batch = spec.trainer.per_device_train_batch_size
    if batch * processes > train_rows:
        raise TrainSetupError(
            f"{spec.key('per_device_train_batch_size')}={batch}"
            + (f" x {processes} processes" if processes > 1 else "")
            + f" is larger than the training set ({train_rows} rows); lower the batch size or {spec.add_data_hint}"
        )
    if eval_rows < 1:
        raise TrainSetupError(
            f"the validation set is empty: the best checkpoint is chosen by eval_loss; {spec.eval_data_hint}"
        )


def check_optimizer_name(settings: TrainerSettings, section: str) -> str:
    """The optimizer must be one transformers knows (needs the settings only)."""
    from transformers.training_args import OptimizerNames

    name = settings.optim
    known = [o.value for o in OptimizerNames]
    if name not in known:
        raise TrainSetupError(
            f"{section}.optim={name!r} is not a transformers optimizer; use paged_adamw_32bit (the card), "
            f"adamw_torch, or one of: {', '.join(sorted(known))}"
        )
    return name


def resolve_optimizer(spec: TrainingSpec, hardware: Hardware) -> Resolved:
    """The optimizer name to give the Trainer; paged optimizers fall back to AdamW on CPU."""
    settings = spec.trainer
    name = check_optimizer_name(settings, spec.section)
    if name.startswith("paged_") and not hardware.cuda:
        note = (
            f"optimizer: {name} needs CUDA (paged memory); this CPU run uses {CPU_OPTIMIZER} "
            f"(same AdamW update: betas {settings.adam_beta1}/{settings.adam_beta2}, "
            f"eps {settings.adam_epsilon}, weight decay {settings.weight_decay})"
        )
        return Resolved(optim=CPU_OPTIMIZER, notes=[note])
    return Resolved(optim=name, notes=[f"optimizer: {name}"])


def check_settings(settings: TrainerSettings, section: str) -> None:
    """The checks that need the settings alone (a stage's `check_config` runs them before any stage starts)."""
    check_steps(settings, section)
    check_optimizer_name(settings, section)


def check_all(spec: TrainingSpec, hardware: Hardware) -> Resolved:
    """The checks that need neither data nor model."""
    check_precision(spec, hardware)
    check_steps(spec.trainer, spec.section)
    check_full_finetune(spec)
    return resolve_optimizer(spec, hardware)
