"""The OpenAI-compatible HTTP backend, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from openai_server import OpenAIServer, chat_reply, completion_reply, free_port_url

from stxlib.engine import Backend, GenerationRequest, Message
from stxlib.engine.http import EndpointError, HttpBackend, normalize_base_url

CHAT = GenerationRequest(messages=(Message("system", "S"), Message("user", "こんにちは")), max_new_tokens=16)


def echo(path: str, body: dict[str, Any]):
    if path.endswith("/chat/completions"):
        return 200, chat_reply("re: " + body["messages"][-1]["content"]), {}
    return 200, completion_reply("re: " + body["prompt"]), {}


def test_chat_and_completion_payloads() -> None:
    with OpenAIServer(echo) as server:
        backend = HttpBackend("my-model", server.url, max_retries=0)
        assert isinstance(backend, Backend)
        sampled = GenerationRequest(
            messages=CHAT.messages, max_new_tokens=32, temperature=0.5, top_p=0.9, repetition_penalty=1.1, seed=3
        )
        prompt = GenerationRequest(prompt="### 入力：\n", max_new_tokens=5, stop=("\n",))
        out = backend.generate([CHAT, sampled, prompt])
    assert [g.text for g in out] == ["re: こんにちは", "re: こんにちは", "re: ### 入力："]
    assert out[0].finish_reason == "eos" and out[0].new_tokens == len("re: こんにちは")
    assert out[2].finish_reason == "stop"  # cut at the stop string on our side too
    assert server.paths == ["/v1/chat/completions", "/v1/chat/completions", "/v1/completions"]
    greedy, sampling, completion = server.requests
    assert greedy == {
        "model": "my-model",
        "max_tokens": 16,
        "n": 1,
        "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "こんにちは"}],
        "temperature": 0.0,
    }
    assert sampling["temperature"] == 0.5 and sampling["top_p"] == 0.9 and sampling["seed"] == 3
    assert sampling["repetition_penalty"] == 1.1 and "top_k" not in sampling
    assert completion["prompt"] == "### 入力：\n" and completion["stop"] == ["\n"] and "messages" not in completion


def test_api_key_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    with OpenAIServer(lambda p, b: (401, {"error": {"message": "bad key"}}, {})) as server:
        backend = HttpBackend("m", server.url, max_retries=3, backoff_s=0)
        with pytest.raises(EndpointError) as caught:
            backend.generate([CHAT])
    assert server.headers[0]["Authorization"] == "Bearer sk-test-secret"
    assert len(server.requests) == 1  # a 401 is not retried
    message = str(caught.value)
    assert "HTTP 401" in message and "bad key" in message and "OPENAI_API_KEY" in message
    assert "sk-test-secret" not in message and "sk-test-secret" not in repr(backend)
    assert "sk-test-secret" not in str(vars(backend))


def test_retries_5xx_and_429_then_succeeds() -> None:
    statuses = iter([503, 429, 200])
    delays: list[float] = []

    def flaky(path: str, body: dict[str, Any]):
        status = next(statuses)
        if status == 200:
            return 200, chat_reply("ok"), {}
        return status, {"error": {"message": "busy"}}, {"Retry-After": "0.5"} if status == 429 else {}

    with OpenAIServer(flaky) as server:
        backend = HttpBackend("m", server.url, max_retries=2, backoff_s=0.1, max_backoff_s=5, sleep=delays.append)
        assert backend.generate([CHAT])[0].text == "ok"
    assert len(server.requests) == 3
    assert delays == [0.1, 0.5]  # 0.1 * 2**0, then Retry-After (0.5) over 0.1 * 2**1


def test_refused_connection_fails_after_retries_naming_the_url() -> None:
    url = free_port_url()
    delays: list[float] = []
    backend = HttpBackend("m", url, max_retries=3, backoff_s=1.0, max_backoff_s=3.0, sleep=delays.append)
    with pytest.raises(EndpointError) as caught:
        backend.generate([CHAT, CHAT])
    assert delays == [1.0, 2.0, 3.0]  # exponential, capped
    assert f"{url}/chat/completions" in str(caught.value) and "4 attempt(s)" in str(caught.value)
    assert caught.value.partial == [None, None]


def test_concurrent_requests_keep_order_and_partial_results_survive_a_failure() -> None:
    def answer(path: str, body: dict[str, Any]):
        text = body["messages"][-1]["content"]
        if text == "fail":
            return 400, {"error": {"message": "refused"}}, {}
        return 200, chat_reply(text.upper()), {}

    requests = [GenerationRequest(messages=(Message("user", t),)) for t in ["a", "b", "c", "d", "e"]]
    done: list[int] = []
    lock = threading.Lock()

    def progress(n: int) -> None:
        with lock:
            done.append(n)

    with OpenAIServer(answer) as server:
        backend = HttpBackend("m", server.url, concurrency=3, max_retries=0)
        assert [g.text for g in backend.generate(requests, progress=progress)] == ["A", "B", "C", "D", "E"]
        assert sum(done) == 5
        failing = [*requests[:2], GenerationRequest(messages=(Message("user", "fail"),)), requests[3]]
        with pytest.raises(EndpointError, match="refused") as caught:
            HttpBackend("m", server.url, max_retries=0).generate(failing)
        assert [g.text if g else None for g in caught.value.partial] == ["A", "B", None, None]
        with pytest.raises(EndpointError) as caught:
            HttpBackend("m", server.url, max_retries=0, concurrency=2).generate(failing)
        kept = [g.text if g else None for g in caught.value.partial]
        assert kept[:2] == ["A", "B"] and kept[2] is None  # answers that came back are kept


def test_bad_inputs_and_urls() -> None:
    assert normalize_base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert normalize_base_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1"
    with pytest.raises(ValueError, match="not an http"):
        HttpBackend("m", "127.0.0.1:8000")
    with pytest.raises(ValueError, match="model name"):
        HttpBackend("", "http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="prompt_ids"):
        HttpBackend("m", "http://127.0.0.1:1/v1").generate([GenerationRequest(prompt_ids=(1, 2))])


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert HttpBackend("m").base_url == "http://127.0.0.1:9/v1"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert HttpBackend("m").base_url == "https://api.openai.com/v1"


def test_not_json_is_a_clear_error() -> None:
    with (
        OpenAIServer(lambda p, b: (200, "<html>proxy</html>", {})) as server,
        pytest.raises(EndpointError, match="did not answer JSON"),
    ):
        HttpBackend("m", server.url, max_retries=0).generate([CHAT])
