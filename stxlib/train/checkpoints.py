"""Checkpoints: which params made them (a resume must not mix settings), which one to resume from,
and exporting the best one (argmin eval_loss) as `train/best_adapter/`."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig, TrainSection
from stxlib.io import atomic_dir, read_json, write_json
from stxlib.paths import RunPaths
from stxlib.train.data import data_fingerprint
from stxlib.train.errors import TrainSetupError

FINGERPRINT_FILE = "stx_fingerprint.json"
BEST_META_FILE = "stx_best.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
# Train settings that do not change what is computed: a resume may differ in these.
RESUME_NEUTRAL = {"resume", "dataloader_num_workers", "save_total_limit", "cpu_threads"}


def training_fingerprint(config: StxConfig, paths: RunPaths, processes: int) -> dict[str, Any]:
    """Per-part hashes of everything that shapes the trajectory (so a mismatch can be named)."""
    train_keys = [f"train.{k}" for k in TrainSection.model_fields if k not in RESUME_NEUTRAL]
    return {
        "run.seed": config.fingerprint(["run.seed"]),
        "data": config.fingerprint(["data"]),
        "data files": data_fingerprint(paths),
        "model": config.fingerprint(["model"]),
        "lora": config.fingerprint(["lora"]),
        "train": config.fingerprint(train_keys),
        "processes": processes,
    }


def checkpoint_step(path: Path) -> int | None:
    match = _CHECKPOINT.match(path.name)
    return int(match.group(1)) if match else None


def checkpoint_dirs(root: Path) -> list[Path]:
    """`checkpoint-N` folders under `root`, by step."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and checkpoint_step(p) is not None]
    return sorted(found, key=lambda p: checkpoint_step(p) or 0)


def is_complete(checkpoint: Path) -> bool:
    """The Trainer writes trainer_state.json last; an interrupted save lacks it or the optimizer."""
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return all((checkpoint / name).is_file() for name in (*ADAPTER_FILES, "optimizer.pt", "scheduler.pt"))


def last_complete_checkpoint(root: Path) -> Path | None:
    complete = [p for p in checkpoint_dirs(root) if is_complete(p)]
    return complete[-1] if complete else None


def prepare_checkpoints(
    config: StxConfig, paths: RunPaths, fingerprint: Mapping[str, Any], *, main: bool, echo=print
) -> Path | None:
    """Decide where training starts. Returns the checkpoint to resume from, or None for a fresh start.

    With `train.resume` (default) an existing checkpoint of the same params is resumed; checkpoints of
    other params are refused with the fix. `train.resume=false` deletes earlier checkpoints and starts over.
    """
    root = paths.checkpoints
    record = root / FINGERPRINT_FILE
    existing = checkpoint_dirs(root)
    if not config.train.resume:
        if existing and main:
            echo(f"train.resume=false: deleting {len(existing)} earlier checkpoint(s) in {root}")
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
                "Use another run folder, or start over with --set train.resume=false (deletes those checkpoints)"
            )
        resume = last_complete_checkpoint(root)
        if resume is not None:
            echo(f"resuming from {resume.name} (optimizer, scheduler and RNG state restored)")
            return resume
        echo(f"{root} has no complete checkpoint yet; starting from step 0")
    if main:
        write_json(record, dict(fingerprint))
    return None


# ---------------------------------------------------------------- best checkpoint


@dataclass(frozen=True)
class Best:
    step: int
    eval_loss: float


def eval_records(log_history: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in log_history if "eval_loss" in r and "step" in r]


def select_best(log_history: Sequence[Mapping[str, Any]]) -> Best:
    """argmin of the logged eval_loss; the earliest step on ties. NaN losses never win."""
    import math

    evals = [r for r in eval_records(log_history) if math.isfinite(r["eval_loss"])]
    if not evals:
        raise TrainSetupError("no finite eval_loss was logged: nothing to choose the best adapter by")
    best = min(evals, key=lambda r: (r["eval_loss"], r["step"]))
    return Best(step=int(best["step"]), eval_loss=float(best["eval_loss"]))


def export_best_adapter(paths: RunPaths, best: Best, meta: Mapping[str, Any]) -> Path:
    """Copy the adapter of `checkpoint-<best.step>` to `train/best_adapter/` (atomically) with a note of
    where it came from. Only the Trainer's own files are used (no nested-folder callback as in qlora)."""
    source = paths.checkpoints / f"checkpoint-{best.step}"
    if not all((source / name).is_file() for name in ADAPTER_FILES):
        raise TrainSetupError(
            f"the best step {best.step} (eval_loss {best.eval_loss:.4f}) has no complete adapter in {source}; "
            "keep every evaluated step (save_steps dividing eval_steps, save_total_limit null)"
        )
    with atomic_dir(paths.best_adapter) as tmp:
        for name in ADAPTER_FILES:
            shutil.copy2(source / name, tmp / name)
        if (tmp / "adapter_model.safetensors").stat().st_size == 0:
            raise TrainSetupError(f"{source}/adapter_model.safetensors is empty; the checkpoint is broken")
        (tmp / BEST_META_FILE).write_text(
            json.dumps({"step": best.step, "eval_loss": best.eval_loss, "checkpoint": source.name, **meta}, indent=2)
            + "\n"
        )
    return paths.best_adapter
