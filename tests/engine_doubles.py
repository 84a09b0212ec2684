"""Test doubles for the engine's Backend protocol (plumbing tests only: real-model tests use the engine)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stxlib.engine import Generation, GenerationRequest


class ScriptedBackend:
    """Answers from the request itself (`答え{turn} seed={seed} t={temperature}`), records every request, and
    raises KeyboardInterrupt on call number `fail_on_call` (an interrupted run)."""

    name = "scripted"

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.requests: list[GenerationRequest] = []
        self.calls = 0
        self.fail_on_call = fail_on_call
        self.closed = False

    def generate(self, requests: Sequence[GenerationRequest], progress: Any = None) -> list[Generation]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt
        self.requests.extend(requests)
        out = []
        for r in requests:
            turn = sum(m.role == "user" for m in r.messages or ())
            out.append(Generation(f"  答え{turn} seed={r.seed} t={r.temperature}\n", new_tokens=3, finish_reason="eos"))
            if progress:
                progress(1)
        return out

    def close(self) -> None:
        self.closed = True
