"""The report's table model: text cells (with a CSS class and an optional link), tables, number formats.

Section modules build `Table`s; `stxlib.report.html` renders them, `Table.styled()` shows them in a
notebook (`Table.to_frame()`: the cell texts as a DataFrame). Missing values are a dash, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stxlib.formatting import DASH, fmt, percent

__all__ = ["DASH", "Cell", "Table", "delta_cell", "fmt", "percent"]


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

    def styled(self):
        """The table for a notebook as the report shows it: no row numbers, every cell in full (no "…"),
        numbers right-aligned, text left-aligned, the note as a caption."""
        frame = self.to_frame()
        text = [c for i, c in enumerate(frame.columns) if i not in self.numeric]
        styler = frame.style.hide(axis="index").set_properties(subset=text, **{"text-align": "left"})
        caption = [("caption-side", "bottom"), ("text-align", "left"), ("color", "#59636e")]
        styler = styler.set_table_styles(
            [{"selector": "th", "props": [("text-align", "left")]}, {"selector": "caption", "props": caption}]
        )
        return styler.set_caption(self.note) if self.note else styler


def delta_cell(new: float | None, old: float | None, digits: int = 3) -> Cell:
    if new is None or old is None:
        return Cell(DASH, "muted")
    diff = new - old
    return Cell(f"{diff:+.{digits}f}", "pos" if diff > 0 else ("neg" if diff < 0 else ""))
