"""Tables for notebook 10 and `stx mt-bench`: scores, per-category means, % JA, one question's answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from stxlib.config import StxConfig
from stxlib.mt_bench.judging import load_judgments
from stxlib.mt_bench.questions import load_answers, load_questions
from stxlib.paths import RunPaths

Results = Mapping[str, Mapping[str, Any]]  # label -> scores.json


def scores_frame(results: Results) -> pd.DataFrame:
    """One row per model: FastChat's score, counts, judge, % JA (legacy and letters)."""
    rows = []
    for label, s in results.items():
        leakage = s.get("leakage", {})
        rows.append(
            {
                "model": label,
                "score": s.get("score"),
                "judge": s.get("judge"),
                "n_judged": s.get("n_judged"),
                "n_unparsable": s.get("n_unparsable"),
                "% JA (legacy)": s.get("pct_ja"),
                "% JA (letters)": s.get("pct_ja_letters"),
                "flagged answers": leakage.get("n_flagged"),
                "questions": s.get("question_set"),
            }
        )
    return pd.DataFrame(rows).set_index("model")


def category_frame(results: Results) -> pd.DataFrame:
    """Categories × models: mean parsed rating (NaN where none parsed)."""
    return pd.DataFrame({label: dict(s.get("per_category", {})) for label, s in results.items()}).sort_index()


def leakage_frame(results: Results) -> pd.DataFrame:
    """Per model: % JA over all answers (legacy, letters) and the per-answer distribution of the letters metric."""
    rows = []
    for label, s in results.items():
        leakage = s.get("leakage", {})
        letters = leakage.get("per_answer_letters", {})
        rows.append(
            {
                "model": label,
                "legacy % JA": leakage.get("legacy_pct_ja"),
                "letters % JA": leakage.get("letters_pct_ja"),
                "answers": leakage.get("n_answers"),
                "per answer: min": letters.get("min"),
                "p10": letters.get("p10"),
                "median": letters.get("median"),
                f"runs ≥ {leakage.get('run_length')} letters": leakage.get("n_flagged"),
            }
        )
    return pd.DataFrame(rows).set_index("model")


def flagged_frame(results: Results, limit: int = 10) -> pd.DataFrame:
    """The answers with the lowest letters % JA (flagged ones first), per model."""
    rows = []
    for label, s in results.items():
        answers = list(s.get("leakage", {}).get("answers", []))
        answers.sort(key=lambda a: (not a["flagged"], a["letters_pct_ja"] if a["letters_pct_ja"] is not None else 101))
        rows += [{"model": label, **a} for a in answers[:limit]]
    return pd.DataFrame(rows)


def question_frame(folders: Mapping[str, Path], questions_file: Path, question_id: int | None = None) -> pd.DataFrame:
    """One question (the first answered one by default): its turn 1, and each model's answer, rating, judgment."""
    questions = {q.question_id: q for q in load_questions(questions_file)}
    answers = {
        label: {a["question_id"]: a for a in load_answers(Path(f) / "answers.jsonl")} for label, f in folders.items()
    }
    if question_id is None:
        common = set.intersection(*(set(a) for a in answers.values())) if answers else set()
        question_id = min(common) if common else next(iter(questions))
    rows = []
    for label, folder in folders.items():
        judged = {r["question_id"]: r for r in load_judgments(Path(folder) / "judgments.jsonl")}
        answer = answers[label].get(question_id)
        row = judged.get(question_id, {})
        rows.append(
            {
                "model": label,
                "answer (turn 1)": answer["choices"][0]["turns"][0] if answer else None,
                "rating": row.get("score"),
                "judgment": row.get("judgment"),
            }
        )
    frame = pd.DataFrame(rows).set_index("model")
    question = questions.get(question_id)
    frame.attrs["question"] = (
        f"[{question_id}, {question.category}] {question.turns[0]}" if question else str(question_id)
    )
    return frame


def per_question_frame(results: Results, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """question × model mean ratings (the input of a paired bootstrap)."""
    labels = list(labels or results)
    data = {label: {q["question_id"]: q["score"] for q in results[label].get("per_question", [])} for label in labels}
    return pd.DataFrame(data).sort_index()


def models_frame(config: StxConfig, paths: RunPaths) -> pd.DataFrame:
    """The models this stage answers with (label, model, adapter, precision) and the judge."""
    from stxlib.mt_bench.stage import model_specs

    judge = config.mt_bench.judge
    rows = [
        {
            "label": ref.label,
            "model": spec.model,
            "adapter": spec.adapter or "",
            "dtype": spec.dtype,
            "4-bit": spec.quantization is not None,
        }
        for ref, spec in model_specs(config, paths)
    ]
    frame = pd.DataFrame(rows).set_index("label")
    frame.attrs["judge"] = f"{judge.kind}: {judge.name or judge.model}" + (f" at {judge.url}" if judge.url else "")
    return frame


def stage_question_frame(config: StxConfig, paths: RunPaths, question_id: int | None = None) -> pd.DataFrame:
    """`question_frame` for this run's models and question file."""
    from stxlib.mt_bench.pipeline import resolve_questions
    from stxlib.mt_bench.stage import model_dir

    section = config.mt_bench
    questions, _ = resolve_questions(section.question_file, section.questions)
    folders = {m.label: model_dir(paths, m.label) for m in section.models}
    return question_frame(folders, questions, question_id)


def delta_frame(config: StxConfig, paths: RunPaths, baseline: str | None = None) -> pd.DataFrame:
    """Per model: the change of the MT-Bench score from the baseline with its paired-bootstrap interval over the
    questions rated for both (`stats` params); ` *` when it excludes 0."""
    from stxlib.stats import AlignmentError, bootstrap_options, interval_rows, mt_bench_intervals

    base = baseline or config.report.baseline
    try:
        found = mt_bench_intervals(paths.root / "mt_bench", base, **bootstrap_options(config.stats))
    except (AlignmentError, ValueError) as err:  # different items, or no item rated on both sides
        frame = pd.DataFrame()
        frame.attrs["note"] = f"no intervals: {err}"
        return frame
    rows = interval_rows({label: {"mean rating": i} for label, i in found.items()}, base, key_name="metric", digits=2)
    return pd.DataFrame(rows)
