"""`<stage>/train_summary.json`: what a training run did and what it cost."""

from __future__ import annotations

import resource
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.history import Best, eval_records
from stxlib.training.trainer import TokenCounts


def peak_memory(cuda: bool) -> dict[str, Any]:
    """CUDA: `torch.cuda.max_memory_allocated` of this process; CPU: the process's maximum resident set."""
    if cuda:
        import torch

        return {"peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3), "peak_memory_kind": "cuda"}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024
    return {"peak_memory_gib": round(rss_bytes / 2**30, 3), "peak_memory_kind": "cpu max RSS"}


def _rate(tokens: int, seconds: float) -> float | None:
    """Tokens per second of this session (None when it trained nothing, e.g. resumed at the last step)."""
    return round(tokens / seconds, 1) if tokens and seconds > 0 else None


def build_summary(
    *,
    best: Best,
    log_history: Sequence[Mapping[str, Any]],
    state: Any,
    total: TokenCounts,
    session: TokenCounts,
    session_seconds: float,
    parameters: Mapping[str, int],
    expected_trainable: int | None,
    effective: Mapping[str, Any],
    memory: Mapping[str, Any],
    resumed_from: str | None,
) -> dict[str, Any]:
    evals = eval_records(log_history)
    first = evals[0] if evals else None
    return {
        "best_step": best.step,
        "best_eval_loss": best.eval_loss,
        "first_eval_step": first["step"] if first else None,
        "first_eval_loss": first["eval_loss"] if first else None,
        "last_eval_loss": evals[-1]["eval_loss"] if evals else None,
        "evaluations": len(evals),
        "steps": state.global_step,
        "max_steps": state.max_steps,
        "epochs": round(float(state.epoch or 0.0), 4),
        "trainable_parameters": parameters["trainable"],
        "expected_trainable_parameters": expected_trainable,
        "total_parameters": parameters["total"],
        "tokens_seen": total.padded,
        "nonpad_tokens_seen": total.real,
        "target_tokens_seen": total.target,
        "nonpad_token_fraction": round(total.nonpad_fraction, 4) if total.nonpad_fraction is not None else None,
        "wall_time_s": round(session_seconds, 2),
        "tokens_per_s": _rate(session.padded, session_seconds),
        "nonpad_tokens_per_s": _rate(session.real, session_seconds),
        "resumed_from": resumed_from,
        **memory,
        **effective,
    }
