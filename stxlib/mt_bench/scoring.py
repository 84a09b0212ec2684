"""Scores from judgment rows, as FastChat's `show_result.py --mode single` computes them, plus what a report
needs: per-category means, per-question ratings (for paired bootstraps) and language leakage (% JA).

Score = mean over every turn-1 row whose score is not -1, duplicates included; per category the same mean over
that category's rows. Rows of different judges are never averaged: that is an error.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stxlib.leakage import DEFAULT_RUN_LENGTH, model_leakage
from stxlib.mt_bench.questions import JUDGE_PROMPTS_FILE, MtBenchError, Question, sha256_file

SHIPPED_PROMPT_SET = "fastchat-jp-stable/judge_ja_prompts"


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def one_judge(rows: Sequence[Mapping[str, Any]], where: str = "judgments") -> str:
    judges = sorted({str(r["judge"][0]) for r in rows})
    if len(judges) > 1:
        raise MtBenchError(
            f"{where} holds judgments by several judges ({', '.join(judges)}); scores of different judges are not "
            "comparable and are never averaged together: score each judge's rows separately"
        )
    if not judges:
        raise MtBenchError(f"{where} holds no judgments")
    return judges[0]


def score_rows(
    rows: Sequence[Mapping[str, Any]],
    categories: Mapping[int, str] | None = None,
    where: str = "judgments",
) -> dict[str, Any]:
    """`score`, `per_category`, `per_question`, counts for one model's judgments by one judge (turn 1)."""
    judge = one_judge(rows, where)
    models = sorted({str(r["model"]) for r in rows})
    if len(models) > 1:
        raise MtBenchError(f"{where} holds judgments of several models ({', '.join(models)}); score one at a time")
    first = [r for r in rows if int(r.get("turn", 1)) == 1]
    categories = categories or {}

    def category(row: Mapping[str, Any]) -> str:
        return str(row.get("category") or categories.get(int(row["question_id"]), "unknown"))

    by_category: dict[str, list[float]] = defaultdict(list)
    by_question: dict[int, list[float]] = defaultdict(list)
    for row in first:
        by_question[int(row["question_id"])].append(row["score"])
        if row["score"] != -1:
            by_category[category(row)].append(row["score"])
    parsed = [r["score"] for r in first if r["score"] != -1]
    cat_of = {int(r["question_id"]): category(r) for r in first}
    fallback: dict[str, Any] = {}
    if any("rating_source" in r for r in first):  # the opt-in log-likelihood fallback (not FastChat)
        chosen = [r["fallback_rating"] for r in first if r["score"] == -1 and "fallback_rating" in r]
        fallback = {"n_fallback": len(chosen), "score_with_fallback": _mean(parsed + chosen)}
    return {
        "model": models[0],
        "judge": judge,
        "prompt_names": sorted({str(r["judge"][1]) for r in first}),
        "turn": 1,
        "score": _mean(parsed),
        "per_category": {name: _mean(by_category[name]) for name in sorted(by_category)},
        "n_judged": len(first),
        "n_unparsable": len(first) - len(parsed),
        "per_question": [
            {
                "question_id": qid,
                "category": cat_of[qid],
                "ratings": ratings,
                "score": _mean([s for s in ratings if s != -1]),
            }
            for qid, ratings in sorted(by_question.items())
        ],
        **fallback,
    }


def build_scores(
    judgments: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]],
    questions: Sequence[Question],
    *,
    question_set: str,
    prompts_file: str | Path = JUDGE_PROMPTS_FILE,
    reference_file: str | Path | None = None,
    run_length: int = DEFAULT_RUN_LENGTH,
    where: str = "judgments",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """scores.json: FastChat's score and per-category means, per-question ratings, % JA of the answers."""
    scores = score_rows(judgments, {q.question_id: q.category for q in questions}, where)
    leakage = model_leakage(answers, run_length)
    answered = {int(a["question_id"]) for a in answers}
    prompts_file = Path(prompts_file)
    shipped = prompts_file.resolve() == JUDGE_PROMPTS_FILE
    result = {
        "model": scores.pop("model"),
        "judge": scores.pop("judge"),
        "prompt_set": SHIPPED_PROMPT_SET if shipped else str(prompts_file),
        "prompts_sha256": sha256_file(prompts_file),
        **scores,
        "pct_ja": leakage["legacy_pct_ja"],
        "pct_ja_letters": leakage["letters_pct_ja"],
        "question_set": question_set,
        "n_questions": len(questions),
        "n_answered": len(answered),
        "n_missing_answers": sum(q.question_id not in answered for q in questions),
        "reference_answers": str(reference_file) if reference_file is not None else None,
        "leakage": leakage,
    }
    result.update(extra or {})
    return result
