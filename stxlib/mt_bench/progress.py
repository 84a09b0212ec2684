"""A progress bar for answers and judgments: lively in a terminal, a line every 30 s under papermill or CI."""

from __future__ import annotations

import os
import sys
from typing import Any


def count_bar(total: int, desc: str, *, disable: bool = False) -> Any:
    """A tqdm bar; `.update(n)` is the engine's progress callback."""
    from tqdm import tqdm

    lively = sys.stderr.isatty() and not os.environ.get("PAPERMILL_EXECUTION")
    return tqdm(
        total=total,
        desc=desc,
        unit="req",
        mininterval=0.5 if lively else 30.0,
        maxinterval=10.0 if lively else 60.0,
        disable=disable or total == 0,
        dynamic_ncols=lively,
        file=sys.stderr,
    )
