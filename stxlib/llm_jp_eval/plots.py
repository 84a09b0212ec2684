"""The llm-jp-eval chart: per category (NLI, QA, RC, MC) and AVR, one bar per model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt

from stxlib.llm_jp_eval.views import category_table
from stxlib.plots.style import save_figure

MODEL_COLORS = {"base": "#8DA0CB", "finetuned": "#E5804A"}
ORDER = ("NLI", "QA", "RC", "MC", "AVR")


def plot_categories(scores: Mapping[str, Mapping[str, str | float]], title: str = "llm-jp-eval 1.1") -> plt.Figure:
    """Grouped bars (0–1) per category and AVR for each model (`scores[label]` = its score_eval.json).

    A category computed from only some of its datasets is labelled with the count (e.g. `NLI (2/5)`); AVR exists
    only when all ten datasets were evaluated.
    """
    table = category_table(scores)
    categories = [c for c in ORDER if c in set(table["category"])]
    labels = list(scores)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(categories) + 2), 4.5))
    if table.empty:
        ax.text(0.5, 0.5, "no llm-jp-eval scores", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    width = 0.8 / max(1, len(labels))
    for offset, label in enumerate(labels):
        rows = table[table["model"] == label].set_index("category")
        for position, category in enumerate(categories):
            if category not in rows.index:
                continue
            x = position - 0.4 + width * (offset + 0.5)
            value = float(rows.loc[category, "score"])
            ax.bar(
                x,
                value,
                width=width * 0.95,
                color=MODEL_COLORS.get(label, f"C{offset + 2}"),
                edgecolor="black",
                linewidth=0.5,
                label=label,
            )
            ax.text(x, value + 0.01, f"{value:.3f}", ha="center", va="bottom", fontsize=7, rotation=90)
    ticks = []
    for category in categories:
        counts = set(table.loc[table["category"] == category, "tasks"])
        partial = sorted(c for c in counts if c != "all" and c.split("/")[0] != c.split("/")[1])
        ticks.append(f"{category} ({', '.join(partial)})" if partial else category)
    ax.set_xticks(range(len(categories)), ticks)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score (0–1)")
    ax.set_xlabel("category (NLI, MC: exact match; QA, RC: char_f1) and AVR = their mean")
    ax.grid(True, axis="y", alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="upper right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def save_category_plot(scores: Mapping[str, Mapping[str, str | float]], plots_dir: Path, title: str) -> list[Path]:
    """Draw the chart and save it as `plots/llm_jp_eval.png` (and .svg); returns the files."""
    fig = plot_categories(scores, title)
    try:
        return save_figure(fig, plots_dir / "llm_jp_eval")
    finally:
        plt.close(fig)
