"""Seeded paired bootstrap of a delta between two models scored on the same items.

Both models are resampled with the *same* item indices in every resample (a paired bootstrap), so the
interval reflects how much the delta depends on which items happened to be in the evaluation set, with the
per-item correlation between the two models taken into account. The interval is the percentile interval of
the resampled deltas; the point estimate is the delta on the full sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
DEFAULT_CONFIDENCE = 0.95
MINUS = "\u2212"  # typographic minus, as in "+0.031 [−0.004, +0.066]"
_CHUNK = 256  # resamples drawn at a time (bounded memory on large item sets)

Statistic = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Interval:
    """A delta (new − base) with its bootstrap interval.

    `excludes_zero`: the interval lies entirely above or below 0 (the delta is unlikely to be noise of the
    item sample). `base` and `new`: the statistic of each model on the full sample.
    """

    delta: float
    low: float
    high: float
    excludes_zero: bool
    n: int
    resamples: int
    confidence: float = DEFAULT_CONFIDENCE
    base: float = math.nan
    new: float = math.nan

    def scaled(self, factor: float) -> Interval:
        """The same interval on another scale (e.g. 1/100 for JSQuAD exact match shown as a fraction)."""
        low, high = sorted((self.low * factor, self.high * factor))
        return Interval(
            self.delta * factor, low, high, self.excludes_zero, self.n, self.resamples, self.confidence,
            self.base * factor, self.new * factor,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return format_interval(self)


def paired_bootstrap(
    base_values: Sequence[Any] | np.ndarray,
    new_values: Sequence[Any] | np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    statistic: Statistic | None = None,
) -> Interval:
    """Delta `statistic(new) − statistic(base)` with a seeded paired-bootstrap percentile interval.

    `base_values[i]` and `new_values[i]` must belong to the same item (align them first with
    `stxlib.stats.align_items`). The default statistic is the mean (vectorised); any other is called with the
    resampled values (rows of a 2-D array stay together, e.g. `(prediction, gold)` pairs for a correlation).
    The same `seed` gives the same interval; identical inputs give delta 0 and the interval [0, 0].
    """
    base = np.asarray(base_values)
    new = np.asarray(new_values)
    n = len(base)
    if len(new) != n:
        raise ValueError(f"paired bootstrap needs the same items for both models: {n} base values, {len(new)} new")
    if n == 0:
        raise ValueError("paired bootstrap of an empty sample: there are no items to compare")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    stat = statistic or _mean
    base_stat, new_stat = float(stat(base)), float(stat(new))
    deltas = _resampled_deltas(base, new, resamples, seed, statistic)
    tail = (1 - confidence) / 2
    low, high = (float(v) for v in np.quantile(deltas, [tail, 1 - tail]))
    delta = new_stat - base_stat
    # float noise in the quantiles must not place the point estimate outside its own interval
    low, high = min(low, delta), max(high, delta)
    return Interval(delta, low, high, bool(low > 0 or high < 0), n, resamples, confidence, base_stat, new_stat)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values, axis=0))


def _resampled_deltas(
    base: np.ndarray, new: np.ndarray, resamples: int, seed: int, statistic: Statistic | None
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(base)
    out = np.empty(resamples)
    mean_path = statistic is None and base.ndim == 1 and np.issubdtype(base.dtype, np.number)
    diff = new.astype(float) - base.astype(float) if mean_path else None
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        idx = rng.integers(0, n, size=(size, n))
        if diff is not None:
            # mean(new[idx]) − mean(base[idx]) = mean(diff[idx]), exactly 0 when both models agree everywhere
            out[start : start + size] = diff[idx].mean(axis=1)
        else:
            stat = statistic or _mean
            out[start : start + size] = [float(stat(new[i])) - float(stat(base[i])) for i in idx]
    return out


def format_interval(
    interval: Interval, digits: int = 3, *, marker: str = " *", show_marker: bool = True, percent: bool = False
) -> str:
    """`+0.031 [−0.004, +0.066]`, with `marker` appended when the interval excludes 0.

    `percent`: values are fractions shown as percentage points (`+3.1 pp [−0.4, +6.6]`).
    """
    factor, unit = (100.0, " pp") if percent else (1.0, "")
    text = (
        f"{signed(interval.delta * factor, digits)}{unit} "
        f"[{signed(interval.low * factor, digits)}, {signed(interval.high * factor, digits)}]"
    )
    return text + (marker if show_marker and interval.excludes_zero else "")


def signed(value: float, digits: int = 3) -> str:
    """`+0.031`, `−0.004` (typographic minus); a value that rounds to zero has no sign (`0.000`)."""
    if not math.isfinite(value):
        return "–"
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else MINUS) + text
