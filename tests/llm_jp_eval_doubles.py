"""A deterministic generation backend for the llm-jp-eval run path (files, formats, limits, resume).

It implements the engine's `Backend` protocol without a model: the "answer" to a prompt is the first few-shot
answer in it followed by a newline and more text, as a model continuing the pattern would write. The real local
backend runs in tests/test_llm_jp_eval_engine.py and the notebook test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from stxlib.engine import Generation, GenerationRequest, LocalModelSpec, Progress

FIRST_ANSWER = re.compile(r"### 回答：\n(.*?)\n")


def first_shot_answer(prompt: str) -> str:
    match = FIRST_ANSWER.search(prompt)
    return match.group(1) if match else ""


class ScriptedBackend:
    """Answers every request with `answer(prompt)` + "\\n### 入力：..." (cut at the stop strings unless
    `honour_stop` is False); records every request; raises KeyboardInterrupt on call number `interrupt_on_call`."""

    name = "scripted"

    def __init__(
        self,
        answer: Callable[[str], str] = first_shot_answer,
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
        if self.interrupt_on_call == self.calls:
            raise KeyboardInterrupt
        out = []
        for request in requests:
            assert request.prompt is not None
            self.requests.append(request)
            text = self.answer(request.prompt) + "\n\n### 入力：\n続き"
            if self.honour_stop:
                cuts = [text.index(s) for s in request.stop if s in text]
                text = text[: min(cuts)] if cuts else text
            out.append(Generation(text=text, new_tokens=len(text), finish_reason="stop"))
            if progress is not None:
                progress(1)
        return out

    def close(self) -> None:
        self.closed = True


class BackendFactory:
    """A backend factory that hands out (and remembers) scripted backends."""

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self.opened: list[tuple[LocalModelSpec, int, ScriptedBackend]] = []

    def __call__(self, spec: LocalModelSpec, batch_size: int) -> ScriptedBackend:
        backend = ScriptedBackend(**self.kwargs)
        self.opened.append((spec, batch_size, backend))
        return backend
