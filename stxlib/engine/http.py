"""An OpenAI-compatible HTTP backend: `messages` requests go to `/v1/chat/completions`, `prompt` requests to
`/v1/completions` (vLLM, `transformers serve`, llama.cpp's server, OpenAI itself).

- The base URL is an argument or `OPENAI_BASE_URL` (default `https://api.openai.com/v1`; a URL without a path
  gets `/v1`). The API key, if any, comes only from the environment variable `OPENAI_API_KEY`, read at each
  request: it is never an argument, never stored on the object, never written or shown in an error.
- Connection errors, timeouts, HTTP 429 and 5xx are retried `max_retries` times with exponential backoff
  (`backoff_s * 2**attempt`, at most `max_backoff_s`; a `Retry-After` header is honoured within that cap).
  Other HTTP errors fail at once. The final error (`EndpointError`) names the URL and keeps the generations
  that did finish (`partial`), so callers can save them.
- `concurrency` requests run at a time (threads); results come back in request order.
- Sampling: temperature below 1e-4 is sent as 0 (greedy); `top_p` only when sampling; `seed` when set;
  `repetition_penalty` and `top_k` (vLLM extensions, not OpenAI parameters) only when they differ from
  1.0 / 0. The server applies its own chat template: a request's `chat_template` is not sent.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from http.client import HTTPException
from typing import Any

from stxlib.engine.requests import Generation, GenerationRequest, Progress

API_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class EndpointError(RuntimeError):
    """The server could not answer; `partial[i]` is request i's Generation when it finished, else None."""

    def __init__(self, message: str, *, url: str, partial: list[Generation | None] | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.partial = partial or []


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def normalize_base_url(url: str) -> str:
    """`http://host:8000` -> `http://host:8000/v1`; a URL with a path (`.../v1`) is kept; no trailing slash."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"not an http(s) URL: {url!r} (give e.g. http://127.0.0.1:8000/v1)")
    path = parsed.path.rstrip("/") or "/v1"
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


class HttpBackend:
    """Generation through an OpenAI-compatible server (implements `stxlib.engine.Backend`)."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        timeout_s: float = 120.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        concurrency: int = 1,
        name: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not model:
            raise ValueError("an HTTP backend needs the server's model name (e.g. --api-model NAME)")
        if concurrency < 1 or max_retries < 0 or timeout_s <= 0:
            raise ValueError("concurrency >= 1, max_retries >= 0 and timeout_s > 0 are required")
        self.model = model
        self.base_url = normalize_base_url(base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL)
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.concurrency = concurrency
        self.name = name or f"{model}@{self.base_url}"
        self._sleep = sleep
        self._warned_template = False

    def __repr__(self) -> str:
        return f"HttpBackend(model={self.model!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------------ public

    def generate(self, requests: Sequence[GenerationRequest], progress: Progress | None = None) -> list[Generation]:
        results: list[Generation | None] = [None] * len(requests)
        if self.concurrency == 1 or len(requests) <= 1:
            for index, request in enumerate(requests):
                try:
                    results[index] = self.generate_one(request)
                except EndpointError as err:
                    err.partial = results
                    raise
                if progress:
                    progress(1)
            return [r for r in results if r is not None]
        return self._generate_parallel(requests, results, progress)

    def generate_one(self, request: GenerationRequest) -> Generation:
        url, body = self._payload(request)
        reply = self._post(url, body)
        return self._parse(reply, request, url)

    # ------------------------------------------------------------------ internals

    def _generate_parallel(
        self, requests: Sequence[GenerationRequest], results: list[Generation | None], progress: Progress | None
    ) -> list[Generation]:
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="stx-http")
        try:
            pending: dict[Future[Generation], int] = {
                pool.submit(self.generate_one, r): i for i, r in enumerate(requests)
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_EXCEPTION)
                failure: BaseException | None = None
                for future in done:
                    index = pending.pop(future)
                    if future.exception() is None:
                        results[index] = future.result()
                        if progress:
                            progress(1)
                    elif failure is None:
                        failure = future.exception()
                if failure is not None:
                    for future in pending:
                        future.cancel()
                    for future, index in pending.items():  # requests already on the wire: keep their answers
                        if not future.cancelled() and future.exception() is None:
                            results[index] = future.result()
                    if isinstance(failure, EndpointError):
                        failure.partial = results
                    raise failure
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [r for r in results if r is not None]

    def _payload(self, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"model": self.model, "max_tokens": request.max_new_tokens, "n": 1}
        if request.messages is not None:
            url = self.base_url + "/chat/completions"
            body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
            if request.chat_template is not None and not self._warned_template:
                self._warned_template = True
                warnings.warn(
                    f"{self.base_url}: the server applies its own chat template; the request's chat_template "
                    "is not sent",
                    stacklevel=3,
                )
        elif request.prompt is not None:
            url = self.base_url + "/completions"
            body["prompt"] = request.prompt
        else:
            raise ValueError("an HTTP backend takes text requests (prompt or messages), not prompt_ids")
        if request.greedy:
            body["temperature"] = 0.0
        else:
            body["temperature"] = request.temperature
            if request.top_p != 1.0:
                body["top_p"] = request.top_p
            if request.top_k > 0:
                body["top_k"] = request.top_k
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop:
            body["stop"] = list(request.stop)
        if request.repetition_penalty != 1.0:
            body["repetition_penalty"] = request.repetition_penalty
        return url, body

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        attempts = self.max_retries + 1
        last = ""
        for attempt in range(attempts):
            try:
                return self._post_once(url, data)
            except _Retryable as err:
                last = str(err)
                if attempt + 1 == attempts:
                    break
                delay = min(self.backoff_s * 2**attempt, self.max_backoff_s)
                if err.retry_after is not None:
                    delay = min(max(delay, err.retry_after), self.max_backoff_s)
                self._sleep(delay)
        raise EndpointError(
            f"no answer from {url} after {attempts} attempt(s): {last}. Check that the server is running and "
            "reachable (or pass another URL).",
            url=url,
        )

    def _post_once(self, url: str, data: bytes) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(API_KEY_ENV)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        http_request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            detail = _error_detail(err)
            if err.code == 429 or err.code >= 500:
                raise _Retryable(f"HTTP {err.code} {detail}", _retry_after(err)) from None
            hint = f" (set {API_KEY_ENV} in the environment)" if err.code in (401, 403) else ""
            raise EndpointError(f"{url} answered HTTP {err.code}: {detail}{hint}", url=url) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, HTTPException, OSError) as err:
            reason = getattr(err, "reason", err)
            raise _Retryable(f"{type(err).__name__}: {reason}") from None
        try:
            reply = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise EndpointError(f"{url} did not answer JSON: {raw[:200]!r}", url=url) from None
        if not isinstance(reply, dict):
            raise EndpointError(f"{url} answered {type(reply).__name__}, not a JSON object", url=url)
        return reply

    def _parse(self, reply: dict[str, Any], request: GenerationRequest, url: str) -> Generation:
        try:
            choice = reply["choices"][0]
            if request.messages is not None:
                text = (choice.get("message") or {}).get("content") or ""
            else:
                text = choice.get("text") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise EndpointError(f"{url} answered without choices[0]: {json.dumps(reply)[:300]}", url=url) from None
        raw_reason = choice.get("finish_reason")
        cut = _cut_at_stop(text, request.stop)
        if cut != text or (raw_reason == "stop" and isinstance(choice.get("stop_reason"), str)):
            reason = "stop"
        elif raw_reason == "length":
            reason = "length"
        elif raw_reason == "stop":
            reason = "eos"
        else:
            reason = None
        usage = reply.get("usage") or {}
        tokens = usage.get("completion_tokens")
        meta = {"finish_reason": raw_reason, "model": reply.get("model"), "id": reply.get("id")}
        return Generation(
            text=cut, new_tokens=tokens if isinstance(tokens, int) else None, finish_reason=reason, meta=meta
        )


def _cut_at_stop(text: str, stops: Sequence[str]) -> str:
    cut = len(text)
    for stop in stops:
        position = text.find(stop)
        if position >= 0:
            cut = min(cut, position)
    return text[:cut]


def _error_detail(err: urllib.error.HTTPError) -> str:
    try:
        body = err.read().decode("utf-8", "replace")
    except Exception:  # the body is only used to explain the error
        body = ""
    try:
        parsed = json.loads(body)
        message = parsed.get("error", {}).get("message") if isinstance(parsed.get("error"), dict) else None
        body = message or parsed.get("detail") or parsed.get("error") or body
    except (json.JSONDecodeError, AttributeError):
        pass
    text = str(body).strip().replace("\n", " ")
    return (text[:300] or err.reason or "").strip()


def _retry_after(err: urllib.error.HTTPError) -> float | None:
    value = err.headers.get("Retry-After") if err.headers else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
