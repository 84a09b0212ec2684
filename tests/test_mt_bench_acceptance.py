"""Acceptance: `stx mt-bench judge` against a loopback judge that answers with the recorded GPT-4 judgments
reproduces Shisa-7B's 5.233 and GPT-4's 9.400, and sends judge prompts byte-identical to the recorded ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai_server import OpenAIServer, chat_reply

from stxlib.cli import main
from stxlib.io import read_json, read_jsonl, write_jsonl

JA_SYSTEM = "あなたは有益な助手です。"


@pytest.fixture(scope="module")
def bench(shared: Path) -> Path:
    return shared / "data" / "japanese-mt-bench"


def recorded_judge(recorded: list[dict[str, Any]]):
    """A judge answering each prompt with the judgment GPT-4 gave it; anything else is a 400."""
    by_prompt = {row["user_prompt"]: row["judgment"] for row in recorded}

    def respond(path: str, body: dict[str, Any]):
        messages = body.get("messages", [])
        ok = (
            path == "/v1/chat/completions"
            and body.get("model") == "gpt-4"
            and body.get("temperature") == 0
            and body.get("max_tokens") == 2048
            and [m["role"] for m in messages] == ["system", "user"]
            and messages[0]["content"] == JA_SYSTEM
            and messages[1]["content"] in by_prompt
        )
        if not ok:
            return 400, {"error": {"message": "not a recorded judge request"}}, {}
        return 200, chat_reply(by_prompt[messages[1]["content"]]), {}

    return respond


@pytest.mark.parametrize(
    ("model", "questions", "expected"),
    [
        ("shisa-7b-v1-fullprompt", "shisa-fork/question.jsonl", 5.233),
        # GPT-4's questions 12, 18, 19, 20 were judged with the wording of the fork's question_full.jsonl
        ("gpt-4", "shisa-fork/question_full.jsonl", 9.400),
    ],
)
def test_recorded_judgments_reproduce_the_published_scores(
    bench: Path, tmp_path: Path, model: str, questions: str, expected: float, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = read_jsonl(bench / "model_judgment" / "gpt-4_single" / f"{model}__1turn.jsonl")
    judged_ids = {row["question_id"] for row in recorded}
    # FastChat judged the answers to the 60 questions of question.jsonl (gpt-4 answered all 80)
    answers = [a for a in read_jsonl(bench / "model_answer" / f"{model}.jsonl") if a["question_id"] in judged_ids]
    answers_file = tmp_path / f"{model}.jsonl"
    write_jsonl(answers_file, answers)
    out = tmp_path / "judged"
    with OpenAIServer(recorded_judge(recorded)) as server:
        code = main(
            [
                "mt-bench", "judge", "--answers", str(answers_file), "--questions", str(bench / questions),
                "--judge-url", server.url, "--judge-model", "gpt-4", "--judge-retries", "0", "--out", str(out),
            ]
        )  # fmt: skip
        sent = [body["messages"][1]["content"] for body in server.requests]
    assert code == 0, capsys.readouterr().err
    assert sorted(sent) == sorted(row["user_prompt"] for row in recorded)  # byte-identical, each sent once

    scores = read_json(out / "scores.json")
    assert round(scores["score"], 3) == expected
    assert f"score {expected:.3f}" in capsys.readouterr().out
    assert scores["model"] == model and scores["judge"] == "gpt-4"
    assert scores["n_judged"] == 60 and scores["n_unparsable"] == sum(r["score"] == -1 for r in recorded)
    assert scores["prompt_set"] == "fastchat-jp-stable/judge_ja_prompts"
    assert sorted(scores["prompt_names"]) == ["single-math-v1", "single-v1"]

    rows = {r["question_id"]: r for r in read_jsonl(out / "judgments.jsonl")}
    for row in recorded:
        mine = rows[row["question_id"]]
        assert mine["user_prompt"] == row["user_prompt"]
        assert mine["score"] == row["score"] and mine["judge"] == row["judge"]
        assert mine["model"] == row["model"] and mine["turn"] == 1
    # per-category means and per-question ratings, as a report needs them
    by_category: dict[str, list[float]] = {}
    for q in scores["per_question"]:
        by_category.setdefault(q["category"], []).extend(s for s in q["ratings"] if s != -1)
    assert scores["per_category"] == pytest.approx({c: sum(v) / len(v) for c, v in by_category.items()})
    assert set(scores["per_category"]) == {"extraction", "humanities", "reasoning", "roleplay", "stem", "writing"}
    assert 0 < scores["pct_ja"] < 100 and scores["pct_ja_letters"] > scores["pct_ja"]


def test_score_command_matches_fastchat_show_result(bench: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`stx mt-bench score` on the published judgment file: FastChat's show_result mean (duplicates included)."""
    path = bench / "model_judgment" / "gpt-4_single" / "shisa-7b-v1-fullprompt__1turn.jsonl"
    assert main(["mt-bench", "score", str(path), "--question-set", "shisa-fork"]) == 0
    printed = capsys.readouterr().out
    assert "score 5.233" in printed
    summary = json.loads(printed.strip().splitlines()[-1])
    parsed = [r["score"] for r in read_jsonl(path) if r["score"] != -1]
    assert summary["score"] == pytest.approx(sum(parsed) / len(parsed))
