"""FastChat single-judgment files (`mt_bench/<label>/judgments.jsonl`, FastChat's `model_judgment` rows): one
turn's rating of every question, with the judge and the time it judged. The MT-Bench deltas and the
preferences stage's judge-decided votes both read ratings through this one reader."""

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

    @property
    def parsed(self) -> bool:
        return self.score != UNPARSABLE


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
        ratings[qid] = JudgeRating(float(score), name, float(stamp) if stamp is not None else None)
    return ratings
