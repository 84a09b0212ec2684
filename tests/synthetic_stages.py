"""Synthetic artifacts of the phase-two stages (tokenizer, llm_jp_eval, mt_bench, preferences, contamination)
and JGLUE per-document samples, added to a `synthetic_run.make_run` folder. Files are written by the stages'
own writers (scores, fits, plots) from small invented inputs, so the report tests read what the stages write."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from stxlib.io import read_json, write_json, write_jsonl
from stxlib.paths import RunPaths

STAGE_NOTEBOOKS = {
    "tokenizer": "05_tokenizer",
    "llm_jp_eval": "09_llm_jp_eval",
    "mt_bench": "10_mt_bench",
    "preferences": "11_preferences",
    "contamination": "12_contamination",
}
PHASE_TWO = tuple(STAGE_NOTEBOOKS)


def add_jglue_samples(paths: RunPaths, labels: tuple[str, ...] = ("base", "finetuned"), n: int = 400) -> None:
    """`eval/<label>/samples_<task>.jsonl` whose means are the results.json values (to n documents)."""
    for label in labels:
        results = read_json(paths.eval_dir(label) / "results.json")["results"]
        for task, metrics in results.items():
            metric = "exact_match" if task.startswith("jsquad") else "acc"
            scale = 100 if metric == "exact_match" else 1
            hits = round(metrics[metric] / scale * n)
            order = list(range(n))
            random.Random(f"{task}").shuffle(order)  # the same hard documents for every model
            good = set(order[:hits])
            rows = [{"doc_id": i, metric: (scale if i in good else 0)} for i in range(n)]
            write_jsonl(paths.eval_dir(label) / f"samples_{task}.jsonl", rows)


def add_tokenizer(paths: RunPaths) -> None:
    from stxlib.plots.style import save_figure
    from stxlib.tokenizer.efficiency import Efficiency
    from stxlib.tokenizer.plots import plot_efficiency

    rows = [
        Efficiency("base", "ja-wiki", 100, 50000, 38000, 50000 / 38000, 32000),
        Efficiency("base", "en-wiki", 100, 60000, 15000, 4.0, 32000),
        Efficiency("extended", "ja-wiki", 100, 50000, 21000, 50000 / 21000, 120000),
        Efficiency("extended", "en-wiki", 100, 60000, 15100, 60000 / 15100, 120000),
    ]
    folder = paths.root / "tokenizer"
    write_json(
        folder / "efficiency.json",
        {
            "results": [r.to_dict() for r in rows],
            "tokenizers": [
                {"label": "base", "name_or_path": "stx-tiny"},
                {"label": "extended", "name_or_path": str(folder / "extended")},
            ],
            "corpora": [{"name": "ja-wiki", "lang": "ja"}, {"name": "en-wiki", "lang": "en"}],
        },
    )
    write_json(
        folder / "extension.json",
        {"base": "stx-tiny", "corpus": "ja-wiki", "documents": 100, "chars": 50000, "trained_vocab_size": 90000,
         "already_present": 2000, "skipped": 12, "added": 88000, "vocab_size": 120000, "tokenizer_len": 120000,
         "embedding_rows": 120064, "added_tokens": ["東京", "日本語"], "skipped_tokens": ["<0x00>"]},
    )  # fmt: skip
    fig = plot_efficiency(rows, {"ja-wiki": "ja", "en-wiki": "en"}, title="Characters per token")
    save_figure(fig, paths.plots / "tokenizer_efficiency")
    plt.close(fig)


def add_llm_jp_eval(paths: RunPaths, labels: tuple[str, ...] = ("base", "finetuned"), n: int = 30) -> None:
    from stxlib.llm_jp_eval.datasets import DATASETS
    from stxlib.llm_jp_eval.files import write_results
    from stxlib.llm_jp_eval.plots import save_category_plot
    from stxlib.llm_jp_eval.scoring import score_output

    scores = {}
    for offset, label in enumerate(labels):
        rng = random.Random(label)
        output: dict[str, list[dict[str, str]]] = {}
        for name, info in DATASETS.items():
            records = []
            for i in range(n):
                gold = str(1 + i % 5) if "pearson" in info.metrics else f"答え{i % 4}"
                right = rng.random() < 0.35 + 0.25 * offset
                pred = gold if right else (str(1 + (i + 2) % 5) if "pearson" in info.metrics else f"答{i}")
                records.append({"prompt": "### 指示\n{input}", "input": f"{name} 問題 {i}", "pred": pred, "gold": gold})
            output[name] = records
        result = score_output(output)
        write_results(paths.root / "llm_jp_eval" / label, output, result, {"label": label, "model": "stx-tiny"})
        scores[label] = result.score_eval()
    save_category_plot(scores, paths.plots, "llm-jp-eval 1.1")


def add_mt_bench(paths: RunPaths, labels: tuple[str, ...] = ("base", "finetuned"), *, unparsable: bool = False) -> None:
    """Answers and judgments of the first 10 default60 questions; `unparsable`: every rating −1 (a tiny judge)."""
    from stxlib.mt_bench.plots import plot_categories
    from stxlib.mt_bench.questions import load_questions, question_file
    from stxlib.mt_bench.scoring import build_scores

    questions = load_questions(question_file("default60"))[:10]
    results = {}
    for offset, label in enumerate(labels):
        rng = random.Random(label)
        answers = [
            {"question_id": q.question_id, "model_id": label,
             "choices": [{"index": 0, "turns": [f"{label} の回答 {q.question_id} です。English words here"]}]}
            for q in questions
        ]  # fmt: skip
        judgments = [
            {"question_id": q.question_id, "model": label, "judge": ["gpt-4", "single-v1"], "user_prompt": "...",
             "judgment": "...", "score": -1 if unparsable else min(10, rng.randint(2, 8) + offset * 2), "turn": 1,
             "tstamp": 1700000000.0 + q.question_id, "category": q.category}
            for q in questions
        ]  # fmt: skip
        folder = paths.root / "mt_bench" / label
        write_jsonl(folder / "answers.jsonl", answers)
        write_jsonl(folder / "judgments.jsonl", judgments)
        scores = build_scores(judgments, answers, questions, question_set="default60", extra={"label": label})
        write_json(folder / "scores.json", scores)
        results[label] = scores
    plot_categories(results, paths.plots / "mt_bench_categories")


def add_preferences(paths: RunPaths) -> None:
    """The preferences stage itself, on the run's MT-Bench judgments (needs `add_mt_bench` first)."""
    from stxlib.config import load_params
    from stxlib.preferences.stage import run_stage

    config = load_params(paths.params, ["stats.resamples=50"])
    run_stage(config, paths)


