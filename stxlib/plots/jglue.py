"""The JGLUE comparison chart: this run's models beside the model card's published numbers, per task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from stxlib.plots.style import legend_below, styled

Scores = Mapping[str, Mapping[str, float | None]]

MODEL_COLORS = {"base": "#8DA0CB", "finetuned": "#E5804A"}
CARD_COLORS = {"base": "#D5DCEB", "finetuned": "#F6D2BD"}


def short_task(task: str) -> str:
    """`jcommonsenseqa-1.1-0.3` -> `jcommonsenseqa`."""
    return task.split("-", 1)[0]


@styled
def plot_jglue_comparison(
    scores: Scores,
    run_name: str,
    card: Scores | None = None,
    tasks: Sequence[str] | None = None,
    *,
    card_names: Mapping[str, str] | None = None,
    note: str = "",
) -> plt.Figure:
    """Grouped bars per task: each evaluated model (`scores[label][task]`) and, hatched, the card's
    values (`card[label][task]`). Values are headline numbers on a 0–1 scale (JSQuAD EM / 100,
    accuracy otherwise); a missing value is written as "n/a" instead of a bar. `note` is a second
    title line (e.g. that the run evaluated a subset)."""
    card = card or {}
    card_names = card_names or {}
    if tasks is None:
        tasks = list(dict.fromkeys(t for per_task in [*scores.values(), *card.values()] for t in per_task))
    # Each evaluated model followed by its card counterpart (same label), then card rows left over.
    series: list[tuple[str, Mapping[str, float | None], str, bool]] = []
    for index, (label, values) in enumerate(scores.items()):
        series.append((f"{label} (this run)", values, MODEL_COLORS.get(label, f"C{index + 2}"), False))
        if label in card:
            name = card_names.get(label, label)
            series.append((f"card: {name}", card[label], CARD_COLORS.get(label, f"C{index + 2}"), True))
    for index, (label, values) in enumerate(card.items()):
        if label not in scores:
            name = card_names.get(label, label)
            series.append((f"card: {name}", values, CARD_COLORS.get(label, f"C{index + 6}"), True))

    width_in = max(8.0, 3.0 * len(tasks) + 2)
    fig, ax = plt.subplots(figsize=(width_in, 5.6))
    if not tasks or not series:
        ax.text(0.5, 0.5, "no JGLUE results", ha="center", va="center", transform=ax.transAxes, fontsize=13)
        ax.set_axis_off()
        ax.set_title(f"JGLUE — run {run_name}")
        return fig
    width = 0.8 / len(series)
    # Horizontal value labels sized to the bar: a bar is ~0.85 × width_in × 72 / len(tasks) × width points wide.
    bar_pt = 0.85 * width_in * 72 / len(tasks) * width
    label_size = max(6.5, min(10.0, bar_pt / 3.4))
    for offset, (_, values, color, hatched) in enumerate(series):
        for position, task in enumerate(tasks):
            x = position - 0.4 + width * (offset + 0.5)
            value = values.get(task)
            if value is None:
                ax.text(x, 0.01, "n/a", ha="center", va="bottom", fontsize=label_size, color="gray")
                continue
            ax.bar(
                x,
                value,
                width=width * 0.95,
                color=color,
                edgecolor="black",
                linewidth=0.5,
                hatch="//" if hatched else None,
            )
            ax.text(x, value + 0.01, f"{value:.3f}", ha="center", va="bottom", fontsize=label_size)
    ax.set_xticks(range(len(tasks)), [short_task(t) for t in tasks])
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score (0–1)")
    ax.set_xlabel("JGLUE task, jp-stable prompt 0.3 (JSQuAD: exact match / 100; others: accuracy)")
    ax.grid(True, axis="y", alpha=0.3)
    handles = [
        Patch(facecolor=color, edgecolor="black", hatch="//" if hatched else None, label=name)
        for name, _, color, hatched in series
    ]
    legend_below(ax, handles, ncol=2, gap_pt=44)
    title = f"JGLUE — run {run_name}" + (" vs the model card" if card else "")
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize=13 if not note else 12)
    fig.tight_layout()
    return fig


def plot_jglue_runs(
    runs: Mapping[str, Mapping[str, Mapping[str, float | None]]],
    tasks: Sequence[str],
    card: Mapping[str, Mapping[str, float]] | None = None,
    *,
    title: str = "JGLUE across runs",
) -> plt.Figure:
    """`stx compare`: grouped bars per task, one bar per (run, model) (`runs[run][model][task]`, headline values
    on 0–1): a colour per run, a hatch per model; the card's values as outlined bars when given."""
    models = list(dict.fromkeys(m for per_run in runs.values() for m in per_run))
    hatches = dict(zip(models, ("", "//", "..", "xx", "\\\\", "++"), strict=False))
    series = [
        (f"{run} · {model}", per_run[model], f"C{index % 10}", hatches.get(model, ""), False)
        for index, (run, per_run) in enumerate(runs.items())
        for model in models
        if model in per_run
    ]
    series += [
        (f"card · {model}", values, "white", hatches.get(model, ""), True) for model, values in (card or {}).items()
    ]
    bars = len(series) * max(1, len(tasks))
    fig, ax = plt.subplots(figsize=(min(12.0, max(7.5, 0.32 * bars + 3.0)), 5.2))
    if not tasks or not series:
        ax.text(0.5, 0.5, "no JGLUE results", ha="center", va="center", transform=ax.transAxes, fontsize=12)
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    width = 0.84 / len(series)
    for offset, (_, values, color, hatch, outline) in enumerate(series):
        for position, task in enumerate(tasks):
            x = position - 0.42 + width * (offset + 0.5)
            value = values.get(task)
            if value is None:
                ax.text(x, 0.01, "n/a", ha="center", va="bottom", fontsize=8, color="gray")
                continue
            ax.bar(x, value, width=width * 0.92, color=color, edgecolor="black", linewidth=0.9 if outline else 0.5,
                   hatch=hatch or None, linestyle="--" if outline else "-")  # fmt: skip
            ax.text(x, value + 0.012, f"{value:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(tasks)), [short_task(t) for t in tasks], fontsize=10)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score (0–1)")
    ax.set_xlabel("JGLUE task (JSQuAD: exact match / 100; others: accuracy)")
    ax.grid(True, axis="y", alpha=0.3)
    handles = [
        Patch(facecolor=color, edgecolor="black", hatch=hatch or None, linestyle="--" if outline else "-", label=name)
        for name, _, color, hatch, outline in series
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=9, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig
