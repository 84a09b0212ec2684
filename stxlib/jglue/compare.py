"""Tables from results.json files: headline numbers beside the card's, full metrics, timings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stxlib.io import read_json
from stxlib.jglue.results import RESULTS_FILE, headline
from stxlib.published import CARD_MODEL_NAMES, CARD_RESULTS, CARD_TASKS

Results = Mapping[str, Any]  # the content of one results.json


def load_results(eval_root: str | Path, labels: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """label -> results.json content for every `eval_root/<label>/results.json` (or the given labels)."""
    root = Path(eval_root)
    if labels is None:
        labels = sorted(p.parent.name for p in root.glob(f"*/{RESULTS_FILE}"))
    missing = [label for label in labels if not (root / label / RESULTS_FILE).is_file()]
    if missing:
        raise FileNotFoundError(f"no {RESULTS_FILE} for {', '.join(missing)} under {root}; run the eval stage first")
    return {label: read_json(root / label / RESULTS_FILE) for label in labels}


def headlines(results: Results) -> dict[str, dict[str, Any]]:
    """results.json's `headline` (recomputed from `results` for files written before it existed)."""
    return dict(results.get("headline") or headline(results["results"]))


def headline_scores(results_by_label: Mapping[str, Results]) -> dict[str, dict[str, float | None]]:
    """label -> task -> the card's number for it (JSQuAD exact match / 100, acc otherwise; 0–1)."""
    return {
        label: {task: entry["value"] for task, entry in headlines(results).items()}
        for label, results in results_by_label.items()
    }


def metric_label(entry: Mapping[str, Any]) -> str:
    """`exact_match / 100` for a scale of 0.01, the metric's name for a scale of 1."""
    scale = entry["scale"]
    return entry["metric"] if scale == 1 else f"{entry['metric']} / {round(1 / scale):g}"


def comparison_frame(results_by_label: Mapping[str, Results], card: Mapping[str, Mapping[str, float]] = CARD_RESULTS):
    """Rows = tasks; columns = each evaluated label, then the card's numbers for the same labels.

    Values are headline numbers on 0–1 (JSQuAD EM / 100, acc otherwise). A `Δ <label>` column gives
    this run minus the card where both exist.
    """
    import pandas as pd

    entries = {label: headlines(results) for label, results in results_by_label.items()}
    scores = headline_scores(results_by_label)
    tasks = [t for t in CARD_TASKS if any(t in s for s in scores.values())]
    tasks += [t for s in scores.values() for t in s if t not in tasks]
    rows = []
    for task in tasks:
        entry = next(e[task] for e in entries.values() if task in e)
        row: dict[str, Any] = {"task": task, "metric": metric_label(entry)}
        for label, values in scores.items():
            row[f"{label} (this run)"] = values.get(task)
        for label in card:
            row[f"{label} (card: {CARD_MODEL_NAMES.get(label, label)})"] = card[label].get(task)
        for label, values in scores.items():
            if label in card and values.get(task) is not None and task in card[label]:
                row[f"Δ {label}"] = values[task] - card[label][task]  # type: ignore[operator]
        rows.append(row)
    return pd.DataFrame(rows).set_index("task")


def results_frame(results_by_label: Mapping[str, Results]):
    """Every metric of every task (stderr beside its metric), one column per label."""
    import pandas as pd

    rows = []
    for label, results in results_by_label.items():
        for task, metrics in results["results"].items():
            for name, value in metrics.items():
                rows.append({"task": task, "metric": name, "label": label, "value": value})
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows).set_index(["task", "metric", "label"])["value"]
    return frame.unstack("label").reindex(pd.unique(frame.index.droplevel("label")))


def timing_frame(results_by_label: Mapping[str, Results]):
    """Seconds and documents/s per task and model (from results.json `config.task_details`)."""
    import pandas as pd

    rows = []
    for label, results in results_by_label.items():
        config = results["config"]
        for task, detail in config.get("task_details", {}).items():
            rows.append(
                {
                    "label": label,
                    "task": task,
                    "engine": config.get("engine"),
                    "documents": detail.get("n_evaluated"),
                    "seconds": detail.get("seconds"),
                    "docs/s": detail.get("docs_per_second"),
                    "truncated requests": detail.get("truncated_requests"),
                }
            )
    return pd.DataFrame(rows)
