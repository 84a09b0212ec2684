"""Tables from results.json / samples files: headline numbers beside the card's, full metrics, wrong answers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stxlib.io import read_json, read_jsonl
from stxlib.jglue.runner import RESULTS_FILE, TaskInputs, samples_file
from stxlib.jglue.tasks import get_task
from stxlib.published import CARD_METRICS, CARD_MODEL_NAMES, CARD_RESULTS, CARD_TASKS

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


def headline(results: Results) -> dict[str, float | None]:
    """Each task's number as the card reported it: JSQuAD exact match / 100, `acc` for the others (0–1)."""
    out: dict[str, float | None] = {}
    for task, metrics in results["results"].items():
        metric, factor = CARD_METRICS.get(task, (get_task(task).headline_metric, 1.0))
        value = metrics.get(metric)
        out[task] = None if value is None else value * factor
    return out


def headline_scores(results_by_label: Mapping[str, Results]) -> dict[str, dict[str, float | None]]:
    return {label: headline(results) for label, results in results_by_label.items()}


def comparison_frame(results_by_label: Mapping[str, Results], card: Mapping[str, Mapping[str, float]] = CARD_RESULTS):
    """Rows = tasks; columns = each evaluated label, then the card's numbers for the same labels.

    Values are headline numbers on 0–1 (JSQuAD EM / 100, acc otherwise). A `Δ <label>` column gives
    this run minus the card where both exist.
    """
    import pandas as pd

    scores = headline_scores(results_by_label)
    tasks = [t for t in CARD_TASKS if any(t in s for s in scores.values())]
    tasks += [t for s in scores.values() for t in s if t not in tasks]
    rows = []
    for task in tasks:
        metric, _ = CARD_METRICS.get(task, (get_task(task).headline_metric, 1.0))
        row: dict[str, Any] = {"task": task, "metric": "exact_match / 100" if metric == "exact_match" else metric}
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


def last_input(prompt: str) -> str:
    """The evaluated document's `### 入力:` text (the last block of the prompt)."""
    tail = prompt.rsplit("### 入力:\n", 1)[-1]
    return tail.split("\n\n### 応答:\n", 1)[0]


def wrong_answers(eval_dir: str | Path, task: str, n: int = 3):
    """Up to `n` documents the model got wrong (by doc_id): input, prediction, gold."""
    import pandas as pd

    spec = get_task(task)
    path = Path(eval_dir) / samples_file(spec.name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; evaluate {spec.name} first")
    rows = []
    for sample in read_jsonl(path):
        if spec.is_generation:
            if sample["exact_match"] > 0:
                continue
            rows.append(
                {
                    "doc_id": sample["doc_id"],
                    "input": last_input(sample["prompt"]),
                    "prediction": sample["prediction"],
                    "gold": " | ".join(dict.fromkeys(sample["gold"])),
                    "f1": round(sample["f1"], 1),
                }
            )
        else:
            if sample["acc"]:
                continue
            choices = sample["choices"]
            rows.append(
                {
                    "doc_id": sample["doc_id"],
                    "input": last_input(sample["prompt"]),
                    "prediction": choices[sample["prediction"]],
                    "gold": choices[sample["gold"]],
                    "loglikelihoods": ", ".join(
                        f"{c}: {ll:.2f}" for c, ll in zip(choices, sample["loglikelihoods"], strict=True)
                    ),
                }
            )
        if len(rows) >= n:
            break
    return pd.DataFrame(rows)


def inputs_frame(inputs: list[TaskInputs]):
    """Per task: where the evaluated documents and the shots come from, and whether the prompts are jp-stable's."""
    import pandas as pd

    rows = []
    for item in inputs:
        d = item.detail
        rows.append(
            {
                "task": item.task,
                "k": item.k,
                "documents": f"{d['n_evaluated']} of {d['n_validation']}",
                "validation": d["validation"],
                "shots from": f"{d['shot_pool']['split']} ({d['shot_pool']['rows']} rows)",
                "jp-stable prompts": "yes" if item.jp_stable_prompts else "NO (stand-in)",
                "full v1.1 validation": d["data_checks"]["validation"]["full_v1.1_size"],
            }
        )
    return pd.DataFrame(rows).set_index("task")


def stand_in_warnings(inputs: list[TaskInputs]) -> list[str]:
    return [item.warning for item in inputs if item.warning]


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
