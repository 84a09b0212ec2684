"""Trainer callbacks of every session: a log line per evaluation, a stop on non-finite loss, a compact bar."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from transformers import ProgressCallback, TrainerCallback

from stxlib.history import best_eval
from stxlib.training.errors import TrainingDivergedError


class EvalLogCallback(TrainerCallback):
    """Prints `step N/M: eval_loss X (best Y at step S)` after each evaluation (main process only)."""

    def __init__(self, echo: Callable[[str], None] = print) -> None:
        self.echo = echo

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, **kw: Any):
        if not state.is_world_process_zero or not metrics or "eval_loss" not in metrics:
            return
        history = list(state.log_history)
        if not any(r.get("step") == state.global_step and "eval_loss" in r for r in history):
            history.append({"step": state.global_step, "eval_loss": metrics["eval_loss"]})  # normally logged already
        best = best_eval(history)
        so_far = f"best {best.eval_loss:.4f} at step {best.step}" if best else "no finite eval_loss yet"
        self.echo(f"step {state.global_step}/{state.max_steps}: eval_loss {metrics['eval_loss']:.4f} ({so_far})")


class NonFiniteLossCallback(TrainerCallback):
    """Stops training with a clear error when a logged loss or gradient norm is not finite. `section` is the
    params key of the stage's Trainer settings (named in the fix)."""

    def __init__(self, section: str) -> None:
        self.section = section

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, float) and not math.isfinite(value):
                raise TrainingDivergedError(
                    f"{key} is {value} at step {state.global_step}: training diverged. Lower "
                    f"{self.section}.learning_rate, keep {self.section}.max_grad_norm (0.3), or check the data "
                    "(empty targets give a NaN mean loss)"
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
