"""Answer generation: FastChat's settings per request, FastChat rows, resuming, templates, the HTTP route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_doubles import ScriptedBackend
from openai_server import OpenAIServer, chat_reply

from stxlib.cli import main
from stxlib.io import read_jsonl
from stxlib.mt_bench import MtBenchError
from stxlib.mt_bench.generate import GenerationSettings, generate_answers
from stxlib.mt_bench.pipeline import generate_file
from stxlib.mt_bench.questions import QUESTION_FILES, load_questions
from stxlib.mt_bench.templates import BUILTIN_TEMPLATES, resolve_chat_template

SHISA = "あなたは公平で、検閲されていない、役立つアシスタントです。"


def questions(n: int, question_set: str = "full80"):
    return load_questions(QUESTION_FILES[question_set])[:n]


def test_requests_follow_fastchat_settings(tmp_path: Path) -> None:
    qs = [q for q in load_questions(QUESTION_FILES["full80"]) if q.question_id in (1, 21, 31, 71)]
    backend = ScriptedBackend()
    settings = GenerationSettings(num_choices=2, turns=2, chat_template_name="llama-2", chat_template="{{x}}")
    rows = generate_answers(backend, qs, settings, tmp_path / "a.jsonl", "m", progress=False)

    by_category = {q.question_id: q.category for q in qs}
    expected_temperature = {"coding": 0.1, "humanities": 0.2, "math": 0.1, "writing": 0.5}
    assert len(backend.requests) == len(qs) * 2 * 2
    for r in backend.requests:
        assert r.max_new_tokens == 512 and r.top_p == 0.9 and r.repetition_penalty == 1.1
        assert r.chat_template == "{{x}}" and r.messages[0].role == "system" and r.messages[0].content == SHISA
        assert r.seed in (0, 1)
    turn2 = [r for r in backend.requests if len(r.messages) == 4]
    assert len(turn2) == len(qs) * 2
    for r in turn2:  # turn 2 continues with the stripped turn-1 answer of the same choice
        assert [m.role for m in r.messages] == ["system", "user", "assistant", "user"]
        assert r.messages[2].content == f"答え1 seed={r.seed} t={r.temperature}"

    assert [row["question_id"] for row in rows] == sorted(by_category)
    for row in rows:
        temperature = expected_temperature[by_category[row["question_id"]]]
        assert set(row) == {"question_id", "answer_id", "model_id", "choices", "tstamp", "generate_params"}
        assert row["model_id"] == "m" and len(row["answer_id"]) == 22
        assert row["choices"] == [
            {"index": c, "turns": [f"答え{t} seed={c} t={temperature}" for t in (1, 2)]} for c in (0, 1)
        ]
        params = row["generate_params"]
        assert params["temperature"] == temperature and params["do_sample"] is True
        assert params["max_new_token"] == 512 and params["chat_template"] == "llama-2"
        assert params["finish_reasons"] == [["eos", "eos"]] * 2
    assert read_jsonl(tmp_path / "a.jsonl") == rows


def test_greedy_below_threshold_and_other_category(tmp_path: Path) -> None:
    qs = [q for q in questions(60, "default60") if q.question_id in (11, 21)]  # extraction, humanities
    settings = GenerationSettings(temperatures={"extraction": 0.00005}, default_temperature=0.7, system_prompt=None)
    backend = ScriptedBackend()
    rows = generate_answers(backend, qs, settings, tmp_path / "a.jsonl", "m", progress=False)
    assert backend.requests[0].greedy and not backend.requests[-1].greedy
    assert rows[0]["generate_params"]["do_sample"] is False and rows[1]["generate_params"]["temperature"] == 0.7
    assert all(r.messages[0].role == "user" for r in backend.requests)  # no system prompt


def test_interrupted_generation_resumes(tmp_path: Path) -> None:
    qs = questions(5)
    out = tmp_path / "answers.jsonl"
    settings = GenerationSettings(batch_size=2)
    with pytest.raises(KeyboardInterrupt):
        generate_answers(ScriptedBackend(interrupt_on_call=2), qs, settings, out, "m", progress=False)
    partial = out.with_name("answers.jsonl.partial")
    assert not out.exists() and len(read_jsonl(partial)) == 2
    backend = ScriptedBackend()
    rows = generate_answers(backend, qs, settings, out, "m", progress=False)
    assert len(backend.requests) == 3 and len(rows) == 5 and not partial.exists()
    with pytest.raises(KeyboardInterrupt):
        generate_answers(ScriptedBackend(interrupt_on_call=2), qs, settings, tmp_path / "b.jsonl", "m", progress=False)
    with pytest.raises(MtBenchError, match=r"other settings \(max_new_token\).*delete"):
        generate_answers(ScriptedBackend(), qs, GenerationSettings(max_new_tokens=64), tmp_path / "b.jsonl", "m")


def test_fastchat_template_renders_shisas_logged_prompts(shared: Path, tiny_model_dir: Path) -> None:
    """`fastchat-llama-2` + Shisa's system prompt = the prompt FastChat's AUGMXNT fork logged, for all 60."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    by_id = {q.question_id: q for q in load_questions(QUESTION_FILES["shisa-fork"])}
    rows = read_jsonl(shared / "data" / "japanese-mt-bench" / "model_answer" / "shisa-7b-v1-fullprompt.jsonl")
    _, template = resolve_chat_template("fastchat-llama-2")
    for row in rows:
        messages = [
            {"role": "system", "content": SHISA},
            {"role": "user", "content": by_id[row["question_id"]].turns[0]},
        ]
        text = tokenizer.apply_chat_template(
            messages, chat_template=template, tokenize=False, add_generation_prompt=True
        )
        assert text == tokenizer.bos_token + row["generate_params"]["prompt"]
    two_turns = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2"},
    ]
    render = lambda name, msgs: tokenizer.apply_chat_template(  # noqa: E731
        msgs, chat_template=BUILTIN_TEMPLATES[name], tokenize=False, add_generation_prompt=True
    )
    assert (
        render("fastchat-llama-2", two_turns)
        == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ1[/INST] A1 </s><s>[INST] Q2 [/INST]"
    )
    assert render("llama-2", two_turns) == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nQ1 [/INST] A1 </s><s>[INST] Q2 [/INST]"
    assert render("llama-2", two_turns[1:]) == "<s>[INST] Q1 [/INST] A1 </s><s>[INST] Q2 [/INST]"


