"""The per-category chart: each model's mean rating per MT-Bench category, side by side (0–10)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from stxlib.plots.style import save_figure

MODEL_COLORS = {"base": "#8DA0CB", "finetuned": "#E5804A"}


def category_figure(results: Mapping[str, Mapping[str, Any]]) -> plt.Figure:
    """Grouped bars: categories on x, one bar per model (label -> scores.json); n/a where nothing was parsed."""
    categories = sorted({c for scores in results.values() for c in scores.get("per_category", {})})
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(categories) + 2), 4.5))
    judges = sorted({str(s.get("judge")) for s in results.values()})
    ax.set_title(f"Japanese MT-Bench per category (turn 1, judge: {', '.join(judges) or 'n/a'})")
    if not categories:
        ax.text(0.5, 0.5, "no parsable ratings", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    width = 0.8 / max(1, len(results))
    for offset, (label, scores) in enumerate(results.items()):
        overall = scores.get("score")
        name = f"{label} ({overall:.2f})" if overall is not None else f"{label} (n/a)"
        color = MODEL_COLORS.get(label, f"C{offset + 2}")
        for position, category in enumerate(categories):
            x = position - 0.4 + width * (offset + 0.5)
            value = scores.get("per_category", {}).get(category)
            if value is None:
                ax.text(x, 0.1, "n/a", ha="center", va="bottom", fontsize=7, rotation=90, color="gray")
                continue
            ax.bar(
                x,
                value,
                width=width * 0.95,
                color=color,
                edgecolor="black",
                linewidth=0.5,
                label=name if position == 0 else None,
            )
            ax.text(x, value + 0.1, f"{value:.1f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(categories)), categories, rotation=20)
    ax.set_ylim(0, 10.8)
    ax.set_ylabel("mean rating (1–10)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="model (score)")
    fig.tight_layout()
    return fig


def plot_categories(results: Mapping[str, Mapping[str, Any]], stem: Path) -> list[Path]:
    """Draw and save `<stem>.png` and `<stem>.svg`."""
    fig = category_figure(results)
    try:
        return save_figure(fig, Path(stem))
    finally:
        plt.close(fig)
