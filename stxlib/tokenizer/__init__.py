"""Stage `tokenizer` (Shisa recipe): characters per token as Shisa measured it, and Shisa's tokenizer extension.

Light on import (`python -m stxlib.tokenizer.offline --check` runs at every `make venv`): the entry points are
loaded on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_config", "run_stage"]


def run_stage(config: Any, paths: Any) -> Any:
    """Extend the tokenizer (when enabled), measure every tokenizer over every corpus, write the stage's files."""
    from stxlib.tokenizer.stage import run_stage as run

    return run(config, paths)


def check_config(config: Any) -> None:
    """Refuse params the stage cannot run (no corpus, missing files, offline tokenizer not installed)."""
    from stxlib.tokenizer.stage import check_config as check

    check(config)
