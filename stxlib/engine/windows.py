"""What the model sees of a request when it is longer than the context window (left truncation).

Log-likelihood: the input of `cont` after `ctx` is `(ctx + cont)[-(max_length + 1):][:-1]` (lm-evaluation-
harness's rule, jp-stable's included): the last `max_length` tokens that precede the continuation's last token.
Generation: the last `max_length - max_new_tokens` prompt tokens, leaving room for the new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DEFAULT_CONTEXT_LENGTH = 2048
CONFIG_LENGTH_ATTRIBUTES = ("max_position_embeddings", "n_positions", "n_ctx")
_HUGE_MODEL_MAX_LENGTH = 1_000_000_000_000_000_019_884_624_838_656  # transformers' "no limit" sentinel


def context_length(
    config: Any,
    tokenizer: Any | None = None,
    *,
    attributes: Sequence[str] = CONFIG_LENGTH_ATTRIBUTES,
    default: int = DEFAULT_CONTEXT_LENGTH,
) -> int:
    """The first positive `attributes` value of the model config, else the tokenizer's `model_max_length`
    (unless it is transformers' "no limit" sentinel), else `default`."""
    for attr in attributes:
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < _HUGE_MODEL_MAX_LENGTH:
        return limit
    return default


def loglikelihood_window(context: Sequence[int], continuation: Sequence[int], max_length: int) -> list[int]:
    """The model input of one request: `(ctx + cont)[-(max_length + 1):][:-1]` (left truncation)."""
    if not context:
        raise ValueError("empty context: a log-likelihood request needs at least one context token")
    if not continuation:
        raise ValueError("empty continuation: a choice must encode to at least one token")
    if len(continuation) > max_length:
        raise ValueError(f"a continuation of {len(continuation)} tokens does not fit in max_length {max_length}")
    return (list(context) + list(continuation))[-(max_length + 1) :][:-1]


def is_truncated(context: Sequence[int], continuation: Sequence[int], max_length: int) -> bool:
    """Whether the request loses context tokens on the left."""
    return len(context) + len(continuation) > max_length + 1


def generation_window(prompt: Sequence[int], max_length: int, max_new_tokens: int) -> list[int]:
    """The last `max_length - max_new_tokens` prompt tokens (room for the generated ones)."""
    room = max_length - max_new_tokens
    if room < 1:
        raise ValueError(
            f"max_new_tokens {max_new_tokens} leaves no room for a prompt in a context of {max_length} tokens; "
            "ask for fewer new tokens"
        )
    if not prompt:
        raise ValueError("empty prompt: a generation request needs at least one prompt token")
    return list(prompt)[-room:]
