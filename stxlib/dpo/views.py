"""What the dpo notebook shows: trl's reward metrics per logged step and the last values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.plots.dpo_rewards import DPO_METRICS, last_values


def dpo_metrics_frame(log_history: Sequence[Mapping[str, Any]]) -> Any:
    """One row per logged training step (and per evaluation, `eval` rows) with trl's DPO metric names."""
    import pandas as pd

    rows = []
    for row in log_history:
        for kind, prefix in (("train", ""), ("eval", "eval_")):
            if prefix + "loss" in row:
                rows.append({"step": row.get("step"), "split": kind, **{m: row.get(prefix + m) for m in DPO_METRICS}})
    return pd.DataFrame(rows).set_index(["step", "split"]) if rows else pd.DataFrame(columns=list(DPO_METRICS))


def last_metrics_frame(log_history: Sequence[Mapping[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {"last train step": last_values(log_history), "last evaluation": last_values(log_history, "eval_")}
    )
