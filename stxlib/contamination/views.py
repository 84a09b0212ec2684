"""The contamination check for the notebook: tables and a bar chart of the share of overlapping documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from stxlib.plots.style import save_figure
from stxlib.stats.tables import contamination_rows


def run_summary(result: dict[str, Any]) -> str:
    """What the check read and how long it took, then the stage's notes, one a line."""
    training = result["training"]
    lines = [f"{training['rows']:,} training rows, {training['characters']:,} characters, checked in "
             f"{result['seconds']:.1f} s"]  # fmt: skip
    return "\n".join([*lines, *(f"note: {note}" for note in result["notes"])])


def summary_frame(result: dict[str, Any]) -> pd.DataFrame:
    """One row per evaluation set (what the report shows)."""
    return pd.DataFrame(contamination_rows(result)).set_index("eval set")


def training_frame(result: dict[str, Any]) -> pd.DataFrame:
    """One row per training file: rows and normalised characters."""
    return pd.DataFrame(result["training"]["files"]).set_index("name")


def examples_frame(result: dict[str, Any]) -> pd.DataFrame:
    """Every example overlap: evaluation set, document id, length, the shared text, where it is in training."""
    return pd.DataFrame(
        [
            {
                "eval set": entry["name"],
                "document": example["id"],
                "longest": example["longest"],
                "text": example["text"],
                "training file": example["training"]["source"],
                "training row": example["training"]["row"],
            }
            for entry in result["eval_sets"]
            for example in entry["examples"]
        ],
        columns=["eval set", "document", "longest", "text", "training file", "training row"],
    )


def plot_contamination(result: dict[str, Any]) -> plt.Figure:
    """Horizontal bars: share of each evaluation set's documents with an n-gram found in the training text."""
    sets = result["eval_sets"]
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.35 * max(len(sets), 1)))
    names = [s["name"] for s in sets][::-1]
    shares = [100 * s["share"] for s in sets][::-1]
    bars = ax.barh(names, shares, color="#C44E52")
    for bar, entry in zip(bars, sets[::-1], strict=True):
        label = f" {entry['contaminated']}/{entry['documents']}, longest {entry['longest']}"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    ax.set_xlim(0, max([*shares, 1.0]) * 1.35)
    ax.set_xlabel(f"documents sharing a {result['n']}-character n-gram with the training text (%)")
    ax.set_title(f"Train ↔ eval overlap ({result['training']['rows']:,} training rows)")
    fig.tight_layout()
    return fig


def save_contamination_plot(result: dict[str, Any], plots_dir: Path) -> Path:
    fig = plot_contamination(result)
    try:
        return save_figure(fig, plots_dir / "contamination")[0]
    finally:
        plt.close(fig)
