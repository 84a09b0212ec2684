"""A Trainer's `log_history` (`trainer.state.log_history`, written as `<stage>/log_history.json`): its training
and evaluation records, and the one rule for the best step (argmin of the finite `eval_loss`, the earliest
step on ties) that the checkpoint export, the evaluation log line and the loss plots all use."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Best:
    """The best evaluated step and its validation loss."""

    step: int
    eval_loss: float


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read_log_history(path: str | Path) -> list[dict[str, Any]]:
    """`log_history.json` as a list of records; a clear error when the file holds something else."""
    from stxlib.io import read_json

    history = read_json(Path(path))
    if not isinstance(history, list) or not all(isinstance(r, Mapping) for r in history):
        raise ValueError(f"{path} must hold a list of log records (the Trainer's log_history)")
    return history


def train_records(log_history: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records of training steps: they carry `loss` and `step` (the final record carries `train_loss`)."""
    return [r for r in log_history if "loss" in r and "step" in r]


def eval_records(log_history: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records of evaluations: they carry `eval_loss` and `step` (non-finite losses included)."""
    return [r for r in log_history if "eval_loss" in r and "step" in r]


def best_eval(log_history: Iterable[Mapping[str, Any]]) -> Best | None:
    """argmin of the logged `eval_loss`, the earliest step on ties; NaN/inf never win. None without any."""
    candidates = [
        (float(r["eval_loss"]), int(r["step"]))
        for r in eval_records(log_history)
        if is_number(r["eval_loss"]) and is_number(r["step"])
    ]
    if not candidates:
        return None
    loss, step = min(candidates)
    return Best(step=step, eval_loss=loss)


def eval_table(log_history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per evaluation: step, epoch, eval_loss and the latest training loss logged before it."""
    rows = []
    last_train = None
    for record in log_history:
        if "loss" in record:
            last_train = record["loss"]
        if "eval_loss" in record:
            rows.append(
                {
                    "step": record["step"],
                    "epoch": record.get("epoch"),
                    "eval_loss": record["eval_loss"],
                    "train_loss": last_train,
                }
            )
    return rows
