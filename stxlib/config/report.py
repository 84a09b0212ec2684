"""The `report` params section."""

from __future__ import annotations

import warnings
from typing import Any

from pydantic import model_validator

from stxlib.config.base import Section

#: Keys the section once had and now ignores (old params files and run folders still load): key -> why.
RETIRED_KEYS = {
    "data_mix_histograms": (
        "the data stage now draws the token-length histograms itself (plots/data_mix.png) and the report "
        "embeds that picture; remove report.data_mix_histograms from the params file"
    ),
}


class ReportSection(Section):
    """The run report (`report.html`, `plots/`), built by notebook 04 and `stx report`.

    - `title`: the page title (default: "STX run <run.name>").
    - `show_card_results`: put the lightblue/openorca_stx model card's JGLUE numbers beside this run's.
    - `baseline`: the eval model label the deltas are taken from (the first label when absent).

    `data_mix_histograms` (before the restructure) is accepted and ignored: stage 1 draws the histograms.
    """

    title: str | None = None
    show_card_results: bool = True
    baseline: str = "base"

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not RETIRED_KEYS.keys() & data.keys():
            return data
        kept = dict(data)
        for key, why in RETIRED_KEYS.items():
            # `true` was the old default and is what happens now: only an explicit `false` is worth a word
            if key in kept and kept.pop(key) is not True:
                warnings.warn(f"report.{key} no longer has an effect: {why}", FutureWarning, stacklevel=2)
        return kept
