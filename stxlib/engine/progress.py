"""Progress bars for engine work: lively in a terminal, a line every 30 s under papermill or CI, every
`STX_PROGRESS_INTERVAL` seconds under `stx run` (which shows them in its terminal, thinned out, and keeps only
the final state in the saved notebook)."""

from __future__ import annotations

import os
import sys
from typing import Any


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("PAPERMILL_EXECUTION")


def progress_bar(total: int, desc: str, *, unit: str = "doc", disable: bool = False) -> Any:
    """A tqdm bar (a context manager; pass its `update` as the engine's `progress`); without a TTY it
    refreshes at most every 30 s. Silent on every torchrun rank but 0 (one bar per data-parallel run)."""
    from tqdm import tqdm

    from stxlib.hardware import is_main_process

    fast = interactive()
    interval = os.environ.get("STX_PROGRESS_INTERVAL")
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        mininterval=0.5 if fast else float(interval) if interval else 30.0,
        maxinterval=10.0 if fast else 60.0,
        disable=disable or not is_main_process(),
        dynamic_ncols=fast,
        file=sys.stderr,
    )
