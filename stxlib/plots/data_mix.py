"""The data-mix chart: rows per source and token-length histograms against the max lengths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from stxlib.plots.style import color_for, legend_below, limit_line, styled

#: source name -> (source token lengths, target token lengths) of its rows
SourceLengths = Mapping[str, tuple[Sequence[int], Sequence[int]]]


@styled
def plot_data_mix(stats: Mapping[str, Any], lengths: SourceLengths, run_name: str) -> plt.Figure:
    """Three panels: rows per source and split (from `stats`, the content of `mix_stats.json`); source
    tokens; target tokens, as histograms of the train split's per-row `lengths` (in legend order)."""
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 5.0))
    _counts_panel(axes[0], stats)
    for ax, which, limit, label in (
        (axes[1], 0, stats["source_max_len"], "source (bos + input)"),
        (axes[2], 1, stats["target_max_len"], "target (output + eos)"),
    ):
        # One set of bins for every source, so a source of short rows is not drawn as hairlines.
        every = [n for pair in lengths.values() for n in pair[which]]
        bins = np.histogram_bin_edges(every, bins=30) if every else 30
        for index, (name, pair) in enumerate(lengths.items()):
            color = color_for(name, index)
            ax.hist(pair[which], bins=bins, alpha=0.55, label=name, color=color, edgecolor=color, linewidth=0.8)
        limit_line(ax, limit, f"max {limit}")
        ax.set_xlabel(f"{label} length (tokens)")
        ax.set_ylabel("train rows")
        ax.set_title(f"{label}: token lengths")
        ax.legend(title="source")
    fig.suptitle(f"Data mix — run {run_name} (tokenizer {stats['tokenizer']})")
    fig.tight_layout()
    return fig


def _counts_panel(ax: plt.Axes, stats: Mapping[str, Any]) -> None:
    """Train bars in each source's colour, validation bars in a light hatched version of it; the legend
    (above the bars, in a band kept free for it) explains the two fills, the x labels name the sources."""
    names = list(stats["sources"])
    train = [stats["sources"][n]["train"] for n in names]
    val = [stats["sources"][n]["validation"] for n in names]
    colors = [color_for(n, i) for i, n in enumerate(names)]
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], train, width=0.4, color=colors, edgecolor="black", linewidth=0.6)
    ax.bar([i + 0.2 for i in x], val, width=0.4, color=colors, alpha=0.35, hatch="//", edgecolor="black", linewidth=0.6)
    for i, (t, v) in enumerate(zip(train, val, strict=True)):
        ax.annotate(f"{t:,}", (i - 0.2, t), ha="center", va="bottom", fontsize=10)
        ax.annotate(f"{v:,}", (i + 0.2, v), ha="center", va="bottom", fontsize=10)
    ax.set_xticks(list(x), names)
    ax.set_ylabel("rows")
    ax.set_ylim(0, max([*train, *val, 1]) * 1.32)  # a free band on top for the legend
    ax.set_title(f"rows per source (split option {stats['split_option']})")
    handles = [
        Patch(facecolor="dimgray", edgecolor="black", label="train"),
        Patch(facecolor="dimgray", alpha=0.35, hatch="//", edgecolor="black", label="validation"),
    ]
    ax.legend(handles=handles, loc="upper center", ncol=2, title="bar colour = source")


# The summary panels' key, in neutral colours (the bar colour is the source, named on the y axis).
_SUMMARY_KEY = [
    Patch(facecolor="darkgray", label="median"),
    Line2D([], [], marker="|", markersize=14, color="black", linestyle="", label="p95"),
    Line2D([], [], marker="o", color="black", linewidth=1, label="min–max"),
]


@styled
def plot_data_mix_summary(stats: Mapping[str, Any], run_name: str) -> plt.Figure:
    """The data-mix chart from `mix_stats.json` alone (no tokenizer, no rows): rows per source and
    split, then the train split's token lengths per source as median bars with p95 and max marks."""
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 5.0))
    _counts_panel(axes[0], stats)
    per_source = {k: v for k, v in stats.get("lengths", {}).get("train", {}).items() if k != "all"}
    for ax, key, limit, label in (
        (axes[1], "source_tokens", stats["source_max_len"], "source (bos + input)"),
        (axes[2], "target_tokens", stats["target_max_len"], "target (output + eos)"),
    ):
        names = list(per_source)
        for i, name in enumerate(names):
            summary = per_source[name].get(key, {})
            if not summary.get("n"):
                continue
            ax.barh(i, summary["median"], color=color_for(name, i), alpha=0.8)
            ax.plot([summary["min"], summary["max"]], [i, i], color="black", linewidth=1)
            ax.plot(summary["p95"], i, marker="|", markersize=16, color="black")
            ax.plot(summary["max"], i, marker="o", color="black")
        ax.set_xlim(0, ax.get_xlim()[1])
        limit_line(ax, limit, f"max {limit}")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(f"{label} length (tokens)")
        ax.set_title(f"{label}: token lengths (train)")
        legend_below(ax, _SUMMARY_KEY, ncol=3)
    fig.suptitle(f"Data mix — run {run_name} (tokenizer {stats.get('tokenizer', '?')})")
    fig.tight_layout()
    return fig
