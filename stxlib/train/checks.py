"""Refuse bad training settings before any model is loaded, naming the params key and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field

from stxlib.config import StxConfig
from stxlib.hardware import Hardware
from stxlib.paths import RunPaths
from stxlib.train.errors import TrainSetupError

CPU_OPTIMIZER = "adamw_torch"


@dataclass
class Resolved:
    """Settings after the hardware was taken into account, with the notes to print."""

    optim: str
    notes: list[str] = field(default_factory=list)


def check_data_files(paths: RunPaths) -> None:
    """The data stage's outputs must exist."""
    missing = [p for p in (paths.train_file, paths.validation_file) if not p.is_file()]
    if missing:
        raise TrainSetupError(
            f"no training data: {', '.join(str(p) for p in missing)} missing. Run the data stage first "
            f"(stx run PARAMS --stages data, or stx mix PARAMS --run-dir {paths.root})"
        )


def check_precision(config: StxConfig, hardware: Hardware) -> None:
    """bf16 only where the hardware has it, fp16 only on CUDA."""
    wanted = {
        "train.bf16": "bfloat16" if config.train.bf16 else None,
        "train.fp16": "float16" if config.train.fp16 else None,
        "model.dtype": config.model.dtype,
    }
    if config.model.quantization.load_in_4bit:
        wanted["model.quantization.compute_dtype"] = config.model.quantization.compute_dtype
    for key, dtype in wanted.items():
        if dtype == "bfloat16" and not hardware.bf16:
            raise TrainSetupError(
                f"{key} asks for bfloat16 but {hardware.name} has no bf16 support; set it to float32 "
                "(train.bf16=false) or use an Ampere or newer GPU (A100, H100, RTX 30xx+)"
            )
        if dtype == "float16" and not hardware.cuda:
            raise TrainSetupError(
                f"{key} asks for float16, which needs a CUDA GPU; on CPU use bfloat16 or float32 "
                "(train.fp16=false, model.dtype=float32)"
            )


def check_steps(config: StxConfig) -> None:
    """Every evaluated state must be saved, so that the best one can be exported."""
    train = config.train
    if train.eval_steps % train.save_steps:
        raise TrainSetupError(
            f"train.eval_steps={train.eval_steps} is not a multiple of train.save_steps={train.save_steps}: some "
            "evaluated steps would have no checkpoint to keep as the best adapter. Use save_steps equal to "
            "eval_steps (the card: 50 and 50) or a divisor of it"
        )
    if train.max_steps < train.eval_steps:
        raise TrainSetupError(
            f"train.max_steps={train.max_steps} is below train.eval_steps={train.eval_steps}: no evaluation would "
            "run and no best checkpoint could be chosen; lower eval_steps or raise max_steps"
        )


def check_batch_sizes(config: StxConfig, train_rows: int, eval_rows: int, processes: int) -> None:
    """A batch must fit in the data it is drawn from."""
    per_step = config.train.per_device_train_batch_size * processes
    if per_step > train_rows:
        raise TrainSetupError(
            f"train.per_device_train_batch_size={config.train.per_device_train_batch_size}"
            + (f" x {processes} processes" if processes > 1 else "")
            + f" is larger than the training set ({train_rows} rows); lower the batch size or add data "
            "(data.samples_per_source)"
        )
    if eval_rows < 1:
        raise TrainSetupError(
            "the validation set is empty: the best checkpoint is chosen by eval_loss; set data.eval_size > 0"
        )


def resolve_optimizer(config: StxConfig, hardware: Hardware) -> Resolved:
    """The optimizer name to give the Trainer; paged optimizers fall back to AdamW on CPU."""
    from transformers.training_args import OptimizerNames

    name = config.train.optim
    known = [o.value for o in OptimizerNames]
    if name not in known:
        raise TrainSetupError(
            f"train.optim={name!r} is not a transformers optimizer; use paged_adamw_32bit (the card), "
            f"adamw_torch, or one of: {', '.join(sorted(known))}"
        )
    if name.startswith("paged_") and not hardware.cuda:
        note = (
            f"optimizer: {name} needs CUDA (paged memory); this CPU run uses {CPU_OPTIMIZER} "
            f"(same AdamW update: betas {config.train.adam_beta1}/{config.train.adam_beta2}, "
            f"eps {config.train.adam_epsilon}, weight decay {config.train.weight_decay})"
        )
        return Resolved(optim=CPU_OPTIMIZER, notes=[note])
    return Resolved(optim=name, notes=[f"optimizer: {name}"])


def check_all(config: StxConfig, hardware: Hardware) -> Resolved:
    """The checks that need neither data nor model."""
    check_precision(config, hardware)
    check_steps(config)
    return resolve_optimizer(config, hardware)
