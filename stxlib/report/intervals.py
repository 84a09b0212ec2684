"""Paired-bootstrap intervals of the report's deltas, computed from a run folder's per-item files only
(`stxlib.stats`): JGLUE `eval/<label>/samples_<task>.jsonl`, llm-jp-eval `llm_jp_eval/<label>/per_sample.jsonl`,
MT-Bench `mt_bench/<label>/judgments.jsonl`. A pair of files that cannot be paired (different documents, a
damaged file) gives no interval and a note on the page; the plain delta is shown then."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import DASH, Cell
from stxlib.stats import (
    AlignmentError,
    Interval,
    bootstrap_options,
    format_interval,
    jglue_delta,
    jglue_intervals,
    jglue_metric,
    llm_jp_eval_intervals,
    mt_bench_delta,
    mt_bench_intervals,
)

T = TypeVar("T")
MARKER = " *"


def options(run: RunArtifacts) -> dict[str, Any]:
    """The bootstrap settings of the run's `stats` params (the defaults without params)."""
    return bootstrap_options(run.config.stats if run.config is not None else None)


def note(run: RunArtifacts, baseline: str = "the baseline") -> str:
    """The sentence under a table with intervals."""
    opts = options(run)
    return (
        f"Δ: change from {baseline} with its {opts['confidence']:.0%} paired-bootstrap interval "
        f"({opts['resamples']:,} resamples of the same items for both models, seed {opts['seed']}); "
        f"{MARKER.strip()} = the interval excludes 0."
    )


def _safe(run: RunArtifacts, where: Path, compute: Callable[[], T], empty: T) -> T:
    try:
        return compute()
    except (AlignmentError, ValueError, OSError) as err:
        run.note(where, f"no intervals: {str(err).splitlines()[0]}", False)
        return empty


def headline_scale(task: str) -> float:
    """The report's scale of a JGLUE task's samples metric (JSQuAD exact match 0–100 shown / 100)."""
    return 0.01 if jglue_metric(task) == "exact_match" else 1.0


def jglue(run: RunArtifacts, baseline: str) -> dict[str, dict[str, Interval]]:
    """label -> task -> interval on the headline scale, for every label with samples beside the baseline's."""
    root = run.paths.eval_root
    if not (root / baseline).is_dir():
        return {}
    found = _safe(run, root, lambda: jglue_intervals(root, baseline, **options(run)), {})
    return {label: {t: i.scaled(headline_scale(t)) for t, i in row.items()} for label, row in found.items()}


def llm_jp_eval(run: RunArtifacts, baseline: str) -> dict[str, dict[str, Interval]]:
    """label -> score key (`AVR`, `NLI`, `<dataset>_<metric>`) -> interval."""
    root = run.root / "llm_jp_eval"
    return _safe(run, root, lambda: llm_jp_eval_intervals(root, baseline, **options(run)), {})


def mt_bench(run: RunArtifacts, baseline: str) -> dict[str, Interval]:
    """label -> interval of the mean rating (questions rated for both models)."""
    root = run.root / "mt_bench"
    return _safe(run, root, lambda: mt_bench_intervals(root, baseline, **options(run)), {})


def between_runs_jglue(
    first: RunArtifacts, second: RunArtifacts, label: str, task: str, settings: Mapping[str, Any]
) -> Interval | None:
    """`second − first` on one JGLUE task of one model label, when both runs hold the same documents."""
    a, b = first.paths.eval_dir(label), second.paths.eval_dir(label)
    if not ((a / f"samples_{task}.jsonl").is_file() and (b / f"samples_{task}.jsonl").is_file()):
        return None
    try:
        return jglue_delta(a, b, task, **settings).scaled(headline_scale(task))
    except (AlignmentError, ValueError, OSError):
        return None


def between_runs_mt_bench(
    first: RunArtifacts, second: RunArtifacts, label: str, settings: Mapping[str, Any]
) -> Interval | None:
    """`second − first` of one model label's MT-Bench rating, when both runs were judged by the same judge."""
    a = first.root / "mt_bench" / label / "judgments.jsonl"
    b = second.root / "mt_bench" / label / "judgments.jsonl"
    if not (a.is_file() and b.is_file()):
        return None
    try:
        return mt_bench_delta(a, b, **settings)[0]
    except (AlignmentError, ValueError, OSError):
        return None


def interval_cell(interval: Interval | None, fallback: Cell | None = None, digits: int = 3) -> Cell:
    """`+0.031 [−0.004, +0.066]` (with ` *` when 0 is outside), coloured by sign; `fallback` (or a dash) when
    there is no interval."""
    if interval is None:
        return fallback if fallback is not None else Cell(DASH, "muted")
    cls = "pos" if interval.delta > 0 else ("neg" if interval.delta < 0 else "")
    if interval.excludes_zero:
        cls = f"{cls} strong".strip()
    return Cell(format_interval(interval, digits, marker=MARKER), cls)
