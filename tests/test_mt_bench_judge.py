"""Judging: rating regexes, resumable judging, failing endpoints, mixed judges, bad answer files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai_server import OpenAIServer, chat_reply, free_port_url

from stxlib.cli import main
from stxlib.engine.http import HttpBackend
from stxlib.io import read_json, read_jsonl, write_jsonl
from stxlib.mt_bench import Judge, JudgeError, MtBenchError, parse_rating
from stxlib.mt_bench.judging import build_user_prompt, load_judgments, prompt_for
from stxlib.mt_bench.pipeline import judge_file
from stxlib.mt_bench.questions import QUESTION_FILES, load_judge_prompts, load_questions
from stxlib.mt_bench.scoring import score_rows


@pytest.fixture
def answers(shared: Path, tmp_path: Path) -> Path:
    """The first 6 of Shisa's published answers (question ids 11-16; extraction and humanities...)."""
    rows = read_jsonl(shared / "data" / "japanese-mt-bench" / "model_answer" / "shisa-7b-v1-fullprompt.jsonl")
    path = tmp_path / "answers.jsonl"
    write_jsonl(path, rows[:6])
    return path


def rating_by_question(path: str, body: dict[str, Any]):
    """A judge whose rating depends on the prompt: len(user prompt) % 10 + 1."""
    rating = len(body["messages"][1]["content"]) % 10 + 1
    return 200, chat_reply(f"説明です。評価：[[{rating}]]"), {}


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("よい回答です。評価：[[8]]", 8),
        ("評価：[[7.5]] ただし [[3]]", 7.5),  # the first match
        ("評価：[9]", 9),  # backup pattern only without a [[...]] match
        ("[1] と評価：[[6]]", 6),  # [[...]] wins over an earlier [...]
        ("評価：8/10", -1),
        ("評価：[[５]]", -1),  # full-width digit: FastChat's literal_eval raised; unparsable here
        ("[[10.]]", 10.0),
        ("", -1),
    ],
)
def test_parse_rating(text: str, rating: float) -> None:
    assert parse_rating(text) == rating


def test_judge_call_sends_fastchat_settings() -> None:
    with OpenAIServer(lambda p, b: (200, chat_reply("評価：[[4]]"), {})) as server:
        judge = Judge(HttpBackend("gpt-4", server.url), "gpt-4")
        assert judge("system text", "user text") == "評価：[[4]]"
    body = server.requests[0]
    assert body["temperature"] == 0 and body["max_tokens"] == 2048
    assert body["messages"] == [{"role": "system", "content": "system text"}, {"role": "user", "content": "user text"}]


def test_math_prompt_uses_the_reference_answer() -> None:
    prompts = load_judge_prompts()
    question = next(q for q in load_questions(QUESTION_FILES["full80"]) if q.category == "math")
    prompt = prompt_for(question, prompts)
    assert prompt.name == "single-math-v1"
    text = build_user_prompt(prompt, question, "答え{x}", ["参考の答え", "二つ目"])
    assert "[参考回答の開始]\n参考の答え\n[参考回答の終了]" in text and "答え{x}" in text
    assert text.startswith("[指示]\n") and question.turns[0] in text


