"""FastChat jp-stable's JA single-answer grading, turn 1, through a pluggable judge.

- Prompt: `single-math-v1` (with the reference answer) for math/reasoning/coding, `single-v1` otherwise, filled
  with `str.format(question=turn 1, answer=choices[0].turns[0], ref_answer_1=..., ref_answer_2=...)`; sent as a
  system message (the prompt's `system_prompt`) and a user message; temperature 0, 2048 new tokens.
- Rating: the first match of `\\[\\[(\\d+\\.?\\d*)\\]\\]`, else of `\\[(\\d+\\.?\\d*)\\]`, read with `ast.literal_eval`;
  -1 when nothing matches. (FastChat raised on a match it cannot read, e.g. full-width digits: -1 here.)
- Rows: FastChat single rows `{question_id, model, judge: [judge name, prompt name], user_prompt, judgment,
  score, turn, tstamp}` plus `category`, appended to `judgments.jsonl` as they come back. A second run sends
  only what is not judged yet; a row for the same question built on another prompt, or by another judge, is an
  error (never mixed).
- Opt-in, not FastChat (`rating_fallback="loglikelihood"`, local judge only): a judgment without a parsable
  rating also gets `fallback_rating`, the k in 1–10 whose text `[[k]]` has the highest log-likelihood after the
  judge prompt and its judgment (`fallback_loglikelihoods`: the ten values), and `rating_source` (`judgment` or
  `loglikelihood`); `score` stays −1, so
  FastChat's mean and `n_unparsable` are unchanged.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.engine import Backend, ChoiceItem, Generation, GenerationRequest, Message, progress_bar
from stxlib.mt_bench.questions import NEED_REF_CATS, JudgePrompt, MtBenchError, Question, read_rows

ONE_SCORE = re.compile(r"\[\[(\d+\.?\d*)\]\]")
ONE_SCORE_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")
JUDGE_TEMPERATURE = 0.0
JUDGE_MAX_TOKENS = 2048
FALLBACK_RATINGS = tuple(range(1, 11))  # the ratings the log-likelihood fallback chooses from
RATING_FALLBACKS = ("none", "loglikelihood")


class JudgeError(RuntimeError):
    """The judge failed part-way; the judgments done so far are saved (the message says where)."""


def parse_rating(judgment: str) -> int | float:
    match = ONE_SCORE.search(judgment) or ONE_SCORE_BACKUP.search(judgment)
    if not match:
        return -1
    try:
        value = ast.literal_eval(match.group(1))
    except (SyntaxError, ValueError):
        return -1
    return value if isinstance(value, int | float) else -1


class Judge:
    """`judge(system, user) -> str` over any engine backend (an HTTP endpoint or a local chat model)."""

    def __init__(
        self,
        backend: Backend,
        name: str,
        *,
        max_new_tokens: int = JUDGE_MAX_TOKENS,
        chat_template: str | None = None,
        rating_fallback: str = "none",
    ) -> None:
        if rating_fallback not in RATING_FALLBACKS:
            raise ValueError(f"rating_fallback must be one of {', '.join(RATING_FALLBACKS)}, got {rating_fallback!r}")
        if rating_fallback == "loglikelihood" and not callable(getattr(backend, "loglikelihoods", None)):
            raise ValueError(
                f"rating_fallback loglikelihood needs a local judge that scores text; {name!r} "
                f"({type(backend).__name__}) returns no log-likelihoods: use rating_fallback none"
            )
        self.backend = backend
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.chat_template = chat_template
        self.rating_fallback = rating_fallback

    def request(self, system: str, user: str) -> GenerationRequest:
        return GenerationRequest(
            messages=(Message("system", system), Message("user", user)),
            max_new_tokens=self.max_new_tokens,
            chat_template=self.chat_template,
            temperature=JUDGE_TEMPERATURE,
        )

    def __call__(self, system: str, user: str) -> str:
        return self.backend.generate([self.request(system, user)])[0].text

    def judge_many(self, pairs: Sequence[tuple[str, str]], progress: Any = None) -> list[Generation]:
        return self.backend.generate([self.request(s, u) for s, u in pairs], progress=progress)

    def fallback_loglikelihoods(self, pairs: Sequence[tuple[str, str]], judgments: Sequence[str]) -> list[list[float]]:
        """Per (system, user) pair and its judgment: the log-likelihood of each `[[k]]`, k = 1–10, after the
        judgment (the chat as the judge saw it, then the judgment's text), through the backend's log-likelihoods."""
        backend: Any = self.backend
        options = tuple(tuple(backend.encode(f"[[{k}]]")) for k in FALLBACK_RATINGS)
        items = []
        for (system, user), judgment in zip(pairs, judgments, strict=True):
            context = backend.prompt_ids(self.request(system, user)) + backend.encode(judgment)
            items.append(ChoiceItem(tuple(context), options))
        return [[float(v) for v in row] for row in backend.loglikelihoods(items)]

    def rows(self, items: Sequence[JudgeItem], judgments: Sequence[str]) -> list[dict[str, Any]]:
        """Judgment rows of `items`, with the log-likelihood fallback where it is on and a rating is unparsable."""
        rows = [judgment_row(item, self.name, text) for item, text in zip(items, judgments, strict=True)]
        if self.rating_fallback != "loglikelihood":
            return rows
        missing = [i for i, row in enumerate(rows) if row["score"] == -1]
        scores = self.fallback_loglikelihoods(
            [(items[i].prompt.system_prompt, items[i].user_prompt) for i in missing], [judgments[i] for i in missing]
        ) if missing else []  # fmt: skip
        for row in rows:
            row["rating_source"] = "judgment"
        for index, lls in zip(missing, scores, strict=True):
            best = FALLBACK_RATINGS[max(range(len(lls)), key=lls.__getitem__)]  # the first k on a tie
            rows[index].update(fallback_rating=best, rating_source="loglikelihood", fallback_loglikelihoods=lls)
        return rows


@dataclass(frozen=True)
class JudgeItem:
    question: Question
    model: str
    prompt: JudgePrompt
    user_prompt: str

    @property
    def key(self) -> tuple[int, str, str, int]:
        return (self.question.question_id, self.model, self.prompt.name, 1)


def prompt_for(question: Question, prompts: Mapping[str, JudgePrompt]) -> JudgePrompt:
    return prompts["single-math-v1" if question.category in NEED_REF_CATS else "single-v1"]


def build_user_prompt(
    prompt: JudgePrompt, question: Question, answer: str, reference: Sequence[str] | None = None
) -> str:
    kwargs = {}
    if reference is not None:
        kwargs["ref_answer_1"] = reference[0]
        kwargs["ref_answer_2"] = reference[1] if len(reference) > 1 else ""
    return prompt.prompt_template.format(question=question.turns[0], answer=answer, **kwargs)


def plan(
    answers: Sequence[Mapping[str, Any]],
    questions: Sequence[Question],
    prompts: Mapping[str, JudgePrompt],
    references: Mapping[int, Sequence[str]],
    model: str,
    *,
    reference_file: str | Path = "the reference answers",
) -> list[JudgeItem]:
    """One judge item per answer (turn 1 of choice 0), in question-file order (answers must be checked first)."""
    by_id = {int(a["question_id"]): a for a in answers}
    items = []
    for question in questions:
        answer = by_id.get(question.question_id)
        if answer is None:
            continue
        prompt = prompt_for(question, prompts)
        reference = None
        if question.category in NEED_REF_CATS:
            reference = references.get(question.question_id)
            if reference is None:
                raise MtBenchError(
                    f"no reference answer for question {question.question_id} ({question.category}) in "
                    f"{reference_file}; give a reference file that covers it (--reference-answers)"
                )
        text = answer["choices"][0]["turns"][0]
        items.append(JudgeItem(question, model, prompt, build_user_prompt(prompt, question, text, reference)))
    return items


def judgment_row(item: JudgeItem, judge_name: str, judgment: str) -> dict[str, Any]:
    return {
        "question_id": item.question.question_id,
        "model": item.model,
        "judge": [judge_name, item.prompt.name],
        "user_prompt": item.user_prompt,
        "judgment": judgment,
        "score": parse_rating(judgment),
        "turn": 1,
        "tstamp": time.time(),
        "category": item.question.category,
    }


def load_judgments(path: str | Path) -> list[dict[str, Any]]:
    """Judgment rows of a (possibly interrupted) judgments.jsonl; a torn last line is dropped."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for number, row in read_rows(path, "judgment file", tolerate_torn_tail=True):
        judge = row.get("judge")
        if not (isinstance(judge, list) and len(judge) == 2) or "question_id" not in row or "score" not in row:
            raise MtBenchError(f"{path}:{number}: not a FastChat single judgment row (judge, question_id, score)")
        rows.append({**row, "question_id": int(row["question_id"])})
    return rows


def judge_answers(
    judge: Judge,
    items: Sequence[JudgeItem],
    out: str | Path,
    *,
    batch_size: int = 8,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Judge every item not already in `out` (judgments.jsonl), appending rows as they come; returns all rows."""
    out = Path(out)
    existing = load_judgments(out)
    _check_existing(existing, items, judge.name, out)
    if existing and not out.read_bytes().endswith(b"\n"):
        _rewrite(out, existing)  # drop a torn last line before appending
    judged = {(r["question_id"], r["model"], r["judge"][1], int(r.get("turn", 1))) for r in existing}
    todo = [item for item in items if item.key not in judged]
    rows = list(existing)
    bar = progress_bar(len(todo), f"judge {judge.name}", unit="req", disable=not progress or not todo)
    try:
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            pairs = [(item.prompt.system_prompt, item.user_prompt) for item in chunk]
            try:
                generations: Sequence[Generation | None] = judge.judge_many(pairs, progress=bar.update)
            except Exception as err:
                partial = list(getattr(err, "partial", None) or [])
                done_pairs = [(i, g.text) for i, g in zip(chunk, partial, strict=False) if g is not None]
                saved = judge.rows([i for i, _ in done_pairs], [t for _, t in done_pairs]) if done_pairs else []
                _append(out, saved)
                done = len(rows) + len(saved)
                raise JudgeError(
                    f"judge {judge.name!r} failed after {done} of {len(items)} judgments: {err}\n"
                    f"The {done} judgments are kept in {out}; run the same command again to judge the rest."
                ) from err
            new = judge.rows(chunk, [g.text for g in generations])  # type: ignore[union-attr]
            _append(out, new)
            rows.extend(new)
    finally:
        bar.close()
    return rows


def _check_existing(existing: Sequence[Mapping[str, Any]], items: Sequence[JudgeItem], judge: str, out: Path) -> None:
    others = sorted({r["judge"][0] for r in existing} - {judge})
    if others:
        raise MtBenchError(
            f"{out} holds judgments by {', '.join(others)}, not by {judge!r}; judgments of different judges are "
            "never mixed: write to another folder (--out) or delete that file"
        )
    models = sorted({r["model"] for r in existing} - {item.model for item in items})
    if items and models:
        raise MtBenchError(
            f"{out} holds judgments of another model ({', '.join(map(str, models))}); one judgments file per "
            "model: write to another folder (--out) or delete that file"
        )
    prompts = {item.key: item.user_prompt for item in items}
    for row in existing:
        key = (row["question_id"], row["model"], row["judge"][1], int(row.get("turn", 1)))
        if key in prompts and prompts[key] != row.get("user_prompt"):
            raise MtBenchError(
                f"{out}: question {row['question_id']} of {row['model']!r} was judged on another prompt (the "
                "answers, questions or reference answers changed); delete that file or write to another folder"
            )


def _append(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        fh.flush()


def _rewrite(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    from stxlib.io import write_jsonl

    write_jsonl(path, rows)
