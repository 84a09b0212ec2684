"""How numbers read in every stx table (report pages and notebook frames): rounded floats, integers as
integers, a dash for a missing or non-finite value, shares as percentages."""

from __future__ import annotations

import math
from typing import Any

DASH = "—"


def fmt(value: Any, digits: int | None = None) -> str:
    """A number with `digits` decimals (default: 4 significant digits below 100, one decimal above), integers
    (and integral floats of a count) with thousands separators, a dash for None/NaN, yes/no for booleans."""
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


def count(value: Any) -> str:
    """A row or token count: `60`, `4,389` (never `60.0`; a float such as a p95 is rounded), a dash when
    missing."""
    if isinstance(value, float) and math.isfinite(value):
        value = round(value)
    return fmt(value)


def percent(share: Any, digits: int = 1) -> str:
    """A share in 0–1 as a percentage (`0.21` -> `21.0%`), a dash when missing."""
    if not isinstance(share, int | float) or isinstance(share, bool) or not math.isfinite(share):
        return DASH
    return f"{100 * share:.{digits}f}%"
