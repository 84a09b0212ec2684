"""Shared figure helpers: one look for every stx plot, saved as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from stxlib.io import atomic_path

SOURCE_COLORS = {"snow": "#4C72B0", "tydiqa": "#DD8452", "xlsum": "#55A868", "all": "#8172B3"}


def color_for(name: str, index: int = 0) -> str:
    return SOURCE_COLORS.get(name, f"C{index}")


def save_figure(fig: plt.Figure, stem: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save `fig` as `<stem>.png` and `<stem>.svg` (atomically); returns the paths."""
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
        written.append(path)
    return written
