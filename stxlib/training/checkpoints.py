"""Checkpoints: which settings made them (a resume must not mix settings), which one to resume from, and
exporting the best one (argmin eval_loss): `best_adapter/` for LoRA, `final/` (the whole model) for full
fine-tuning."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from stxlib.config.training import TrainerSettings
from stxlib.history import Best, best_eval
from stxlib.io import atomic_dir, read_json, write_json
from stxlib.paths import TrainingDirs
from stxlib.training.errors import TrainSetupError
from stxlib.training.kind import TrainingSpec

FINGERPRINT_FILE = "stx_fingerprint.json"
BEST_META_FILE = "stx_best.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
MODEL_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")  # one file, or the index of shards
# What a checkpoint holds for resuming only (not part of an exported model).
TRAINING_STATE = re.compile(
    r"^(optimizer\.pt|scheduler\.pt|scaler\.pt|rng_state.*\.pth|trainer_state\.json|training_args\.bin"
    r"|stx_tokens_rank\d+\.json)$"
)
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
# Trainer settings that do not change what is computed: a resume may differ in these.
RESUME_NEUTRAL = frozenset({"resume", "dataloader_num_workers", "save_total_limit", "cpu_threads"})


def settings_keys(section: str, settings: type[TrainerSettings]) -> list[str]:
    """Dotted keys of a Trainer-settings section that shape the trajectory (for `StxConfig.fingerprint`)."""
    return [f"{section}.{k}" for k in settings.model_fields if k not in RESUME_NEUTRAL]


def hash_files(paths: Iterable[Path]) -> str:
    """Hash of the files' bytes, in order (a resumed run must see the same data)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def checkpoint_step(path: Path) -> int | None:
    match = _CHECKPOINT.match(path.name)
    return int(match.group(1)) if match else None


def checkpoint_dirs(root: Path) -> list[Path]:
    """`checkpoint-N` folders under `root`, by step."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and checkpoint_step(p) is not None]
    return sorted(found, key=lambda p: checkpoint_step(p) or 0)


def has_weights(checkpoint: Path, *, full: bool) -> bool:
    """The adapter files (LoRA) or the model weights (full fine-tuning) are there."""
    if full:
        return any((checkpoint / name).is_file() for name in MODEL_WEIGHTS)
    return all((checkpoint / name).is_file() for name in ADAPTER_FILES)


def is_complete(checkpoint: Path, *, full: bool = False) -> bool:
    """The Trainer writes trainer_state.json last; an interrupted save lacks it or the optimizer."""
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    state = all((checkpoint / name).is_file() for name in ("optimizer.pt", "scheduler.pt"))
    return state and has_weights(checkpoint, full=full)


def last_complete_checkpoint(root: Path, *, full: bool = False) -> Path | None:
    complete = [p for p in checkpoint_dirs(root) if is_complete(p, full=full)]
    return complete[-1] if complete else None


def finished(checkpoint: Path, max_steps: int) -> bool:
    """Whether `checkpoint` was saved at (or past) the last step."""
    step = checkpoint_step(checkpoint)
    return step is not None and step >= max_steps


def prepare_checkpoints(
    spec: TrainingSpec, fingerprint: Mapping[str, Any], *, main: bool, echo: Callable[[str], None] = print
) -> Path | None:
    """Decide where training starts. Returns the checkpoint to resume from, or None for a fresh start.

    With `<section>.resume` (default) an existing checkpoint of the same fingerprint is resumed; checkpoints
    of another fingerprint are refused with the fix. `resume=false` deletes earlier checkpoints and starts over.
    """
    root = spec.dirs.checkpoints
    record = root / FINGERPRINT_FILE
    existing = checkpoint_dirs(root)
    if not spec.trainer.resume:
        if existing and main:
            echo(f"{spec.key('resume')}=false: deleting {len(existing)} earlier checkpoint(s) in {root}")
            shutil.rmtree(root)
        existing = []
    if existing:
        old = read_json(record) if record.is_file() else None
        if old != dict(fingerprint):
            changed = (
                ", ".join(k for k in fingerprint if (old or {}).get(k) != fingerprint[k]) if old else "unknown origin"
            )
            raise TrainSetupError(
                f"{root} holds checkpoints made with different settings ({changed}); resuming would mix them. "
                f"Use another run folder, or start over with --set {spec.key('resume')}=false (deletes those "
                "checkpoints)"
            )
        resume = last_complete_checkpoint(root, full=spec.full_finetune)
        if resume is not None:
            echo(f"resuming from {resume.name} (optimizer, scheduler and RNG state restored)")
            return resume
        echo(f"{root} has no complete checkpoint yet; starting from step 0")
    if main:
        write_json(record, dict(fingerprint))
    return None


def remove_stale_outputs(dirs: TrainingDirs) -> None:
    """Outputs of an earlier run that a fresh start replaces (so a half-done run never looks complete)."""
    for folder in (dirs.best_adapter, dirs.final):
        shutil.rmtree(folder, ignore_errors=True)
    for path in (dirs.log_history, dirs.train_summary):
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- best checkpoint


def select_best(log_history: Iterable[Mapping[str, Any]]) -> Best:
    """argmin of the logged eval_loss; the earliest step on ties. NaN losses never win."""
    best = best_eval(log_history)
    if best is None:
        raise TrainSetupError("no finite eval_loss was logged: nothing to choose the best adapter by")
    return best


def _write_meta(folder: Path, best: Best, source: Path, meta: Mapping[str, Any]) -> None:
    record = {"step": best.step, "eval_loss": best.eval_loss, "checkpoint": source.name, **meta}
    (folder / BEST_META_FILE).write_text(json.dumps(record, indent=2) + "\n")


def export_best_adapter(dirs: TrainingDirs, best: Best, meta: Mapping[str, Any]) -> Path:
    """Copy the adapter of `checkpoint-<best.step>` to `best_adapter/` (atomically) with a note of where it
    came from. Only the Trainer's own files are used (no nested-folder callback as in qlora)."""
    source = dirs.checkpoints / f"checkpoint-{best.step}"
    if not has_weights(source, full=False):
        raise TrainSetupError(
            f"the best step {best.step} (eval_loss {best.eval_loss:.4f}) has no complete adapter in {source}; "
            "keep every evaluated step (save_steps dividing eval_steps, save_total_limit null)"
        )
    with atomic_dir(dirs.best_adapter) as tmp:
        for name in ADAPTER_FILES:
            shutil.copy2(source / name, tmp / name)
        if (tmp / "adapter_model.safetensors").stat().st_size == 0:
            raise TrainSetupError(f"{source}/adapter_model.safetensors is empty; the checkpoint is broken")
        _write_meta(tmp, best, source, meta)
    return dirs.best_adapter


def export_best_model(dirs: TrainingDirs, best: Best, meta: Mapping[str, Any]) -> Path:
    """Full fine-tuning: copy the model of `checkpoint-<best.step>` (weights, config, tokenizer; not the
    optimizer or other resume state) to `final/` (atomically), loadable with `from_pretrained`."""
    source = dirs.checkpoints / f"checkpoint-{best.step}"
    if not has_weights(source, full=True):
        raise TrainSetupError(
            f"the best step {best.step} (eval_loss {best.eval_loss:.4f}) has no model weights in {source}; "
            "keep every evaluated step (save_steps dividing eval_steps, save_total_limit null)"
        )
    with atomic_dir(dirs.final) as tmp:
        for path in sorted(source.iterdir()):
            if path.is_file() and not TRAINING_STATE.match(path.name):
                shutil.copy2(path, tmp / path.name)
        _write_meta(tmp, best, source, meta)
    return dirs.final
