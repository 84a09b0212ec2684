"""Vote rows (design.md): read with file:line errors, appended one at a time so that no vote is ever lost.

Row: `{prompt_id, lang, model_a, model_b, response_a, response_b, shown_left, vote, rater_id, ts}`.
`vote` names the winning *model* (`a` = `model_a`), never a screen side; `shown_left` (`a`/`b`) records which
model's response was on the left. Judge-decided votes carry `rater_id` `judge:<judge name>` and
`shown_left: "a"` (nothing was shown). Other fields (e.g. Shisa's `temperature`) are kept as they are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VOTE_FIELDS = (
    "prompt_id",
    "lang",
    "model_a",
    "model_b",
    "response_a",
    "response_b",
    "shown_left",
    "vote",
    "rater_id",
    "ts",
)
VOTE_VALUES = ("a", "b", "draw", "skip")
JUDGE_PREFIX = "judge:"
HUMAN = "human"


class PreferenceError(ValueError):
    """Bad votes, answers or judgments, or votes that cannot be fitted; the message names the file and the fix."""


@dataclass(frozen=True)
class Vote:
    prompt_id: str | int
    lang: str
    model_a: str
    model_b: str
    response_a: str
    response_b: str
    shown_left: str
    vote: str
    rater_id: str
    ts: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in VOTE_FIELDS}, **self.extra}

    @property
    def kind(self) -> str:
        return rater_kind(self.rater_id)

    @property
    def pair_key(self) -> tuple[str, str, str]:
        """The compared item, whatever the order of the two models: `(prompt_id, model, model)`."""
        first, second = sorted((self.model_a, self.model_b))
        return (str(self.prompt_id), first, second)


def rater_kind(rater_id: str) -> str:
    """`human` for people, `judge:<name>` for an automatic judge: one kind per fit."""
    if rater_id.startswith(JUDGE_PREFIX):
        return rater_id
    return HUMAN


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_vote(row: Any, where: str) -> Vote:
    """One row -> Vote; `where` (`file:line`) starts every error message."""
    if not isinstance(row, dict):
        raise PreferenceError(f"{where}: a vote must be a JSON object, got {type(row).__name__}")
    missing = [name for name in VOTE_FIELDS if name not in row]
    if missing:
        raise PreferenceError(f"{where}: vote row lacks {', '.join(missing)} (a row needs {', '.join(VOTE_FIELDS)})")
    prompt_id = row["prompt_id"]
    if isinstance(prompt_id, bool) or not isinstance(prompt_id, str | int):
        raise PreferenceError(f"{where}: prompt_id must be a string or an integer, got {prompt_id!r}")
    for name in ("lang", "model_a", "model_b", "response_a", "response_b", "rater_id", "ts"):
        if not isinstance(row[name], str):
            raise PreferenceError(f"{where}: {name} must be a string, got {row[name]!r}")
    for name in ("model_a", "model_b", "rater_id"):
        if not row[name].strip():
            raise PreferenceError(f"{where}: {name} is empty")
    if row["model_a"] == row["model_b"]:
        raise PreferenceError(f"{where}: model_a and model_b are both {row['model_a']!r}; a vote compares two models")
    if row["vote"] not in VOTE_VALUES:
        raise PreferenceError(f"{where}: vote must be one of {', '.join(VOTE_VALUES)}, got {row['vote']!r}")
    if row["shown_left"] not in ("a", "b"):
        raise PreferenceError(f"{where}: shown_left must be 'a' or 'b', got {row['shown_left']!r}")
    extra = {k: v for k, v in row.items() if k not in VOTE_FIELDS}
    return Vote(**{name: row[name] for name in VOTE_FIELDS}, extra=extra)


def read_votes(path: str | Path) -> list[Vote]:
    """Every vote of a JSON-lines file (blank lines ignored); a bad row raises PreferenceError at `file:line`."""
    path = Path(path)
    if not path.is_file():
        raise PreferenceError(f"{path}: votes file not found")
    votes = []
    with path.open(encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            last = number == len(lines) or all(not rest.strip() for rest in lines[number:])
            hint = " (a vote cut off by a crash? delete this last line; every earlier vote is intact)" if last else ""
            raise PreferenceError(f"{where}: not valid JSON ({err.msg}){hint}") from None
        votes.append(parse_vote(row, where))
    return votes


def append_vote(path: str | Path, vote: Vote) -> None:
    """Append one row and flush it to disk at once (a crashed kernel keeps every vote made before)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(vote.to_row(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            raise PreferenceError(f"{path}: the last line is incomplete; delete it, then vote again")
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def votes_by_kind(votes: Iterable[Vote]) -> dict[str, list[Vote]]:
    """`{"human": [...], "judge:gpt-4": [...]}`: votes of different kinds are never fitted together."""
    groups: dict[str, list[Vote]] = {}
    for vote in votes:
        groups.setdefault(vote.kind, []).append(vote)
    return groups
