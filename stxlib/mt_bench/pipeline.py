"""File-level steps shared by the stage and `stx mt-bench`: answers file in, judgments and scores out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stxlib.engine import Backend
from stxlib.io import write_json
from stxlib.leakage import DEFAULT_RUN_LENGTH
from stxlib.mt_bench.generate import GenerationSettings, generate_answers
from stxlib.mt_bench.judging import Judge, judge_answers, plan
from stxlib.mt_bench.questions import (
    JUDGE_PROMPTS_FILE,
    QUESTION_FILES,
    REFERENCE_ANSWERS_FILE,
    MtBenchError,
    Question,
    answers_model_name,
    check_answers_cover,
    load_answers,
    load_judge_prompts,
    load_questions,
    load_reference_answers,
    question_file,
    question_set_name,
)
from stxlib.mt_bench.scoring import build_scores

JUDGMENTS = "judgments.jsonl"
SCORES = "scores.json"


def resolve_questions(questions: str | Path | None, question_set: str | None) -> tuple[Path, str]:
    """(file, recorded name): an explicit file wins, then a set name, then `default60`."""
    if questions is not None:
        path = Path(questions).expanduser()
        if not path.is_file():
            raise MtBenchError(f"question file not found: {path}")
        return path, question_set_name(path)
    name = question_set or "default60"
    return question_file(name), name


def select_questions(questions: list[Question], limit: int | None) -> list[Question]:
    return questions[:limit] if limit else questions


def generate_file(
    backend: Backend,
    out: str | Path,
    model_id: str,
    settings: GenerationSettings,
    *,
    questions: str | Path | None = None,
    question_set: str | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    path, name = resolve_questions(questions, question_set)
    chosen = select_questions(load_questions(path), limit)
    settings = GenerationSettings(**{**settings.__dict__, "question_set": name})
    return generate_answers(backend, chosen, settings, out, model_id, progress=progress)


def recorded_question_set(answers: list[dict[str, Any]]) -> str | None:
    """The question set the answers say they were generated from (stx's generate_params), if one and known."""
    names = {(a.get("generate_params") or {}).get("question_set") for a in answers}
    if len(names) == 1:
        name = names.pop()
        if name in QUESTION_FILES or (isinstance(name, str) and Path(name).is_file()):
            return name
    return None


def judge_file(
    judge: Judge,
    answers_file: str | Path,
    out_dir: str | Path,
    *,
    questions: str | Path | None = None,
    question_set: str | None = None,
    judge_prompts: str | Path | None = None,
    reference_answers: str | Path | None = None,
    model: str | None = None,
    batch_size: int = 8,
    run_length: int = DEFAULT_RUN_LENGTH,
    progress: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Judge turn 1 of every answer into `out_dir/judgments.jsonl` (resuming), then write `out_dir/scores.json`.

    The question file: `questions`, else `question_set`, else the set the answers record, else `default60`.
    """
    answers = load_answers(answers_file)
    if questions is None and question_set is None:
        recorded = recorded_question_set(answers)
        if recorded is not None and recorded not in QUESTION_FILES:
            questions = recorded
        else:
            question_set = recorded
    qpath, qname = resolve_questions(questions, question_set)
    all_questions = load_questions(qpath)
    check_answers_cover(answers, all_questions, answers_file, qpath)
    prompts_file = Path(judge_prompts) if judge_prompts else JUDGE_PROMPTS_FILE
    reference_file = Path(reference_answers) if reference_answers else REFERENCE_ANSWERS_FILE
    model = model or answers_model_name(answers, answers_file)
    items = plan(
        answers,
        all_questions,
        load_judge_prompts(prompts_file),
        load_reference_answers(reference_file),
        model,
        reference_file=reference_file,
    )
    out_dir = Path(out_dir)
    rows = judge_answers(judge, items, out_dir / JUDGMENTS, batch_size=batch_size, progress=progress)
    scores = build_scores(
        rows,
        answers,
        all_questions,
        question_set=qname,
        prompts_file=prompts_file,
        reference_file=reference_file,
        run_length=run_length,
        where=str(out_dir / JUDGMENTS),
        extra={"answers_file": str(answers_file), **(extra or {})},
    )
    write_json(out_dir / SCORES, scores)
    return scores
