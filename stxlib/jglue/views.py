"""What notebook 03 shows besides the results tables: the models, the data and prompts, wrong answers."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from stxlib.io import read_jsonl
from stxlib.jglue.data import data_warnings
from stxlib.jglue.inputs import TaskInputs
from stxlib.jglue.model import ModelSpec
from stxlib.jglue.results import samples_file
from stxlib.jglue.tasks import get_task


def models_frame(specs: Sequence[ModelSpec]):
    """One row per model to evaluate: what is loaded, with which adapter, dtype and quantisation."""
    import pandas as pd

    rows = [
        {
            "label": s.label,
            "model": s.local.model,
            "adapter": s.local.adapter or "",
            "dtype": s.local.dtype,
            "4-bit": s.local.quantization is not None,
        }
        for s in specs
    ]
    return pd.DataFrame(rows).set_index("label")


def inputs_frame(inputs: Sequence[TaskInputs]):
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
                "full v1.1 validation": "yes" if d["data_checks"]["validation"]["full_v1.1_size"] else "no",
            }
        )
    return pd.DataFrame(rows).set_index("task")


def stand_in_warnings(inputs: Sequence[TaskInputs]) -> list[str]:
    return [item.warning for item in inputs if item.warning]


def stand_in_banner(inputs: Sequence[TaskInputs]) -> str:
    """Markdown warnings: prompts that are not jp-stable's, data that is not JGLUE v1.1's ("" when none)."""
    parts = []
    warnings = stand_in_warnings(inputs)
    if warnings:
        parts.append("### ⚠️ NOT the exact jp-stable prompts\n\n" + "\n".join(f"- {w}" for w in warnings))
    data = data_warnings({item.task: item.detail for item in inputs})
    if data:
        parts.append(_DATA_TITLE + "\n".join(f"- {w}" for w in data))
    return "\n\n".join(parts)


def results_banner(results: Mapping[str, Mapping[str, Any]]) -> str:
    """The same warnings as recorded in each model's results.json (`config.warnings`, `config.data_warnings`),
    as Markdown above the comparison table ("" when none)."""
    lines = []
    for label, document in results.items():
        config = document.get("config", {})
        lines += [f"{label}: {w}" for w in [*config.get("warnings", []), *config.get("data_warnings", [])]]
    return (_RESULTS_TITLE + "\n".join(f"- {line}" for line in lines)) if lines else ""


_DATA_TITLE = "### ⚠️ Not the JGLUE v1.1 data of the card\n\n"
_RESULTS_TITLE = "### ⚠️ These numbers are not directly comparable with the card\n\n"


def first_prompt_html(inputs: Sequence[TaskInputs], task: str | None = None) -> str:
    """One task's first evaluated prompt (the first task unless `task`), collapsed in a `<details>` block whose
    summary names the task, document and gold answer; the samples files hold every prompt."""
    chosen = [item for item in inputs if item.docs and (task is None or item.task == get_task(task).name)]
    if not chosen:
        return "<p><em>no evaluated document</em></p>"
    item = chosen[0]
    doc = item.docs[0]
    summary = (
        f"First prompt of {item.task} (doc_id {doc.doc_id}, {item.k}-shot, gold {doc.gold_text()!r}, "
        f"{len(doc.context):,} characters): click to show"
    )
    return (
        f"<details><summary>{escape(summary)}</summary>"
        f'<pre style="white-space: pre-wrap; max-width: 60em">{escape(doc.context)}</pre></details>'
    )


def samples_links(page_dir: str | Path, eval_root: str | Path, labels: Sequence[str], tasks: Sequence[str]) -> str:
    """HTML links, relative to `page_dir` (where the rendered notebook lives), to each model's
    `samples_<task>.jsonl` (every prompt, prediction and score) and `results.json`."""
    items = []
    for label in labels:
        folder = Path(eval_root) / label
        files = [folder / samples_file(get_task(t).name) for t in tasks] + [folder / "results.json"]
        links = [
            f'<a href="{escape(quote(Path(os.path.relpath(f, page_dir)).as_posix()))}">{escape(f.name)}</a>'
            for f in files
            if f.is_file()
        ]
        items.append(f"<li>{escape(label)}: {' · '.join(links) or 'no files yet'}</li>")
    return f"<ul>{''.join(items)}</ul>"


def result_folders(eval_root: str | Path, labels: Sequence[str]) -> str:
    """`label: <eval_root>/<label>` for each evaluated model, one a line: where its results.json is."""
    return "\n".join(f"{label}: {Path(eval_root) / label}" for label in labels)


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


def wrong_answers_frame(eval_root: str | Path, labels: Sequence[str], tasks: Sequence[str], n: int = 3):
    """`wrong_answers` of every model and task in one table, indexed by (label, task, doc_id)."""
    import pandas as pd

    frames = []
    for label in labels:
        for task in tasks:
            frame = wrong_answers(Path(eval_root) / label, task, n)
            if not frame.empty:
                frames.append(frame.assign(label=label, task=get_task(task).name))
    if not frames:
        return pd.DataFrame(columns=["label", "task", "doc_id", "input", "prediction", "gold"]).set_index(
            ["label", "task", "doc_id"]
        )
    return pd.concat(frames, ignore_index=True).set_index(["label", "task", "doc_id"])
