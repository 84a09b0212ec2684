"""The `report` params section."""

from __future__ import annotations

from stxlib.config.base import Section


class ReportSection(Section):
    """The run report (`report.html`, `plots/`), built by notebook 04 and `stx report`.

    - `title`: the page title (default: "STX run <run.name>").
    - `show_card_results`: put the lightblue/openorca_stx model card's JGLUE numbers beside this run's.
    - `baseline`: the eval model label the deltas are taken from (the first label when absent).
    - `data_mix_histograms`: re-tokenise `data/train.jsonl` for the token-length histograms of the
      data-mix chart (as notebook 01 draws them); false, or no tokenizer at hand, draws the summary
      from `data/mix_stats.json` instead.
    """

    title: str | None = None
    show_card_results: bool = True
    baseline: str = "base"
    data_mix_histograms: bool = True
