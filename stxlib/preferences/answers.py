"""Pairs to compare, from answer files (FastChat `model_answer` rows), and judge-decided votes from MT-Bench
judgment files (FastChat single rows). Files only: this package never imports the mt_bench stage.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from stxlib.io import iter_json_objects
from stxlib.preferences.votes import JUDGE_PREFIX, PreferenceError, Vote
from stxlib.stats.judgments import JudgeRating, read_judge_ratings

_QUESTION_MARKERS = (("[質問]\n", "\n\n["), ("[Question]\n", "\n\n["))  # FastChat JA and EN judge prompts


@dataclass(frozen=True)
class PairItem:
    """One prompt answered by two models: what the voting panel shows."""

    prompt_id: str | int
    lang: str
    prompt: str
    model_a: str
    model_b: str
    response_a: str
    response_b: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pair_key(self) -> tuple[str, str, str]:
        first, second = sorted((self.model_a, self.model_b))
        return (str(self.prompt_id), first, second)


def _rows(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, row in iter_json_objects(path, PreferenceError):
        where = f"{path}:{number}"
        if "question_id" not in row:
            raise PreferenceError(f"{where}: expected a FastChat row with a question_id")
        yield where, row


def read_answers(path: str | Path, turn: int = 1) -> dict[str | int, str]:
    """`{question_id: text}`: turn `turn` of `choices[0]` (the choice FastChat judges) of every answer row."""
    answers: dict[str | int, str] = {}
    for where, row in _rows(path):
        try:
            text = row["choices"][0]["turns"][turn - 1]
        except (KeyError, IndexError, TypeError):
            raise PreferenceError(
                f"{where}: no choices[0].turns[{turn - 1}] (a FastChat model_answer row with turn {turn})"
            ) from None
        if not isinstance(text, str):
            raise PreferenceError(f"{where}: choices[0].turns[{turn - 1}] must be a string")
        answers[row["question_id"]] = text
    return answers


def read_questions(path: str | Path, turn: int = 1) -> dict[str | int, str]:
    """`{question_id: turns[turn-1]}` from a FastChat question file."""
    questions: dict[str | int, str] = {}
    for where, row in _rows(path):
        turns = row.get("turns")
        if not isinstance(turns, list) or len(turns) < turn or not isinstance(turns[turn - 1], str):
            raise PreferenceError(f"{where}: no turns[{turn - 1}] (a FastChat question row)")
        questions[row["question_id"]] = turns[turn - 1]
    return questions


def prompts_from_judgments(path: str | Path, turn: int = 1) -> dict[str | int, str]:
    """The question text inside FastChat's single-answer judge prompts (`[質問]\\n...\\n\\n[`), where found."""
    prompts: dict[str | int, str] = {}
    for _, row in _rows(path):
        text = row.get("user_prompt")
        if row.get("turn", 1) != turn or not isinstance(text, str):
            continue
        for start, end in _QUESTION_MARKERS:
            if start in text:
                prompts[row["question_id"]] = text.split(start, 1)[1].split(end, 1)[0]
                break
    return prompts


def pair_items(
    answers: Mapping[str, Mapping[str | int, str]],
    prompts: Mapping[str | int, str] | None = None,
    *,
    lang: str = "ja",
) -> list[PairItem]:
    """Every unordered pair of answer sets × every prompt both answered (`model_a` = the first label given)."""
    if len(answers) < 2:
        return []
    prompts = prompts or {}
    items = []
    for first, second in combinations(list(answers), 2):
        common = [qid for qid in answers[first] if qid in answers[second]]
        for qid in common:
            prompt = prompts.get(qid, f"(question {qid}: its text is not available; set preferences.questions)")
            items.append(PairItem(qid, lang, prompt, first, second, answers[first][qid], answers[second][qid]))
    return items


def voting_order(items: Sequence[PairItem], seed: int) -> list[PairItem]:
    """A seeded shuffle (the same for every session, so a resumed session continues the same sequence)."""
    ordered = sorted(items, key=lambda item: item.pair_key)
    random.Random(f"order:{seed}").shuffle(ordered)
    return ordered


def left_side(item: PairItem, seed: int) -> str:
    """`a` or `b`: which model's response goes on the left, random per item but stable across sessions."""
    return random.Random(f"side:{seed}:{item.pair_key}").choice(("a", "b"))


# ---------------------------------------------------------------- judge-decided votes


@dataclass
class JudgeVotes:
    votes: list[Vote]
    judge: str | None
    unparsable: int  # pairs left out because a rating was −1
    unmatched: int  # questions judged for one model of a pair only
    fallback: int = 0  # votes decided with a log-likelihood fallback rating (mt_bench.judge.rating_fallback)


def judge_votes(
    judgments: Mapping[str, str | Path],
    answers: Mapping[str, Mapping[str | int, str]] | None = None,
    *,
    turn: int = 1,
    lang: str = "ja",
) -> JudgeVotes:
    """Votes decided by MT-Bench ratings for every pair of labels: higher wins, equal is a draw.

    `judgments`: label -> `judgments.jsonl`. All ratings must come from one judge (refused otherwise). Rows
    get `rater_id` `judge:<name>`, `shown_left` `a`, responses from `answers` (empty where absent) and `ts`
    from the later judgment's `tstamp`, so the file is the same every time it is rebuilt.
    """
    ratings = {label: read_judge_ratings(path, turn, PreferenceError) for label, path in judgments.items()}
    judges = {r.judge for per_label in ratings.values() for r in per_label.values()}
    if len(judges) > 1:
        raise PreferenceError(
            f"the judgments come from several judges ({', '.join(sorted(judges))}); ratings of different judges "
            "are never mixed: judge every model with the same judge"
        )
    judge = next(iter(judges), None)
    answers = answers or {}
    votes, unparsable, unmatched, fallback = [], 0, 0, 0
    for first, second in combinations(list(ratings), 2):
        left, right = ratings[first], ratings[second]
        unmatched += len(set(left) ^ set(right))
        for qid in [q for q in left if q in right]:
            a, b = left[qid], right[qid]
            if a.rating is None or b.rating is None:
                unparsable += 1
                continue
            fallback += not (a.parsed and b.parsed)
            outcome = "a" if a.rating > b.rating else "b" if b.rating > a.rating else "draw"
            stamps = [s for s in (a.tstamp, b.tstamp) if s is not None]
            ts = datetime.fromtimestamp(max(stamps), UTC).isoformat(timespec="seconds") if stamps else ""
            votes.append(
                Vote(
                    prompt_id=qid,
                    lang=lang,
                    model_a=first,
                    model_b=second,
                    response_a=answers.get(first, {}).get(qid, ""),
                    response_b=answers.get(second, {}).get(qid, ""),
                    shown_left="a",
                    vote=outcome,
                    rater_id=f"{JUDGE_PREFIX}{judge}",
                    ts=ts,
                    extra=_rating_extra(a, b),
                )
            )
    return JudgeVotes(votes, judge, unparsable, unmatched, fallback)


def _rating_extra(a: JudgeRating, b: JudgeRating) -> dict[str, Any]:
    """The ratings behind a judge vote; a vote using a log-likelihood fallback rating is marked as such."""
    extra: dict[str, Any] = {"score_a": a.score, "score_b": b.score}
    if not (a.parsed and b.parsed):
        extra.update(
            rating_a=a.rating, rating_b=b.rating, rating_source_a=a.source, rating_source_b=b.source, fallback=True
        )
    return extra