def add_contamination(paths: RunPaths) -> None:
    from stxlib.contamination.views import save_contamination_plot

    result = {
        "n": 20,
        "normalisation": "NFKC, all whitespace removed",
        "training": {"rows": 120, "characters": 9000, "rows_with_overlap": 2,
                     "files": [{"name": "data/train.jsonl", "path": str(paths.train_file), "format": "jsonl",
                                "rows": 120, "characters": 9000}]},
        "eval_sets": [
            {"name": "jglue/jsquad", "source": "valid-v1.1.json", "documents": 50, "contaminated": 3, "share": 0.06,
             "longest": 64, "overlaps": {"a1": 64, "a2": 30, "a3": 21},
             "examples": [{"id": "a1", "longest": 64, "text": "東京は日本の首都であり" * 5,
                           "training": {"source": "data/train.jsonl", "row": 7}}]},
            {"name": "mt_bench/default60", "source": "question.jsonl", "documents": 60, "contaminated": 0,
             "share": 0.0, "longest": 0, "overlaps": {}, "examples": []},
        ],
        "seconds": 0.2,
        "notes": ["JGLUE from the hub is left out"],
    }  # fmt: skip
    write_json(paths.root / "contamination.json", result)
    save_contamination_plot(result, paths.plots)


BUILDERS = {
    "tokenizer": add_tokenizer,
    "llm_jp_eval": add_llm_jp_eval,
    "mt_bench": add_mt_bench,
    "preferences": add_preferences,
    "contamination": add_contamination,
}


def add_stages(paths: RunPaths, stages: tuple[str, ...] = PHASE_TWO) -> RunPaths:
    """Write the artifacts of `stages` (in registry order) and record them as done in the manifest."""
    manifest: dict[str, Any] = read_json(paths.manifest)
    for stage in PHASE_TWO:
        if stage not in stages:
            continue
        BUILDERS[stage](paths)
        stem = STAGE_NOTEBOOKS[stage]
        (paths.root / f"{stem}.html").write_text(f"<html><body>{stem}</body></html>", encoding="utf-8")
        (paths.root / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
        manifest["stages"][stage] = {
            "status": "done", "started": "2023-10-01T11:00:00+0000", "ended": "2023-10-01T11:01:00+0000",
            "seconds": 60.0, "notebook": f"{stem}.ipynb", "html": f"{stem}.html", "error": None,
        }  # fmt: skip
    write_json(paths.manifest, manifest)
    return paths


def shisa_like_run(root: Path, name: str = "shisa_like", **options: Any) -> RunPaths:
    """A run with the STX stages and every phase-two stage done (JGLUE samples included)."""
    from synthetic_run import make_run

    stages = "[data,train,eval,tokenizer,llm_jp_eval,mt_bench,preferences,contamination,report]"
    overrides = [f"run.stages={stages}", *options.pop("overrides", [])]
    paths = make_run(root, name, overrides=overrides, **options)
    add_jglue_samples(paths)
    return add_stages(paths)