def test_unknown_template_is_refused() -> None:
    with pytest.raises(MtBenchError, match="neither a built-in template"):
        resolve_chat_template("chatml")


def test_generate_through_an_openai_compatible_server(tmp_path: Path) -> None:
    def answer(path: str, body: dict[str, Any]):
        return 200, chat_reply(f" {body['model']} t={body['temperature']} seed={body.get('seed')} "), {}

    out = tmp_path / "answers.jsonl"
    with OpenAIServer(answer) as server:
        args = [
            "mt-bench",
            "generate",
            "--api-url",
            server.url,
            "--api-model",
            "served",
            "--question-set",
            "shisa-fork",
        ]
        assert main([*args, "--limit", "3", "--out", str(out)]) == 0
        assert len(server.requests) == 3
        assert main([*args, "--limit", "3", "--out", str(out)]) == 0  # complete: not generated again
        assert len(server.requests) == 3
    rows = read_jsonl(out)
    assert [r["question_id"] for r in rows] == [11, 12, 13]
    first = server.requests[0]
    assert first["max_tokens"] == 512 and first["top_p"] == 0.9 and first["repetition_penalty"] == 1.1
    assert first["messages"][0] == {"role": "system", "content": SHISA} and first["seed"] == 0
    assert rows[0]["model_id"] == "served" and rows[0]["choices"][0]["turns"][0] == "served t=0.2 seed=0"
    assert rows[0]["generate_params"]["question_set"] == "shisa-fork"


def test_limit_and_turns_checks(tmp_path: Path) -> None:
    rows = generate_file(ScriptedBackend(), tmp_path / "a.jsonl", "m", GenerationSettings(), limit=2, progress=False)
    assert [r["question_id"] for r in rows] == [q.question_id for q in questions(2, "default60")]
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question_id": 1, "category": "writing", "turns": ["only one"]}\n', encoding="utf-8")
    with pytest.raises(MtBenchError, match="has 1 turn"):
        generate_file(ScriptedBackend(), tmp_path / "b.jsonl", "m", GenerationSettings(turns=2), questions=bad)
    bad.write_text('{"question_id": 1, "category": "writing"}\n', encoding="utf-8")
    with pytest.raises(MtBenchError, match=rf"{bad}:1: missing key 'turns'"):
        generate_file(ScriptedBackend(), tmp_path / "b.jsonl", "m", GenerationSettings(), questions=bad)
