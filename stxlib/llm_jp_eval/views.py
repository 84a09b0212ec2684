"""Tables the notebook and the CLI show, read from the result files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from stxlib.engine import LocalModelSpec
from stxlib.io import read_json, read_jsonl
from stxlib.llm_jp_eval.datasets import CATEGORIES, DATASETS
from stxlib.llm_jp_eval.files import OUTPUT_EVAL, PER_SAMPLE, RUN_INFO, SCORE_EVAL
from stxlib.llm_jp_eval.prompts import render_prompt
from stxlib.llm_jp_eval.runner import PreparedDataset
from stxlib.llm_jp_eval.scoring import category_means

HEADLINE = ("AVR", *CATEGORIES)


def read_scores(dirs: Mapping[str, Path]) -> dict[str, dict[str, str]]:
    """label -> score_eval.json content, for each model folder that has one."""
    return {label: read_json(d / SCORE_EVAL) for label, d in dirs.items() if (d / SCORE_EVAL).is_file()}


def score_table(scores: Mapping[str, Mapping[str, str | float]]) -> pd.DataFrame:
    """One row per score (AVR, categories, then `<dataset>_<metric>`), one column per model; floats."""
    keys: list[str] = [k for k in HEADLINE if any(k in s for s in scores.values())]
    for values in scores.values():
        keys += [k for k in values if k not in keys and k != "csv_line" and k not in HEADLINE]
    table = pd.DataFrame(
        {label: [float(values[k]) if k in values else None for k in keys] for label, values in scores.items()},
        index=pd.Index(keys, name="score"),
    )
    return table


def category_table(scores: Mapping[str, Mapping[str, str | float]]) -> pd.DataFrame:
    """Per model and category: the mean of the tasks present and how many of the category's tasks that is.

    With all ten datasets this is score_eval.json's category value; with fewer it is a partial mean (flagged).
    """
    rows = []
    for label, values in scores.items():
        floats = {k: float(v) for k, v in values.items() if k != "csv_line"}
        for category, (value, present, total) in category_means(floats).items():
            rows.append({"model": label, "category": category, "score": value, "tasks": f"{present}/{total}"})
        if "AVR" in floats:
            rows.append({"model": label, "category": "AVR", "score": floats["AVR"], "tasks": "all"})
    return pd.DataFrame(rows, columns=["model", "category", "score", "tasks"])


def prompt_example(model_dir: Path, dataset: str, index: int = 0) -> str:
    """The exact text the model was given for one sample (the logged template with its input filled in)."""
    record = read_json(model_dir / OUTPUT_EVAL)[dataset][index]
    return render_prompt(record["prompt"], record["input"])


def wrong_answers(model_dir: Path, datasets: Sequence[str] | None = None, n: int = 3) -> pd.DataFrame:
    """Up to `n` samples per dataset below full marks (exact match 0, char_f1 < 1; jsts: off by 1 or more, or
    unparsable, which counts as −2.0), with the input, the prediction, the gold and the per-sample score."""
    output = read_json(model_dir / OUTPUT_EVAL)
    rows = []
    for row in read_jsonl(model_dir / PER_SAMPLE):
        name = row["dataset"]
        if datasets is not None and name not in datasets:
            continue
        score = row.get("exact_match", row.get("char_f1"))
        wrong = score < 1 if score is not None else abs(row["pred_value"] - row["gold_value"]) >= 1.0
        if wrong and sum(r["dataset"] == name for r in rows) < n:
            record = output[name][row["index"]]
            rows.append(
                {
                    "dataset": name,
                    "index": row["index"],
                    "input": record["input"],
                    "pred": record["pred"],
                    "gold": record["gold"],
                    "score": score,
                }
            )
    return pd.DataFrame(rows, columns=["dataset", "index", "input", "pred", "gold", "score"])


def wrong_answers_table(dirs: Mapping[str, Path], n: int = 3) -> pd.DataFrame:
    """`wrong_answers` of every model, with a `model` column first."""
    frames = [wrong_answers(d, n=n).assign(model=label) for label, d in dirs.items()]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]


def data_table(prepared: Sequence[PreparedDataset]) -> pd.DataFrame:
    """One row per dataset: category, metrics, token budget, samples scored, file."""
    rows = [
        {
            "dataset": item.name,
            "category": DATASETS[item.name].category or "–",
            "metrics": ", ".join(item.data.metrics),
            "max new tokens": item.data.output_length,
            "samples": len(item.samples),
            "of": len(item.data.samples),
            "file": str(item.data.path),
        }
        for item in prepared
    ]
    return pd.DataFrame(rows).set_index("dataset")


def sample_prompt(prepared: Sequence[PreparedDataset], dataset: str | None = None, index: int = 0) -> str:
    """The exact prompt text of one sample (default: the first sample of the first dataset)."""
    item = next(p for p in prepared if dataset in (None, p.name))
    return render_prompt(item.template, item.samples[index].input)


def models_table(specs: Mapping[str, LocalModelSpec]) -> pd.DataFrame:
    """label -> model, adapter, tokenizer, dtype, 4-bit: what each model of the stage loads."""
    rows = [
        {
            "label": label,
            "model": s.model,
            "adapter": s.adapter or "",
            "tokenizer": s.tokenizer or "",
            "dtype": s.dtype,
            "4-bit": bool(s.quantization is not None and s.quantization.load_in_4bit),
        }
        for label, s in specs.items()
    ]
    return pd.DataFrame(rows).set_index("label")


def run_table(dirs: Mapping[str, Path]) -> pd.DataFrame:
    """What each model was and how it ran (run_info.json)."""
    rows = []
    for label, d in dirs.items():
        info = read_json(d / RUN_INFO)
        rows.append(
            {
                "label": label,
                "model": info["model"],
                "adapter": info["adapter"] or "",
                "shisa_bos": info["shisa_bos"],
                "add_special_tokens": info["add_special_tokens"],
                "limit": info["limit"],
                "generated": len(info["generated"]),
                "reused": len(info["reused"]),
                "seconds": info["seconds"],
                "samples/s": info["samples_per_second"],
            }
        )
    return pd.DataFrame(rows).set_index("label") if rows else pd.DataFrame()


def delta_frame(dirs: Mapping[str, Path], stats: object = None, baseline: str = "base") -> pd.DataFrame:
    """Per model and score (AVR, categories, datasets): the change from `baseline` with its paired-bootstrap
    interval from the `per_sample.jsonl` files (`stats`: the `stats` params section); ` *` when it excludes 0."""
    from stxlib.stats import AlignmentError, bootstrap_options, interval_rows, llm_jp_eval_delta

    base = dirs.get(baseline)
    if base is None or not (base / PER_SAMPLE).is_file():
        return pd.DataFrame()
    found = {}
    try:
        for label, folder in dirs.items():
            if label != baseline and (folder / PER_SAMPLE).is_file():
                found[label] = llm_jp_eval_delta(base / PER_SAMPLE, folder / PER_SAMPLE, **bootstrap_options(stats))
    except (AlignmentError, ValueError) as err:  # different items, or no item rated on both sides
        frame = pd.DataFrame()
        frame.attrs["note"] = f"no intervals: {err}"
        return frame
    return pd.DataFrame(interval_rows(found, baseline, key_name="score", digits=4))