def test_judging_resumes_without_resending(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged"
    with OpenAIServer(rating_by_question) as server:
        backend = HttpBackend("judge-x", server.url, max_retries=0)
        first = judge_file(Judge(backend, "judge-x"), answers, out, question_set="shisa-fork", batch_size=4)
        assert len(server.requests) == 6
        again = judge_file(Judge(backend, "judge-x"), answers, out, question_set="shisa-fork")
        assert len(server.requests) == 6  # nothing re-sent
    assert again["score"] == first["score"] and first["n_judged"] == 6
    rows = read_jsonl(out / "judgments.jsonl")
    assert [r["judge"] for r in rows] == [["judge-x", "single-v1"]] * 6
    assert all(r["score"] == len(r["user_prompt"]) % 10 + 1 for r in rows)
    assert read_json(out / "scores.json")["per_question"] == first["per_question"]


def test_refused_connection_is_a_clear_cli_error(answers: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    dead = free_port_url()
    out = tmp_path / "o"
    args = ["mt-bench", "judge", "--answers", str(answers), "--question-set", "shisa-fork", "--judge-url", dead]
    args += ["--judge-model", "judge-x", "--judge-retries", "2", "--judge-backoff", "0.01", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert dead in err and "3 attempt(s)" in err and "0 of 6 judgments" in err
    assert "run the same command again" in err
    assert not (out / "scores.json").exists()


def test_failure_mid_way_then_resume(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged"
    with OpenAIServer(rating_by_question) as server:
        judge = Judge(HttpBackend("judge-x", server.url, max_retries=0), "judge-x")
        original = judge.judge_many
        calls = {"n": 0}

        def die_on_second_batch(pairs, progress=None):
            calls["n"] += 1
            if calls["n"] == 2:
                server.stop()  # the endpoint goes away: connections are refused from now on
            return original(pairs, progress)

        judge.judge_many = die_on_second_batch  # type: ignore[method-assign]
        with pytest.raises(JudgeError, match=r"failed after 2 of 6 judgments") as caught:
            judge_file(judge, answers, out, question_set="shisa-fork", batch_size=2)
        assert str(out / "judgments.jsonl") in str(caught.value)
    assert len(read_jsonl(out / "judgments.jsonl")) == 2
    assert not (out / "scores.json").exists()
    with OpenAIServer(rating_by_question) as server:
        judge_file(Judge(HttpBackend("judge-x", server.url), "judge-x"), answers, out, question_set="shisa-fork")
        assert len(server.requests) == 4  # only the 4 not yet judged
    assert read_json(out / "scores.json")["n_judged"] == 6


def test_mixed_judges_are_refused(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged"
    with OpenAIServer(rating_by_question) as server:
        judge_file(Judge(HttpBackend("a", server.url), "judge-a"), answers, out, question_set="shisa-fork")
        with pytest.raises(MtBenchError, match="judgments by judge-a, not by 'judge-b'"):
            judge_file(Judge(HttpBackend("b", server.url), "judge-b"), answers, out, question_set="shisa-fork")
    rows = load_judgments(out / "judgments.jsonl")
    rows[0] = {**rows[0], "judge": ["judge-b", "single-v1"]}
    with pytest.raises(MtBenchError, match=r"several judges \(judge-a, judge-b\).*never averaged"):
        score_rows(rows)
    write_jsonl(tmp_path / "mixed.jsonl", rows)
    assert main(["mt-bench", "score", str(tmp_path / "mixed.jsonl")]) == 1


def test_answers_for_unknown_questions(answers: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = read_jsonl(answers)
    rows[2]["question_id"] = 999
    write_jsonl(answers, rows)
    args = ["mt-bench", "judge", "--answers", str(answers), "--question-set", "shisa-fork"]
    args += ["--judge-url", free_port_url(), "--judge-model", "m", "--out", str(tmp_path / "o")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "question id(s) 999" in err and "not in the question file" in err and str(answers) in err
    assert not (tmp_path / "o").exists()


def test_bad_answer_rows_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"question_id": 11, "model_id": "m", "choices": [{"index": 0}]}) + "\n")
    with pytest.raises(MtBenchError, match=rf"{path}:1: choices\[0\].turns"):
        judge_file(Judge(HttpBackend("m", free_port_url()), "m"), path, tmp_path / "o")


def test_changed_answers_are_not_silently_mixed(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged"
    with OpenAIServer(rating_by_question) as server:
        judge = Judge(HttpBackend("j", server.url), "j")
        judge_file(judge, answers, out, question_set="shisa-fork")
        rows = read_jsonl(answers)
        rows[0]["choices"][0]["turns"][0] = "別の答え"
        write_jsonl(answers, rows)
        with pytest.raises(MtBenchError, match="judged on another prompt"):
            judge_file(judge, answers, out, question_set="shisa-fork")


def test_torn_last_line_is_dropped_and_rejudged(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged"
    with OpenAIServer(rating_by_question) as server:
        judge = Judge(HttpBackend("j", server.url), "j")
        judge_file(judge, answers, out, question_set="shisa-fork")
        path = out / "judgments.jsonl"
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: text.rindex("{") + 30], encoding="utf-8")  # a crash while appending
        scores = judge_file(judge, answers, out, question_set="shisa-fork")
        assert len(server.requests) == 7
    assert scores["n_judged"] == 6 and len(read_jsonl(path)) == 6
