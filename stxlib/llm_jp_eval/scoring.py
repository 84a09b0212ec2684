"""Scores of an `output_eval.json` as llm-jp-eval 1.1 computed and wrote them (`score_eval.json`).

Per dataset `<name>_<metric>`; when all ten datasets are present, the categories (`statistics.mean` of their
tasks) and `AVR = (NLI + QA + RC + MC) / 4` in plain float arithmetic (it decides the 4th decimal); every value a
`f"{v:.4f}"` string, keys sorted, then `csv_line` (the values joined by commas in that order).

Beside it, per-sample values for paired comparisons (`per_sample.jsonl`, stx's own file): `exact_match` (0/1) or
`char_f1` (0–1) per sample, and for jsts the pair `gold_value`/`pred_value` that the correlations use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from stxlib.llm_jp_eval.datasets import CATEGORIES, DATASET_NAMES, check_dataset_name
from stxlib.llm_jp_eval.metrics import char_f1, dataset_score, exact_match, parse_float

RECORD_KEYS = ("prompt", "input", "pred", "gold")  # llm-jp-eval's output_eval.json record


@dataclass(frozen=True)
class Scores:
    values: dict[str, float]  # sorted keys: AVR, categories, <dataset>_<metric>
    per_sample: list[dict[str, Any]]

    @property
    def has_categories(self) -> bool:
        return "AVR" in self.values

    def score_eval(self) -> dict[str, str]:
        """llm-jp-eval's score_eval.json content: 4-decimal strings, then `csv_line`."""
        formatted = {key: f"{value:.4f}" for key, value in self.values.items()}
        return {**formatted, "csv_line": ",".join(formatted.values())}


def dataset_metrics(name: str, metrics: Sequence[str] | None = None) -> tuple[str, ...]:
    """The metrics of a dataset: the evaluation file's list when given, else 1.1's."""
    return tuple(metrics) if metrics is not None else check_dataset_name(name).metrics


def score_dataset(name: str, records: Sequence[Mapping[str, Any]], metrics: Sequence[str]) -> dict[str, float]:
    preds = [str(r["pred"]) for r in records]
    golds = [str(r["gold"]) for r in records]
    if not records:
        raise ValueError(f"{name}: no samples to score")
    return {f"{name}_{metric}": dataset_score(metric, preds, golds) for metric in metrics}


def per_sample_rows(name: str, records: Sequence[Mapping[str, Any]], metrics: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for index, record in enumerate(records):
        pred, gold = str(record["pred"]), str(record["gold"])
        row: dict[str, Any] = {"dataset": name, "index": index}
        if "exact_match" in metrics:
            row["exact_match"] = exact_match(pred, gold)
        if "char_f1" in metrics:
            row["char_f1"] = char_f1(pred, gold)
        if "pearson" in metrics or "spearman" in metrics:
            row["gold_value"] = float(gold)
            row["pred_value"] = parse_float(pred)
        rows.append(row)
    return rows


def add_categories(values: dict[str, float]) -> dict[str, float]:
    """Category means and AVR, as 1.1 added them when it evaluated `all`; a copy with sorted keys."""
    out = dict(values)
    for category, keys in CATEGORIES.items():
        out[category] = mean(values[key] for key in keys)
    out["AVR"] = (out["NLI"] + out["QA"] + out["RC"] + out["MC"]) / 4
    return dict(sorted(out.items()))


def score_output(
    output: Mapping[str, Sequence[Mapping[str, Any]]], metrics: Mapping[str, Sequence[str]] | None = None
) -> Scores:
    """Score an output_eval.json mapping (dataset -> records with `pred` and `gold`).

    `metrics` gives a dataset's metric list (its evaluation file's); otherwise 1.1's list for that name.
    Categories and AVR are added only when all ten datasets are present (what 1.1 wrote for `all`).
    """
    values: dict[str, float] = {}
    per_sample: list[dict[str, Any]] = []
    for name, records in output.items():
        used = dataset_metrics(name, (metrics or {}).get(name))
        values.update(score_dataset(name, records, used))
        per_sample.extend(per_sample_rows(name, records, used))
    if all(name in output for name in DATASET_NAMES):
        values = add_categories(values)
    return Scores(dict(sorted(values.items())), per_sample)


def category_means(values: Mapping[str, float]) -> dict[str, tuple[float, int, int]]:
    """For display: category -> (mean of its tasks present, tasks present, tasks in the category)."""
    out = {}
    for category, keys in CATEGORIES.items():
        present = [values[k] for k in keys if k in values]
        if present:
            out[category] = (mean(present), len(present), len(keys))
    return out
