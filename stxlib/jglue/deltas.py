"""Notebook 03's table of base → fine-tuned changes with their paired-bootstrap intervals (from the samples files)."""

from __future__ import annotations

import pandas as pd

from stxlib.config import StxConfig
from stxlib.paths import RunPaths
from stxlib.plots.jglue import short_task
from stxlib.stats import AlignmentError, bootstrap_options, interval_rows, jglue_intervals, jglue_metric


def delta_frame(config: StxConfig, paths: RunPaths, baseline: str | None = None) -> pd.DataFrame:
    """Per task and model: the headline value of the baseline and the model, the change with its interval
    (`stats` params), ` *` when the interval excludes 0. JSQuAD exact match is shown / 100. Empty, with the
    reason in `.attrs["note"]`, when the two models were not evaluated on the same documents."""
    base = baseline or config.report.baseline
    labels = [m.label for m in config.eval.models]
    try:
        found = jglue_intervals(
            paths.eval_root, base, labels=labels, tasks=config.eval.tasks, **bootstrap_options(config.stats)
        )
    except (AlignmentError, ValueError) as err:  # different items, or no item rated on both sides
        frame = pd.DataFrame()
        frame.attrs["note"] = f"no intervals: {err}"
        return frame
    rows = interval_rows(found, base, scale=lambda task: 0.01 if jglue_metric(task) == "exact_match" else 1.0)
    for row in rows:
        row["task"] = short_task(row["task"])
    return pd.DataFrame(rows)
