"""Trainer callbacks: a log line per evaluation, and a stop on non-finite loss."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from transformers import ProgressCallback, TrainerCallback


class TrainingDivergedError(RuntimeError):
    """The training loss or gradient norm became NaN or infinite."""


class EvalLogCallback(TrainerCallback):
    """Prints `step N/M: eval_loss X (best Y at step S)` after each evaluation (main process only)."""

    def __init__(self, echo: Callable[[str], None] = print) -> None:
        self.echo = echo

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, **kw: Any):
        if not state.is_world_process_zero or not metrics or "eval_loss" not in metrics:
            return
        evals = [(r["eval_loss"], r["step"]) for r in state.log_history if "eval_loss" in r]
        if not any(step == state.global_step for _, step in evals):  # normally logged just before this call
            evals.append((metrics["eval_loss"], state.global_step))
        best_loss, best_step = min(evals, key=lambda x: (x[0], x[1]))
        self.echo(
            f"step {state.global_step}/{state.max_steps}: eval_loss {metrics['eval_loss']:.4f} "
            f"(best {best_loss:.4f} at step {best_step})"
        )


class NonFiniteLossCallback(TrainerCallback):
    """Stops training with a clear error when a logged loss or gradient norm is not finite."""

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, float) and not math.isfinite(value):
                raise TrainingDivergedError(
                    f"{key} is {value} at step {state.global_step}: training diverged. Lower train.learning_rate, "
                    "keep train.max_grad_norm (0.3), or check the data (empty targets give a NaN mean loss)"
                )


class CompactProgressCallback(ProgressCallback):
    """The Trainer's tqdm bar with the latest loss and learning rate as its postfix, instead of one printed
    dict per logging step and a nested bar per evaluation (evaluations get `EvalLogCallback`'s line)."""

    def on_prediction_step(self, args: Any, state: Any, control: Any, eval_dataloader: Any = None, **kw: Any):
        return None

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any):
        if state.is_world_process_zero and self.training_bar is not None and logs and "loss" in logs:
            postfix = {"loss": f"{logs['loss']:.4g}"}
            if "learning_rate" in logs:
                postfix["lr"] = f"{logs['learning_rate']:.3g}"
            self.training_bar.set_postfix(postfix, refresh=False)
