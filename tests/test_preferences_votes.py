"""Vote rows (file:line errors, crash-safe appends), answer sets, pairs and judge-decided votes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import FIXTURES

from stxlib.preferences import PreferenceError, Vote, append_vote, judge_votes, pair_items, read_answers, read_votes
from stxlib.preferences.answers import prompts_from_judgments, read_questions
from stxlib.preferences.votes import VOTE_FIELDS

PREFS = FIXTURES / "preferences"
GOOD = {
    "prompt_id": 7,
    "lang": "ja",
    "model_a": "base",
    "model_b": "tuned",
    "response_a": "はい",
    "response_b": "いいえ",
    "shown_left": "b",
    "vote": "a",
    "rater_id": "alice",
    "ts": "2026-01-01T00:00:00+00:00",
}


def mt_bench(shared: Path) -> tuple[Path, Path]:
    root = shared / "data" / "japanese-mt-bench"
    return root / "model_answer", root / "model_judgment" / "gpt-4_single"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_append_then_read_round_trips_with_extra_fields(tmp_path: Path) -> None:
    path = tmp_path / "preferences" / "votes.jsonl"
    first = Vote(**{**GOOD, "extra": {"temperature": 0.7}})
    append_vote(path, first)
    append_vote(path, Vote(**{**GOOD, "vote": "draw", "prompt_id": "p-2"}))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert list(rows[0]) == [*VOTE_FIELDS, "temperature"]
    assert read_votes(path) == [first, Vote(**{**GOOD, "vote": "draw", "prompt_id": "p-2"})]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vote": "left"}, "vote must be one of a, b, draw, skip, got 'left'"),
        ({"shown_left": "left"}, "shown_left must be 'a' or 'b'"),
        ({"model_b": "base"}, "model_a and model_b are both 'base'"),
        ({"prompt_id": [1]}, "prompt_id must be a string or an integer"),
        ({"response_a": None}, "response_a must be a string"),
        ({"rater_id": " "}, "rater_id is empty"),
    ],
)
def test_bad_vote_rows_name_file_and_line(tmp_path: Path, change: dict, message: str) -> None:
    path = write_lines(tmp_path / "votes.jsonl", [json.dumps(GOOD), "", json.dumps({**GOOD, **change})])
    with pytest.raises(PreferenceError, match=rf"^{path}:3: {message}"):
        read_votes(path)


def test_missing_fields_and_broken_json(tmp_path: Path) -> None:
    partial = {k: v for k, v in GOOD.items() if k not in ("ts", "lang")}
    path = write_lines(tmp_path / "votes.jsonl", [json.dumps(partial)])
    with pytest.raises(PreferenceError, match=rf"{path}:1: vote row lacks lang, ts"):
        read_votes(path)
    path = write_lines(tmp_path / "votes.jsonl", ["[1, 2]"])
    with pytest.raises(PreferenceError, match=rf"{path}:1: a vote must be a JSON object, got list"):
        read_votes(path)
    # a row cut off by a crash at the end of the file: the message says what to do
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD)[:40], encoding="utf-8")
    with pytest.raises(PreferenceError, match=rf"{path}:2: not valid JSON .*delete this last line"):
        read_votes(path)
    with pytest.raises(PreferenceError, match="last line is incomplete"):
        append_vote(path, Vote(**GOOD))
    assert path.read_text(encoding="utf-8").count("\n") == 1  # nothing glued onto the broken line
    path.write_text(json.dumps(GOOD)[:40] + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(PreferenceError) as err:
        read_votes(path)
    assert f"{path}:1: not valid JSON" in str(err.value) and "delete this last line" not in str(err.value)


def test_pairs_from_two_answer_sets_with_prompts() -> None:
    answers = {name: read_answers(PREFS / f"answers_{name}.jsonl") for name in ("base", "tuned")}
    prompts = read_questions(PREFS / "questions.jsonl")
    items = pair_items(answers, prompts)
    assert [i.prompt_id for i in items] == [101, 102, 103, 104]
    first = items[0]
    assert (first.model_a, first.model_b, first.lang) == ("base", "tuned", "ja")
    assert first.prompt == prompts[101] and first.response_b.startswith("桜の花びら")
    assert pair_items({"base": answers["base"]}) == []
    three = pair_items({**answers, "other": {101: "x"}})
    assert len(three) == 4 + 1 + 1  # base–tuned ×4, base–other ×1, tuned–other ×1


def test_bad_answer_rows_are_clear(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "answers.jsonl", [json.dumps({"question_id": 1, "choices": []})])
    with pytest.raises(PreferenceError, match=rf"{path}:1: no choices\[0\]\.turns\[0\]"):
        read_answers(path)
    with pytest.raises(PreferenceError, match="file not found"):
        read_answers(tmp_path / "nope.jsonl")


def test_judge_votes_from_the_recorded_gpt4_ratings(shared: Path) -> None:
    answers_dir, judgments_dir = mt_bench(shared)
    answers = {
        "shisa": read_answers(answers_dir / "shisa-7b-v1-fullprompt.jsonl"),
        "gpt4": read_answers(answers_dir / "gpt-4.jsonl"),
    }
    judged = judge_votes(
        {
            "shisa": judgments_dir / "shisa-7b-v1-fullprompt__1turn.jsonl",
            "gpt4": judgments_dir / "gpt-4__1turn.jsonl",
        },
        answers,
    )
    assert judged.judge == "gpt-4" and len(judged.votes) == 60 and judged.unparsable == 0
    outcomes = [v.vote for v in judged.votes]
    assert (outcomes.count("a"), outcomes.count("b"), outcomes.count("draw")) == (1, 53, 6)
    first = judged.votes[0]
    assert first.rater_id == "judge:gpt-4" and first.shown_left == "a" and first.kind == "judge:gpt-4"
    assert first.response_a == answers["shisa"][first.prompt_id]
    scores = {json.loads(line)["question_id"]: json.loads(line)["score"] for line in
              (judgments_dir / "gpt-4__1turn.jsonl").read_text(encoding="utf-8").splitlines()}  # fmt: skip
    assert all(v.extra["score_b"] == scores[v.prompt_id] for v in judged.votes)
    assert all((v.vote == "draw") == (v.extra["score_a"] == v.extra["score_b"]) for v in judged.votes)
    again = judge_votes(
        {"shisa": judgments_dir / "shisa-7b-v1-fullprompt__1turn.jsonl", "gpt4": judgments_dir / "gpt-4__1turn.jsonl"},
        answers,
    )
    assert [v.to_row() for v in again.votes] == [v.to_row() for v in judged.votes]  # rebuilt identically


def test_judge_votes_skip_unparsable_and_refuse_mixed_judges(shared: Path, tmp_path: Path) -> None:
    _, judgments_dir = mt_bench(shared)
    rows = [json.loads(line) for line in (judgments_dir / "gpt-4__1turn.jsonl").read_text().splitlines()]
    rows[0]["score"] = -1
    broken = write_lines(tmp_path / "gpt4.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    judged = judge_votes({"shisa": judgments_dir / "shisa-7b-v1-fullprompt__1turn.jsonl", "gpt4": broken})
    assert judged.unparsable == 1 and len(judged.votes) == 59
    assert all(v.response_a == "" for v in judged.votes)  # no answers given: empty responses
    rows[1]["judge"] = ["local-judge", "single-v1"]
    mixed = write_lines(tmp_path / "mixed.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    with pytest.raises(PreferenceError, match="several judges \\(gpt-4, local-judge\\)"):
        judge_votes({"shisa": judgments_dir / "shisa-7b-v1-fullprompt__1turn.jsonl", "gpt4": mixed})


def test_prompt_text_from_judge_prompts(shared: Path, tmp_path: Path) -> None:
    _, judgments_dir = mt_bench(shared)
    questions = read_questions(shared / "data" / "japanese-mt-bench" / "shisa-fork" / "question.jsonl")
    prompts = prompts_from_judgments(judgments_dir / "shisa-7b-v1-fullprompt__1turn.jsonl")
    assert len(prompts) == 60 and all(prompts[q] == questions[q] for q in prompts)
    shutil.copy(judgments_dir / "gpt-4__1turn.jsonl", tmp_path / "j.jsonl")
    assert len(prompts_from_judgments(tmp_path / "j.jsonl", turn=2)) == 0
