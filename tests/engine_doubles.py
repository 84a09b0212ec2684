"""Test doubles for the engine's Backend protocol (plumbing tests only: real-model tests use the engine's local
backend). One scripted backend serves every suite: it answers from the request itself, without a model."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from stxlib.engine import Generation, GenerationRequest, LocalModelSpec, Progress

FIRST_ANSWER = re.compile(r"### 回答：\n(.*?)\n")


def scripted_answer(request: GenerationRequest) -> str:
    """A chat request (MT-Bench): `  答え{turn} seed={seed} t={temperature}` plus a newline, `turn` counting the
    user messages. A prompt (llm-jp-eval): the first few-shot answer in it, then a blank line and more text, as
    a model continuing the pattern would write (the request's stop strings cut it)."""
    if request.messages:
        turn = sum(m.role == "user" for m in request.messages)
        return f"  答え{turn} seed={request.seed} t={request.temperature}\n"
    match = FIRST_ANSWER.search(request.prompt or "")
    return (match.group(1) if match else "") + "\n\n### 入力：\n続き"


class ScriptedBackend:
    """Answers every request with `answer(request)`, cut at the request's stop strings (finish reason `stop`;
    `eos` when none occurs, or when `honour_stop` is False); records every request; raises KeyboardInterrupt on
    call number `interrupt_on_call` (an interrupted run)."""

    name = "scripted"

    def __init__(
        self,
        answer: Callable[[GenerationRequest], str] = scripted_answer,
        *,
        honour_stop: bool = True,
        interrupt_on_call: int | None = None,
    ) -> None:
        self.answer = answer
        self.honour_stop = honour_stop
        self.interrupt_on_call = interrupt_on_call
        self.calls = 0
        self.requests: list[GenerationRequest] = []
        self.closed = False

    def generate(self, requests: Sequence[GenerationRequest], progress: Progress | None = None) -> list[Generation]:
        self.calls += 1
        if self.calls == self.interrupt_on_call:
            raise KeyboardInterrupt
        out = []
        for request in requests:
            self.requests.append(request)
            text = self.answer(request)
            cuts = [text.index(s) for s in request.stop if s in text] if self.honour_stop else []
            text = text[: min(cuts)] if cuts else text
            out.append(Generation(text=text, new_tokens=len(text), finish_reason="stop" if cuts else "eos"))
            if progress is not None:
                progress(1)
        return out

    def close(self) -> None:
        self.closed = True


class BackendFactory:
    """A backend factory `(spec, batch_size) -> backend` that hands out (and remembers) scripted backends."""

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self.opened: list[tuple[LocalModelSpec, int, ScriptedBackend]] = []

    def __call__(self, spec: LocalModelSpec, batch_size: int) -> ScriptedBackend:
        backend = ScriptedBackend(**self.kwargs)
        self.opened.append((spec, batch_size, backend))
        return backend
