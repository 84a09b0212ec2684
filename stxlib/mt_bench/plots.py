"""The per-category chart: each model's mean rating per MT-Bench category, side by side (0–10)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from stxlib.mt_bench.views import category_frame
from stxlib.plots.style import save_figure

MODEL_COLORS = {"base": "#8DA0CB", "finetuned": "#E5804A"}


def category_figure(results: Mapping[str, Mapping[str, Any]]) -> plt.Figure:
    """Grouped bars: categories on x, one bar per model (label -> scores.json); no bar where nothing was parsed."""
    frame = category_frame(results)
    frame.columns = [_legend_name(label, results[label].get("score")) for label in frame.columns]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(frame.index) + 2), 4.5))
    judges = sorted({str(s.get("judge")) for s in results.values()})
    ax.set_title(f"Japanese MT-Bench per category (turn 1, judge: {', '.join(judges) or 'n/a'})")
    if frame.empty or frame.isna().all().all():
        ax.text(0.5, 0.5, "no parsable ratings", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    colors = [MODEL_COLORS.get(label, f"C{i + 2}") for i, label in enumerate(results)]
    frame.plot.bar(ax=ax, color=colors, edgecolor="black", linewidth=0.5, width=0.8, rot=20)
    for bars, column in zip(ax.containers, frame.columns, strict=True):
        labels = ["n/a" if pd.isna(v) else f"{v:.1f}" for v in frame[column]]
        ax.bar_label(bars, labels=labels, fontsize=7, padding=2)
    ax.set_ylim(0, 10.8)
    ax.set_ylabel("mean rating (1–10)")
    ax.set_xlabel("")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="model (score)")
    fig.tight_layout()
    return fig


def _legend_name(label: str, score: float | None) -> str:
    return f"{label} ({score:.2f})" if score is not None else f"{label} (n/a)"


def plot_categories(results: Mapping[str, Mapping[str, Any]], stem: Path) -> list[Path]:
    """Draw and save `<stem>.png` and `<stem>.svg`."""
    fig = category_figure(results)
    try:
        return save_figure(fig, Path(stem))
    finally:
        plt.close(fig)
