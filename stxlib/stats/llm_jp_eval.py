"""Paired-bootstrap deltas of llm-jp-eval scores from the per-sample files stx writes beside llm-jp-eval's own
(`llm_jp_eval/<label>/per_sample.jsonl`: `dataset`, `index`, and `exact_match` / `char_f1` or, for jsts, the
pair `gold_value` / `pred_value`).

- `<dataset>_<metric>`: exact match and char F1 are means over samples (a plain paired bootstrap); Pearson and
  Spearman are recomputed on each resample of (gold, prediction) rows (an undefined coefficient counts 0.0, as
  llm-jp-eval 1.1 did);
- categories and AVR (llm-jp-eval 1.1: a category is the mean of its datasets' first metric, AVR the mean of the
  four categories): a stratified paired bootstrap, each dataset's samples resampled on their own with the same
  indices for both models, combined with the category/AVR weights.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stxlib.io import iter_json_objects
from stxlib.stats.align import AlignmentError
from stxlib.stats.bootstrap import (
    _CHUNK,
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Interval,
    paired_bootstrap,
)

PER_SAMPLE = "per_sample.jsonl"
#: llm-jp-eval 1.1's categories: the first metric of each dataset in them (jsts is in none). A test checks this
#: against `stxlib.llm_jp_eval.datasets.CATEGORIES` (the report may not import a stage).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "NLI": ("jamp_exact_match", "janli_exact_match", "jnli_exact_match", "jsem_exact_match", "jsick_exact_match"),
    "QA": ("jemhopqa_char_f1", "niilc_char_f1"),
    "RC": ("jsquad_char_f1",),
    "MC": ("jcommonsenseqa_exact_match",),
}
MEAN_METRICS = ("exact_match", "char_f1")
CORRELATIONS = ("pearson", "spearman")

Samples = dict[str, dict[str, dict[int, Any]]]  # dataset -> metric -> index -> value (a float, or (gold, pred))


def read_per_sample(path: str | Path) -> Samples:
    """dataset -> metric -> sample index -> value from a `per_sample.jsonl` (jsts: `(gold, pred)` pairs under
    both `pearson` and `spearman`). Problems name the file and line."""
    out: Samples = defaultdict(lambda: defaultdict(dict))
    for number, row in iter_json_objects(path, AlignmentError, "per-sample file"):
        where = f"{path}:{number}"
        name, index = row.get("dataset"), row.get("index")
        if not isinstance(name, str) or not isinstance(index, int):
            raise AlignmentError(f"{where}: expected `dataset` (a name) and `index` (a number)")
        for metric in MEAN_METRICS:
            if metric in row:
                out[name][metric][index] = _finite(row[metric], where, metric)
        if "gold_value" in row and "pred_value" in row:
            pair = (_finite(row["gold_value"], where, "gold_value"), _finite(row["pred_value"], where, "pred_value"))
            for metric in CORRELATIONS:
                out[name][metric][index] = pair
    return {name: dict(metrics) for name, metrics in out.items()}


def _finite(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AlignmentError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def correlations(kind: str, gold: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Pearson or Spearman of each row of `gold` with the same row of `pred` (2-D: one resample a row); 0.0
    where undefined (a constant row), as llm-jp-eval 1.1 counted NaN."""
    if kind == "spearman":
        from scipy.stats import rankdata

        gold, pred = rankdata(gold, axis=1), rankdata(pred, axis=1)
    gold = gold - gold.mean(axis=1, keepdims=True)
    pred = pred - pred.mean(axis=1, keepdims=True)
    norm = np.sqrt((gold**2).sum(axis=1) * (pred**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (gold * pred).sum(axis=1) / norm
    return np.where(np.isfinite(value) & (norm > 1e-12), value, 0.0)


def correlation_interval(
    kind: str,
    base: np.ndarray,
    new: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Interval:
    """Paired bootstrap of a correlation delta; `base`/`new`: `(gold, prediction)` rows of the same samples."""
    if len(base) < 2:
        raise ValueError("a correlation needs at least two samples")

    def stat(rows: np.ndarray) -> float:
        return float(correlations(kind, rows[None, :, 0], rows[None, :, 1])[0])

    rng = np.random.default_rng(seed)
    deltas = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        idx = rng.integers(0, len(base), size=(size, len(base)))
        deltas[start : start + size] = correlations(kind, new[idx, 0], new[idx, 1]) - correlations(
            kind, base[idx, 0], base[idx, 1]
        )
    base_value, new_value = stat(base), stat(new)
    return _interval(deltas, base_value, new_value, len(base), resamples, confidence)


def _interval(
    deltas: np.ndarray, base_value: float, new_value: float, n: int, resamples: int, confidence: float
) -> Interval:
    tail = (1 - confidence) / 2
    delta = new_value - base_value
    low, high = (float(v) for v in np.quantile(deltas, [tail, 1 - tail]))
    low, high = min(low, delta), max(high, delta)
    return Interval(delta, low, high, bool(low > 0 or high < 0), n, resamples, confidence, base_value, new_value)


def _paired(base: Mapping[int, Any], new: Mapping[int, Any], what: str) -> tuple[np.ndarray, np.ndarray]:
    if set(base) != set(new):
        raise AlignmentError(
            f"{what}: the two models scored different samples ({len(base)} vs {len(new)}); evaluate both on the "
            "same samples (same datasets and max_num_samples) to compare them"
        )
    ids = sorted(base)
    return np.asarray([base[i] for i in ids], dtype=float), np.asarray([new[i] for i in ids], dtype=float)


def dataset_intervals(base: Samples, new: Samples, **options: Any) -> dict[str, Interval]:
    """`{"<dataset>_<metric>": Interval}` for every dataset and metric both files hold."""
    out = {}
    for name in sorted(set(base) & set(new)):
        for metric in sorted(set(base[name]) & set(new[name])):
            a, b = _paired(base[name][metric], new[name][metric], f"{name} {metric}")
            if metric in CORRELATIONS:
                out[f"{name}_{metric}"] = correlation_interval(metric, a, b, **options)
            else:
                out[f"{name}_{metric}"] = paired_bootstrap(a, b, **options)
    return out


def weighted_intervals(
    base: Samples,
    new: Samples,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, Interval]:
    """Category and AVR intervals (stratified paired bootstrap), for the categories whose datasets both hold;
    AVR only when all four are there (llm-jp-eval 1.1 wrote AVR only for all ten datasets)."""
    groups: dict[str, np.ndarray] = {}  # "<dataset>_<metric>" -> new − base per sample
    for category_keys in CATEGORIES.values():
        for key in category_keys:
            name, _, metric = key.partition("_")
            if name in base and name in new and metric in base[name] and metric in new[name]:
                a, b = _paired(base[name][metric], new[name][metric], key)
                groups[key] = np.stack([a, b])
    weights: dict[str, dict[str, float]] = {}
    for category, keys in CATEGORIES.items():
        if all(k in groups for k in keys):
            weights[category] = {k: 1 / len(keys) for k in keys}
    if len(weights) == len(CATEGORIES):
        weights["AVR"] = {k: w / len(CATEGORIES) for c in CATEGORIES for k, w in weights[c].items()}
    if not weights:
        return {}
    rng = np.random.default_rng(seed)
    keys = sorted(groups)
    resampled = {k: np.empty(resamples) for k in keys}  # mean difference of each dataset per resample
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        for key in keys:  # fixed order: the same seed gives the same draws
            diff = groups[key][1] - groups[key][0]
            idx = rng.integers(0, len(diff), size=(size, len(diff)))
            resampled[key][start : start + size] = diff[idx].mean(axis=1)
    out = {}
    for name, parts in weights.items():
        deltas = np.sum([w * resampled[k] for k, w in parts.items()], axis=0)
        base_value = sum(w * float(groups[k][0].mean()) for k, w in parts.items())
        new_value = sum(w * float(groups[k][1].mean()) for k, w in parts.items())
        n = sum(groups[k].shape[1] for k in parts)
        out[name] = _interval(deltas, base_value, new_value, n, resamples, confidence)
    return out


def llm_jp_eval_delta(base_file: str | Path, new_file: str | Path, **options: Any) -> dict[str, Interval]:
    """Every score of two `per_sample.jsonl` files: datasets, then categories and AVR where they exist."""
    base, new = read_per_sample(base_file), read_per_sample(new_file)
    return {**weighted_intervals(base, new, **options), **dataset_intervals(base, new, **options)}


def llm_jp_eval_intervals(
    root: str | Path, baseline: str, *, labels: Sequence[str] | None = None, **options: Any
) -> dict[str, dict[str, Interval]]:
    """`{label: {score key: Interval}}`: every other `llm_jp_eval/<label>/per_sample.jsonl` against the baseline's."""
    root = Path(root)
    base_file = root / baseline / PER_SAMPLE
    if not base_file.is_file():
        return {}
    if labels is None:
        labels = sorted(p.parent.name for p in root.glob(f"*/{PER_SAMPLE}"))
    return {
        label: llm_jp_eval_delta(base_file, root / label / PER_SAMPLE, **options)
        for label in labels
        if label != baseline and (root / label / PER_SAMPLE).is_file()
    }
