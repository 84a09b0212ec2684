"""What DPO users watch, from trl's `log_history`: the loss, `rewards/chosen` and `rewards/rejected` with their
margin, and `rewards/accuracies`, per logged training step and per evaluation (`eval_` prefix)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt

from stxlib.plots.style import styled

DPO_METRICS = ("loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies")
_COLORS = {"rewards/chosen": "#55A868", "rewards/rejected": "#C44E52", "rewards/margins": "#4C72B0"}


def dpo_series(log_history: Sequence[Mapping[str, Any]], prefix: str = "") -> dict[str, tuple[list[int], list[float]]]:
    """`{metric: (steps, values)}` for each of `DPO_METRICS` (train rows; `prefix="eval_"`: evaluation rows);
    non-finite values are left out."""
    series: dict[str, tuple[list[int], list[float]]] = {m: ([], []) for m in DPO_METRICS}
    for row in log_history:
        step = row.get("step")
        if not isinstance(step, int):
            continue
        for metric in DPO_METRICS:
            value = row.get(prefix + metric)
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                series[metric][0].append(step)
                series[metric][1].append(float(value))
    return series


def last_values(log_history: Sequence[Mapping[str, Any]], prefix: str = "") -> dict[str, float | None]:
    """The last logged value of each DPO metric (None when never logged)."""
    return {m: (values[-1] if values else None) for m, (_, values) in dpo_series(log_history, prefix).items()}


@styled
def plot_dpo_rewards(log_history: Sequence[Mapping[str, Any]], title: str, empty_message: str = "") -> plt.Figure:
    """Three panels: DPO loss (ln 2 marked: policy = reference), rewards and margin, reward accuracy; solid lines
    for training steps, markers for evaluations."""
    train, held_out = dpo_series(log_history), dpo_series(log_history, "eval_")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    if not any(train[m][0] or held_out[m][0] for m in DPO_METRICS):
        for ax in axes:
            ax.set_axis_off()
        fig.text(0.5, 0.5, empty_message or "no DPO metrics logged", ha="center", va="center")
        fig.suptitle(title)
        return fig
    loss_ax, reward_ax, acc_ax = axes
    loss_ax.axhline(math.log(2), color="#8C8C8C", linestyle="--", linewidth=1, label="ln 2 (policy = reference)")
    for ax, metrics in ((loss_ax, ["loss"]), (reward_ax, list(_COLORS)), (acc_ax, ["rewards/accuracies"])):
        for metric in metrics:
            color = _COLORS.get(metric, "#4C72B0")
            steps, values = train[metric]
            if steps:
                ax.plot(steps, values, color=color, label=f"{metric} (train)")
            steps, values = held_out[metric]
            if steps:
                ax.plot(steps, values, color=color, marker="o", linestyle=":", label=f"{metric} (eval)")
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    loss_ax.set_title("DPO loss")
    reward_ax.set_title("implicit rewards (beta x log-ratio)")
    acc_ax.set_title("reward accuracy")
    acc_ax.set_ylim(-0.05, 1.05)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
