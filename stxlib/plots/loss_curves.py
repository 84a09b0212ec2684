"""Loss curves from the HF Trainer's `log_history`: training and validation loss on one chart,
the best checkpoint (argmin `eval_loss`) marked, the learning rate on a second axis."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from stxlib.history import best_eval
from stxlib.plots.style import legend_below, styled

TRAIN_COLOR = "#4C72B0"
EVAL_COLOR = "#C44E52"
LR_COLOR = "#8C8C8C"
BEST_COLOR = "#DAA520"
LOSS_LABEL = "cross-entropy loss (nats / target token)"
HEADROOM = 0.22  # share of the loss range kept free above the curves


@dataclass
class LossCurves:
    """The series of one run's `log_history`, non-finite values dropped (and counted)."""

    train_steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    lr_steps: list[int] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    steps_per_epoch: float | None = None
    dropped: int = 0

    @property
    def empty(self) -> bool:
        return not self.train_steps and not self.eval_steps

    @property
    def best(self) -> tuple[int, float] | None:
        """(step, eval_loss) of the lowest validation loss; the earliest step on ties."""
        best = best_eval({"step": s, "eval_loss": v} for s, v in zip(self.eval_steps, self.eval_loss, strict=True))
        return (best.step, best.eval_loss) if best else None


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_log_history(log_history: Sequence[Mapping[str, Any]]) -> LossCurves:
    """Split `trainer.state.log_history` into train-loss, learning-rate and eval-loss series.

    Train records carry `loss` (the final summary record carries `train_loss` instead and is
    skipped), eval records carry `eval_loss`; both carry `step` and usually `epoch`.
    """
    if not isinstance(log_history, Sequence) or isinstance(log_history, str | bytes):
        raise ValueError(f"log_history must be a list of records, got {type(log_history).__name__}")
    curves = LossCurves()
    ratios = []
    for number, record in enumerate(log_history):
        if not isinstance(record, Mapping):
            raise ValueError(f"log_history record {number} is a {type(record).__name__}, not an object")
        step = record.get("step")
        if not _finite(step):
            continue
        step = int(step)
        if _finite(record.get("epoch")) and step > 0 and record["epoch"] > 0:
            ratios.append(step / record["epoch"])
        if "loss" in record:
            if _finite(record["loss"]):
                curves.train_steps.append(step)
                curves.train_loss.append(float(record["loss"]))
            else:
                curves.dropped += 1
            if _finite(record.get("learning_rate")):
                curves.lr_steps.append(step)
                curves.learning_rate.append(float(record["learning_rate"]))
        if "eval_loss" in record:
            if _finite(record["eval_loss"]):
                curves.eval_steps.append(step)
                curves.eval_loss.append(float(record["eval_loss"]))
            else:
                curves.dropped += 1
    if ratios:
        curves.steps_per_epoch = ratios[-1]
    return curves


@styled
def plot_loss_curves(
    log_history: Sequence[Mapping[str, Any]],
    run_name: str,
    best_step: int | None = None,
    *,
    figsize: tuple[float, float] | None = None,
    compact: bool = False,
    empty_message: str = "no loss values logged",
) -> plt.Figure:
    """Training loss per logging step, validation loss per eval step, the best checkpoint and the LR.

    `best_step` (e.g. from `train_summary.json`) overrides the argmin of `eval_loss` for the marker.
    `compact` draws a smaller, less annotated version (a notebook or README thumbnail; 7.5 × 4.2 in unless
    `figsize` says otherwise); `empty_message` is written on the chart when there is nothing to draw.
    The best checkpoint is a star on the validation curve, named in the legend and above the dotted
    line in a band at the top that no curve enters.
    """
    curves = parse_log_history(log_history)
    fig, ax = plt.subplots(figsize=figsize or ((7.5, 4.2) if compact else (10.0, 5.2)))
    if curves.empty:
        ax.text(0.5, 0.5, empty_message, ha="center", va="center", transform=ax.transAxes, fontsize=12, wrap=True)
        ax.set_axis_off()
        ax.set_title(f"Loss curves — run {run_name}")
        return fig
    handles = _draw_losses(ax, curves, compact)
    low, high = min([*curves.train_loss, *curves.eval_loss]), max([*curves.train_loss, *curves.eval_loss])
    span = (high - low) or abs(high) or 1.0
    ax.set_ylim(low - 0.05 * span, high + HEADROOM * span)  # the top band is free for the best step's label
    best = _best_point(curves, best_step)
    if best is not None:
        handles.append(_mark_best(ax, best, compact))
    if curves.learning_rate:
        handles.append(_draw_lr(ax, curves, compact))
    if curves.steps_per_epoch and not compact:
        spe = curves.steps_per_epoch
        top = ax.secondary_xaxis("top", functions=(lambda s: s / spe, lambda e: e * spe))
        top.set_xlabel("epoch")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats / token)" if compact else LOSS_LABEL)
    ax.grid(True, alpha=0.3)
    ax.set_xlim(left=0)
    legend_below(ax, handles, ncol=2, gap_pt=36, fontsize=9.5 if compact else 10)
    title = f"Loss curves — run {run_name}"
    if curves.dropped:
        title += f" ({curves.dropped} non-finite values not drawn)"
    ax.set_title(title, fontsize=12 if compact else 13)
    fig.tight_layout()
    return fig


def _draw_losses(ax: plt.Axes, curves: LossCurves, compact: bool) -> list[Any]:
    handles: list[Any] = []
    if curves.train_steps:
        marker = "." if len(curves.train_steps) <= 60 else None
        (line,) = ax.plot(
            curves.train_steps, curves.train_loss, color=TRAIN_COLOR, linewidth=1.2, marker=marker, markersize=3
        )
        line.set_label("training loss (per logging step)")
        handles.append(line)
    if curves.eval_steps:
        (line,) = ax.plot(
            curves.eval_steps,
            curves.eval_loss,
            color=EVAL_COLOR,
            linewidth=2,
            marker="o",
            markersize=4 if compact else 5,
        )
        line.set_label("validation loss (per eval step)")
        handles.append(line)
    return handles


