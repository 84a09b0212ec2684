"""FastChat single-judgment files (`mt_bench/<label>/judgments.jsonl`, FastChat's `model_judgment` rows): one
turn's rating of every question, with the judge, the time it judged and, where the opt-in log-likelihood
fallback of the judge ran, the fallback rating of an unparsable judgment (`fallback_rating`). The MT-Bench
deltas and the preferences stage's judge-decided votes both read ratings through this one reader."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from stxlib.io import iter_json_objects

UNPARSABLE = -1  # FastChat's score when the judge's reply holds no [[rating]]


@dataclass(frozen=True)
class JudgeRating:
    score: float  # −1: unparsable
    judge: str
    tstamp: float | None
    fallback: float | None = None  # the opt-in log-likelihood fallback rating of an unparsable judgment

    @property
    def parsed(self) -> bool:
        return self.score != UNPARSABLE

    @property
    def rating(self) -> float | None:
        """The parsed rating, else the fallback rating (None when neither exists)."""
        return self.score if self.parsed else self.fallback

    @property
    def source(self) -> str | None:
        """`judgment` (parsed), `loglikelihood` (the fallback) or None (no rating)."""
        return "judgment" if self.parsed else ("loglikelihood" if self.fallback is not None else None)


def read_judge_ratings(
    path: str | Path, turn: int = 1, error: type[Exception] = ValueError
) -> dict[Hashable, JudgeRating]:
    """`{question_id: JudgeRating}` of turn `turn` (rows without `turn` count as turn 1). Each problem raises
    `error` at `file:line`: a line that is not a JSON object, no question_id, no judge name, a score that is
    not a number, a question judged twice."""
    ratings: dict[Hashable, JudgeRating] = {}
    for number, row in iter_json_objects(path, error, "judgment file"):
        where = f"{path}:{number}"
        if row.get("turn", 1) != turn:
            continue
        qid, judge, score = row.get("question_id"), row.get("judge"), row.get("score")
        if qid is None or isinstance(qid, list | dict):
            raise error(f"{where}: expected a FastChat row with a question_id")
        name = judge[0] if isinstance(judge, list) and judge else judge
        if not isinstance(name, str) or not name:
            raise error(f"{where}: no judge name (FastChat rows hold judge: [judge, prompt name])")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise error(f"{where}: score must be a number (−1 when unparsable), got {score!r}")
        if qid in ratings:
            judges = sorted({ratings[qid].judge, name})
            raise error(f"{where}: question {qid} turn {turn} is judged twice (by {' and '.join(judges)})")
        stamp = row.get("tstamp")
        fallback = row.get("fallback_rating")
        if fallback is not None and (isinstance(fallback, bool) or not isinstance(fallback, int | float)):
            raise error(f"{where}: fallback_rating must be a number, got {fallback!r}")
        ratings[qid] = JudgeRating(
            float(score),
            name,
            float(stamp) if stamp is not None else None,
            float(fallback) if fallback is not None and score == UNPARSABLE else None,
        )
    return ratings
