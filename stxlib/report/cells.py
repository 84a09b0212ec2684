"""The report's table model: text cells (with a CSS class and an optional link), tables, number formats.

Section modules build `Table`s; `stxlib.report.html` renders them, `Table.to_frame()` shows them in a
notebook. Missing values are a dash, never an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

DASH = "–"


@dataclass(frozen=True)
class Cell:
    """A table cell: text, an optional CSS class (`pos`, `neg`, `bad`, `muted`) and an optional link."""

    text: str
    cls: str = ""
    href: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell | str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()  # right-aligned column indexes
    note: str = ""

    def to_frame(self):
        """A pandas DataFrame of the cell texts (for notebooks)."""
        import pandas as pd

        return pd.DataFrame([[str(c) for c in row] for row in self.rows], columns=self.columns)


def fmt(value: Any, digits: int | None = None) -> str:
    """A number with `digits` decimals (default: 4 significant digits below 100, one decimal above),
    integers with thousands separators, a dash for None/NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if digits is not None:
            return f"{value:,.{digits}f}"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v, digits) for v in value) if value else DASH
    return str(value)


def delta_cell(new: float | None, old: float | None, digits: int = 3) -> Cell:
    if new is None or old is None:
        return Cell(DASH, "muted")
    diff = new - old
    return Cell(f"{diff:+.{digits}f}", "pos" if diff > 0 else ("neg" if diff < 0 else ""))