def _best_point(curves: LossCurves, best_step: int | None) -> tuple[int, float] | None:
    if best_step is not None and best_step in curves.eval_steps:
        return best_step, curves.eval_loss[curves.eval_steps.index(best_step)]
    return curves.best


def _mark_best(ax: plt.Axes, best: tuple[int, float], compact: bool) -> Any:
    step, loss = best
    ax.axvline(step, color=BEST_COLOR, linestyle=":", linewidth=1.5, zorder=1)
    ax.plot([step], [loss], marker="*", markersize=16, color=BEST_COLOR, markeredgecolor="black", zorder=5)
    left, right = ax.get_xlim()
    on_right = step > left + 0.7 * (right - left)  # the label on the side of the line with room
    ax.text(
        step,
        0.985,
        f"best: step {step} " if on_right else f" best: step {step}",
        transform=blended_transform_factory(ax.transData, ax.transAxes),
        ha="right" if on_right else "left",
        va="top",
        fontsize=9.5 if compact else 10,
        color="#8B6914",
        zorder=6,
    )
    return Line2D(
        [],
        [],
        marker="*",
        markersize=12,
        color=BEST_COLOR,
        markeredgecolor="black",
        linestyle=":",
        label=f"best checkpoint (step {step}, eval loss {loss:.4f})",
    )


def _draw_lr(ax: plt.Axes, curves: LossCurves, compact: bool) -> Any:
    lr_ax = ax.twinx()
    (line,) = lr_ax.plot(curves.lr_steps, curves.learning_rate, color=LR_COLOR, linestyle="--", linewidth=1.2)
    line.set_label("learning rate (right axis)")
    lr_ax.set_ylabel("learning rate", color=LR_COLOR)
    lr_ax.tick_params(axis="y", colors=LR_COLOR)
    top = max(curves.learning_rate)
    lr_ax.set_ylim(0, top * (1 + HEADROOM + 0.05) if top > 0 else 1)  # below the label band too
    lr_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.1e}" if value else "0"))
    return line


OVERLAY_LINESTYLES = ("-", "--", ":", "-.")
OVERLAY_MARKERS = ("o", "s", "^", "D", "v", "P")


def overlay_style(index: int, count: int) -> dict[str, Any]:
    """The look of run `index` of `count` in the overlay: colour, line style, marker, widths (wider first)."""
    color = f"C{index % 10}"
    return {
        "color": color,
        "linestyle": OVERLAY_LINESTYLES[index % len(OVERLAY_LINESTYLES)],
        "marker": OVERLAY_MARKERS[index % len(OVERLAY_MARKERS)],
        "width": max(1.2, 2.0 + 1.6 * (count - 1 - index) / max(1, count - 1)) if count > 1 else 2.0,
        "train_width": 0.9 + 0.6 * (count - 1 - index) / max(1, count - 1) if count > 1 else 0.9,
        "markersize": 4 + 3 * (count - 1 - index) / max(1, count - 1) if count > 1 else 4,
        "face": color if index == 0 else "none",
    }


@styled
def plot_loss_overlay(runs: Mapping[str, Sequence[Mapping[str, Any]]], title: str = "Loss curves") -> plt.Figure:
    """Several runs on one chart: thin training loss and marked validation loss per run, best marked.

    Curves that coincide (a run that is a prefix of another, e.g. the same settings for fewer steps) stay
    visible: each run has its own line style and marker, earlier runs are drawn wider underneath and later
    ones narrower on top, with hollow markers."""
    fig, ax = plt.subplots(figsize=(10.0, 5.5))
    drawn = 0
    count = max(1, len(runs))
    for index, history in enumerate(runs.values()):
        curves = parse_log_history(history)
        style = overlay_style(index, count)
        color = style["color"]
        if curves.train_steps:
            ax.plot(
                curves.train_steps, curves.train_loss, color=color, linewidth=style["train_width"], alpha=0.45,
                linestyle=style["linestyle"], zorder=2 + index,
            )  # fmt: skip
        if curves.eval_steps:
            ax.plot(
                curves.eval_steps, curves.eval_loss, color=color, linewidth=style["width"], marker=style["marker"],
                markersize=style["markersize"], markerfacecolor=style["face"], linestyle=style["linestyle"],
                zorder=3 + index,
            )  # fmt: skip
        best = curves.best
        if best is not None:
            ax.plot([best[0]], [best[1]], marker="*", markersize=14, color=color, markeredgecolor="black", zorder=20)
        drawn += not curves.empty
    handles = [
        Line2D(
            [], [], color=overlay_style(i, count)["color"], linewidth=overlay_style(i, count)["width"],
            linestyle=overlay_style(i, count)["linestyle"], marker=overlay_style(i, count)["marker"],
            markerfacecolor=overlay_style(i, count)["face"], label=name,
        )
        for i, name in enumerate(runs)
    ]  # fmt: skip
    handles += [
        Line2D([], [], color="gray", linewidth=0.9, alpha=0.6, label="training loss (thin)"),
        Line2D([], [], color="gray", linewidth=2, marker="o", markersize=4, label="validation loss"),
        Line2D([], [], color="gray", marker="*", markersize=12, markeredgecolor="black", linestyle="", label="best"),
    ]
    if not drawn:
        ax.text(0.5, 0.5, "no loss values logged", ha="center", va="center", transform=ax.transAxes, fontsize=12)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=9, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig
