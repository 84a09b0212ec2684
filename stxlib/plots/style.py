"""Shared figure helpers: one look for every stx plot (readable font sizes), saved as PNG and SVG."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory, offset_copy

from stxlib.io import atomic_path

SOURCE_COLORS = {"snow": "#4C72B0", "tydiqa": "#DD8452", "xlsum": "#55A868", "all": "#8172B3"}

#: Font sizes of every stx figure: read at 100% zoom in a report 1180 px wide, not squinted at.
STYLE = {
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 14,
}

P = ParamSpec("P")
R = TypeVar("R")


def styled(function: Callable[P, R]) -> Callable[P, R]:
    """Draw the figure of `function` with `STYLE` (a figure keeps the sizes it was drawn with)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # The first figure in a Jupyter kernel activates the inline backend, which turns `interactive` on;
        # leaving rc_context would turn it off again and no later figure would show: keep what it set.
        interactive = plt.isinteractive()
        try:
            with plt.rc_context(STYLE):
                try:
                    return function(*args, **kwargs)
                finally:
                    interactive = plt.isinteractive()
        finally:
            plt.interactive(interactive)

    return wrapper


def color_for(name: str, index: int = 0) -> str:
    return SOURCE_COLORS.get(name, f"C{index}")


def limit_line(ax: Axes, limit: float, text: str) -> None:
    """A dashed vertical line at `limit` with `text` written along it, inside the axes (the x range is
    widened so the line is always visible)."""
    left, right = ax.get_xlim()
    if limit * 1.08 > right:
        ax.set_xlim(left, limit * 1.08)
    ax.axvline(limit, color="black", linestyle="--", linewidth=1)
    ax.text(
        limit,
        0.97,
        text,
        transform=blended_transform_factory(ax.transData, ax.transAxes),
        rotation=90,
        ha="right",
        va="top",
        fontsize=10,
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7},
    )


def save_figure(fig: plt.Figure, stem: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save `fig` as `<stem>.png` and `<stem>.svg` (atomically); returns the paths."""
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
        written.append(path)
    return written


def legend_below(ax: Axes, handles: list, ncol: int = 2, gap_pt: float = 40.0, **kwargs) -> None:
    """The legend right under the axes' x label (`gap_pt` points below the axes, whatever the figure's
    height), centred, without a frame."""
    anchor = offset_copy(ax.transAxes, fig=ax.figure, y=-gap_pt, units="points")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=anchor,
        ncol=ncol,
        frameon=False,
        **kwargs,
    )
