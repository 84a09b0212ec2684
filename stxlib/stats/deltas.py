"""Paired-bootstrap deltas between two models from the per-item files stx writes (design.md formats).

- JGLUE: `eval/<label>/samples_<task>.jsonl`, one row per validation document (`doc_id`, metric fields);
- MT-Bench: `mt_bench/<label>/judgments.jsonl`, FastChat single rows (`question_id`, `turn`, `score`, `judge`);
- any other JSON-lines file with an id field and a numeric score field (`samples_delta`);
- llm-jp-eval `output_eval.json` (records aligned by position, checked by their `input`), scored per
  sample by a function the caller passes (`output_eval_delta`).

These read files only (never an evaluation stage's code), so the report, notebooks and `stx compare` can call
them. `intervals_for_run`-style helpers return one `Interval` per (label, task) for a table.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stxlib.io import read_json
from stxlib.stats.align import AlignmentError, align_items, read_item_values
from stxlib.stats.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Interval,
    format_interval,
    paired_bootstrap,
)
from stxlib.stats.judgments import read_judge_ratings

JGLUE_DEFAULT_METRIC = "acc"
JGLUE_METRICS = {"jsquad": "exact_match"}  # task-name prefix -> headline metric (jp-stable's EM on 0–100)


def bootstrap_options(stats: Any = None) -> dict[str, Any]:
    """`resamples`, `seed`, `confidence` from a `StatsSection` (`config.stats`), or the defaults."""
    if stats is None:
        return {"resamples": DEFAULT_RESAMPLES, "seed": DEFAULT_SEED, "confidence": DEFAULT_CONFIDENCE}
    return {"resamples": stats.resamples, "seed": stats.seed, "confidence": stats.confidence}


def samples_delta(
    base_file: str | Path,
    new_file: str | Path,
    *,
    id_key: str,
    value_key: str,
    keep: Callable[[dict[str, Any]], bool] | None = None,
    **options: Any,
) -> Interval:
    """Delta of the mean `value_key` between two JSON-lines files holding the same items (by `id_key`)."""
    base = read_item_values(base_file, id_key=id_key, value_key=value_key, keep=keep)
    new = read_item_values(new_file, id_key=id_key, value_key=value_key, keep=keep)
    aligned = align_items(base, new, base_name=str(base_file), new_name=str(new_file))
    return paired_bootstrap(aligned.base, aligned.new, **options)


# ---------------------------------------------------------------- JGLUE


def jglue_metric(task: str) -> str:
    """The headline metric of a JGLUE task name (`jsquad-1.1-0.3` -> `exact_match`, others `acc`)."""
    for prefix, metric in JGLUE_METRICS.items():
        if task.startswith(prefix):
            return metric
    return JGLUE_DEFAULT_METRIC


def jglue_samples_file(eval_dir: str | Path, task: str) -> Path:
    return Path(eval_dir) / f"samples_{task}.jsonl"


def jglue_delta(
    base_dir: str | Path, new_dir: str | Path, task: str, metric: str | None = None, **options: Any
) -> Interval:
    """Delta on one JGLUE task between two `eval/<label>/` folders (same documents, paired by `doc_id`).

    `metric` defaults to the task's headline (`exact_match` on 0–100 for JSQuAD: `.scaled(0.01)` shows it
    as a fraction).
    """
    return samples_delta(
        jglue_samples_file(base_dir, task),
        jglue_samples_file(new_dir, task),
        id_key="doc_id",
        value_key=metric or jglue_metric(task),
        **options,
    )


def jglue_intervals(
    eval_root: str | Path,
    baseline: str,
    *,
    labels: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    **options: Any,
) -> dict[str, dict[str, Interval]]:
    """`{label: {task: Interval}}`: every other label against `baseline` under `eval_root` (`eval/`), on each
    task whose samples file both hold. Labels default to the folders present; tasks to the baseline's files.
    """
    root = Path(eval_root)
    if labels is None:
        labels = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if tasks is None:
        tasks = sorted(p.stem.removeprefix("samples_") for p in (root / baseline).glob("samples_*.jsonl"))
    out: dict[str, dict[str, Interval]] = {}
    for label in labels:
        if label == baseline:
            continue
        row = {
            task: jglue_delta(root / baseline, root / label, task, **options)
            for task in tasks
            if jglue_samples_file(root / label, task).is_file() and jglue_samples_file(root / baseline, task).is_file()
        }
        if row:
            out[label] = row
    return out


# ---------------------------------------------------------------- MT-Bench


def mt_bench_ratings(path: str | Path, turn: int = 1) -> tuple[dict[Hashable, float], set[Hashable], str | None]:
    """Ratings of one turn from a FastChat single-judgment file: `(ratings, unparsable ids, judge name)`.

    Unparsable ratings (−1) are left out of `ratings` (FastChat drops them from the mean too). Rows of
    several judges are refused: ratings of different judges are not comparable.
    """
    rows = read_judge_ratings(path, turn, AlignmentError)
    judges = {r.judge for r in rows.values()}
    if len(judges) > 1:
        raise AlignmentError(
            f"{path}: judgments of several judges ({', '.join(sorted(judges))}); ratings of different judges "
            "are not comparable: keep one judge per file"
        )
    ratings = {qid: r.score for qid, r in rows.items() if r.parsed}
    return ratings, {qid for qid, r in rows.items() if not r.parsed}, next(iter(judges), None)


def mt_bench_delta(
    base_judgments: str | Path, new_judgments: str | Path, turn: int = 1, **options: Any
) -> tuple[Interval, int]:
    """Delta of the mean rating between two judgment files of the same judge: `(interval, questions dropped)`.

    Questions unparsable for either model are dropped from both (the pairing needs a rating on each side), so
    the delta can differ slightly from the difference of the two published scores.
    """
    base, base_bad, base_judge = mt_bench_ratings(base_judgments, turn)
    new, new_bad, new_judge = mt_bench_ratings(new_judgments, turn)
    if base_judge != new_judge:
        raise AlignmentError(
            f"{base_judgments} was judged by {base_judge!r}, {new_judgments} by {new_judge!r}: "
            "ratings of different judges are not comparable"
        )
    dropped = (set(base) & new_bad) | (set(new) & base_bad)
    base = {k: v for k, v in base.items() if k not in dropped}
    new = {k: v for k, v in new.items() if k not in dropped}
    aligned = align_items(base, new, base_name=str(base_judgments), new_name=str(new_judgments))
    return paired_bootstrap(aligned.base, aligned.new, **options), len(dropped)


def mt_bench_intervals(
    mt_bench_root: str | Path, baseline: str, *, turn: int = 1, **options: Any
) -> dict[str, Interval]:
    """`{label: Interval}` for every `mt_bench/<label>/judgments.jsonl` against the baseline's."""
    root = Path(mt_bench_root)
    base_file = root / baseline / "judgments.jsonl"
    if not base_file.is_file():
        return {}
    return {
        path.parent.name: mt_bench_delta(base_file, path, turn, **options)[0]
        for path in sorted(root.glob("*/judgments.jsonl"))
        if path.parent.name != baseline
    }


