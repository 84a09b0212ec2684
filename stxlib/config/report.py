"""The `report` params section."""

from __future__ import annotations

from stxlib.config.base import Section


class ReportSection(Section):
    """The run report: title and whether to show the card's published numbers."""

    title: str | None = None
    show_card_results: bool = True
