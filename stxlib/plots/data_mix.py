"""The data-mix chart: rows per source and token-length histograms against the max lengths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from stxlib.plots.style import color_for

#: source name -> (source token lengths, target token lengths) of its rows
SourceLengths = Mapping[str, tuple[Sequence[int], Sequence[int]]]


def plot_data_mix(stats: Mapping[str, Any], lengths: SourceLengths, run_name: str) -> plt.Figure:
    """Three panels: rows per source and split (from `stats`, the content of `mix_stats.json`); source
    tokens; target tokens, as histograms of the train split's per-row `lengths` (in legend order)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
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
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"max {limit}", (limit, ax.get_ylim()[1] * 0.92), xytext=(4, 0), textcoords="offset points")
        ax.set_xlabel(f"{label} length (tokens)")
        ax.set_ylabel("train rows")
        ax.set_title(f"{label}: token lengths")
        ax.legend(title="source")
    fig.suptitle(f"Data mix — run {run_name} (tokenizer {stats['tokenizer']})")
    fig.tight_layout()
    return fig


def _counts_panel(ax: plt.Axes, stats: Mapping[str, Any]) -> None:
    names = list(stats["sources"])
    train = [stats["sources"][n]["train"] for n in names]
    val = [stats["sources"][n]["validation"] for n in names]
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], train, width=0.4, label="train", color=[color_for(n, i) for i, n in enumerate(names)])
    ax.bar([i + 0.2 for i in x], val, width=0.4, label="validation", color="lightgray", edgecolor="gray")
    for i, (t, v) in enumerate(zip(train, val, strict=True)):
        ax.annotate(str(t), (i - 0.2, t), ha="center", va="bottom", fontsize=8)
        ax.annotate(str(v), (i + 0.2, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), names)
    ax.set_ylabel("rows")
    ax.set_title(f"rows per source (split option {stats['split_option']})")
    ax.legend()


def plot_data_mix_summary(stats: Mapping[str, Any], run_name: str) -> plt.Figure:
    """The data-mix chart from `mix_stats.json` alone (no tokenizer, no rows): rows per source and
    split, then the train split's token lengths per source as median bars with p95 and max marks."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
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
            ax.barh(i, summary["median"], color=color_for(name, i), alpha=0.8, label="median" if i == 0 else None)
            ax.plot([summary["min"], summary["max"]], [i, i], color="black", linewidth=1)
            ax.plot(summary["p95"], i, marker="|", markersize=16, color="black", label="p95" if i == 0 else None)
            ax.plot(summary["max"], i, marker="o", color="black", label="min–max" if i == 0 else None)
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
        ax.annotate(
            f"max {limit}", (limit, 0.02), xycoords=("data", "axes fraction"), xytext=(4, 0), textcoords="offset points"
        )
        ax.set_xlim(0, max(ax.get_xlim()[1], limit * 1.15))
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(f"{label} length (tokens)")
        ax.set_title(f"{label}: token lengths (train)")
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Data mix — run {run_name} (tokenizer {stats.get('tokenizer', '?')})")
    fig.tight_layout()
    return fig
