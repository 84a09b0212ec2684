"""The `stats` params section: bootstrap settings shared by every interval stx shows."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stxlib.config.base import PositiveInt, Section


class StatsSection(Section):
    """Seeded bootstrap intervals: paired deltas (JGLUE, llm-jp-eval, MT-Bench: base → fine-tuned on the same
    items, in notebooks, the report and `stx compare`) and vote-bootstrap intervals of preference strengths.

    - `resamples`: bootstrap resamples per interval (1,000 is the usual choice; more gives steadier ends).
    - `seed`: the bootstrap's own seed, kept apart from `run.seed` so that intervals of runs with different
      training seeds are computed the same way.
    - `confidence`: the central share the percentile interval covers (0.95: the 2.5th to 97.5th percentile).
    """

    resamples: PositiveInt = 1000
    seed: int = 0
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