# ---------------------------------------------------------------- llm-jp-eval


def output_eval_pairs(
    base_file: str | Path, new_file: str | Path, dataset: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records of `dataset` from two llm-jp-eval `output_eval.json` files, paired by position.

    llm-jp-eval writes the samples in the evaluation file's order; the `input` of each pair must agree.
    """
    records = []
    for path in (base_file, new_file):
        data = read_json(path)
        if not isinstance(data, dict) or dataset not in data:
            raise AlignmentError(
                f"{path}: no dataset {dataset!r} (has: {', '.join(data) if isinstance(data, dict) else '-'})"
            )
        records.append(data[dataset])
    base, new = records
    if len(base) != len(new):
        raise AlignmentError(
            f"{dataset}: {base_file} holds {len(base)} samples, {new_file} {len(new)}; "
            "evaluate both models on the same samples (same max_num_samples)"
        )
    for index, (a, b) in enumerate(zip(base, new, strict=True)):
        if a.get("input") != b.get("input"):
            raise AlignmentError(f"{dataset}: sample {index} has different inputs in {base_file} and {new_file}")
    return base, new


def output_eval_delta(
    base_file: str | Path,
    new_file: str | Path,
    dataset: str,
    score: Callable[[str, str], float],
    **options: Any,
) -> Interval:
    """Delta of the mean per-sample `score(pred, gold)` on one llm-jp-eval dataset (exact match, char F1, ...)."""
    base, new = output_eval_pairs(base_file, new_file, dataset)
    base_scores = np.asarray([score(str(r.get("pred", "")), str(r.get("gold", ""))) for r in base], dtype=float)
    new_scores = np.asarray([score(str(r.get("pred", "")), str(r.get("gold", ""))) for r in new], dtype=float)
    return paired_bootstrap(base_scores, new_scores, **options)


def intervals_table(intervals: Mapping[str, Mapping[str, Interval]], digits: int = 3) -> list[dict[str, str]]:
    """Rows `{label, task, delta}` of formatted intervals (for a notebook or a simple HTML table)."""
    return [
        {"label": label, "task": task, "delta": format_interval(interval, digits)}
        for label, row in intervals.items()
        for task, interval in row.items()
    ]
