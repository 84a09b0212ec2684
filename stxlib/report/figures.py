"""A plot the page shows: its files in `plots/`, its caption, and how it is embedded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt

from stxlib.plots.style import save_figure
from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts


@dataclass(frozen=True)
class PlotFile:
    """One saved figure: `png` (always there when the plot exists), optional `svg`, and a caption."""

    name: str
    png: Path
    svg: Path | None
    caption: str
    note: str = ""


def save_plot(fig: plt.Figure, stem: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save `fig` as `<stem>.<format>` (atomically) and close it."""
    try:
        return save_figure(fig, stem, formats)
    finally:
        plt.close(fig)


def figure_html(run: RunArtifacts, plot: PlotFile | None) -> str:
    """The embedded PNG with its caption (and note) and links to the PNG/SVG files."""
    if plot is None:
        return h.paragraph("no plot: its input is not available", "note")
    links = [(f.suffix[1:].upper(), run.relative(f)) for f in (plot.png, plot.svg) if f is not None]
    caption = plot.caption + (f" ({plot.note})" if plot.note else "")
    return h.figure(plot.png, caption, f"{plot.name} of run {run.name}", links)


def stage_plot(run: RunArtifacts, stem: str, caption: str, note: str = "") -> PlotFile | None:
    """A figure a stage drew itself (`plots/<stem>.png`, and `.svg` when there), embedded as it is, never
    re-drawn; None when the stage did not draw it."""
    png = run.paths.plots / f"{stem}.png"
    if not png.is_file():
        return None
    svg = png.with_suffix(".svg")
    return PlotFile(stem, png, svg if svg.is_file() else None, caption, note)
