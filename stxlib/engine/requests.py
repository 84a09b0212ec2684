"""The engine's vocabulary: what a caller asks a backend for, and what comes back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Progress = Callable[[int], None]  # called with the number of requests (or documents) just finished

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "eos"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """One generation. Exactly one of `prompt_ids`, `prompt` or `messages` is given.

    - `prompt_ids`: token ids, used as they are (JGLUE builds its own ids);
    - `prompt`: text, tokenised by a local backend with `add_special_tokens` (BOS when True), sent to
      `/v1/completions` by an HTTP backend;
    - `messages`: a chat, rendered by a local backend with the tokenizer's chat template (or `chat_template`)
      and the generation prompt, then tokenised without special tokens (the template writes them), sent to
      `/v1/chat/completions` by an HTTP backend.

    Generation stops at EOS, after `max_new_tokens`, or once the decoded new text contains a `stop` string;
    the returned text is cut before the first stop string. `temperature` below 1e-4 means greedy decoding
    (FastChat's rule); otherwise sampling with `top_p`/`top_k` under `seed`, reproducible whatever the batch.
    `repetition_penalty` (> 1 discourages repeats, CTRL-style, over the prompt and the new tokens) applies to
    greedy and sampled requests alike. A local backend keeps the last `max_length - max_new_tokens` prompt
    tokens of a longer prompt (left truncation; `Generation.meta["truncated"]` says so).
    """

    prompt_ids: tuple[int, ...] | None = None
    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    add_special_tokens: bool = True
    chat_template: str | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        given = [x is not None for x in (self.prompt_ids, self.prompt, self.messages)]
        if sum(given) != 1:
            raise ValueError("a GenerationRequest takes exactly one of prompt_ids, prompt or messages")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.top_k < 0 or self.repetition_penalty <= 0:
            raise ValueError(
                "sampling settings out of range: temperature >= 0, 0 < top_p <= 1, top_k >= 0 (0 = off), "
                f"repetition_penalty > 0; got {self.temperature}, {self.top_p}, {self.top_k}, "
                f"{self.repetition_penalty}"
            )
        if any(not s for s in self.stop):
            raise ValueError("an empty stop string would stop every generation at once")

    @property
    def greedy(self) -> bool:
        return self.temperature < 1e-4


@dataclass(frozen=True)
class Generation:
    """A backend's answer to one request.

    `meta` of the local backend: `prompt_tokens` (after truncation) and `truncated` (the prompt lost tokens
    on the left). `token_ids`: the new tokens kept (up to the stop, EOS included), from the local backend, so a
    caller can decode them its own way (e.g. in the context of the prompt, as a transformers pipeline did).
    """

    text: str  # decoded new text, cut before the first stop string
    new_tokens: int | None = None  # tokens generated (None when a server does not say)
    finish_reason: FinishReason | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    token_ids: tuple[int, ...] | None = None  # the new token ids kept (None when a server does not say)


@dataclass(frozen=True)
class ChoiceItem:
    """One multiple-choice document: the context ids and one continuation (token ids) per choice."""

    context: tuple[int, ...]
    continuations: tuple[tuple[int, ...], ...]


@runtime_checkable
class Backend(Protocol):
    """Something that generates text: the local Hugging Face model or an OpenAI-compatible server."""

    name: str

    def generate(self, requests: Sequence[GenerationRequest], progress: Progress | None = None) -> list[Generation]:
        """One Generation per request, in request order (batching and ordering are the backend's business)."""
        ...


@runtime_checkable
class ScoringBackend(Backend, Protocol):
    """A backend that also scores continuations (the local model; servers cannot return these)."""

    def loglikelihoods(self, items: Sequence[ChoiceItem], progress: Progress | None = None) -> list[list[float]]:
        """Per item, the summed log-probability of each continuation after the context (float32 log-softmax).

        `progress` counts items (documents) whose every continuation is scored.
        """
        ...
