"""The token prefix shared by every sequence of a call, computed once instead of once per sequence.

JGLUE's prompts of a task all begin with the same description and instruction (jp-stable's `DESCRIPTION`
and the first `### 指示:` block up to the first shot's own text); chat requests share their system prompt.
Causal attention makes the keys and values of a common prefix the same whatever follows it, so the engine
runs the prefix once and starts every sequence from a copy of its cache. The prefix is taken on token ids
(no tokenisation question arises), never the whole of any sequence (its last token must still be fed to
get the next-token logits), and only when it is long enough to be worth a separate pass.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

MIN_SHARED_PREFIX = 16  # tokens
# model types whose attention writes every layer's keys and values through `Cache.update`, with RoPE positions
# from `position_ids` and a 4D mask taken as given (checked on Llama; the others share its attention code)
KV_REUSE_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})


def kv_reuse_unsupported(config: Any, longest: int) -> str | None:
    """Why keys and values computed in one forward pass cannot be reused by another for this model (None: they
    can): the engine's own decode loop and the shared prefix both need plain full attention."""
    model_type = getattr(config, "model_type", None)
    if model_type not in KV_REUSE_MODEL_TYPES:
        return f"model type {model_type!r} is not one of {', '.join(sorted(KV_REUSE_MODEL_TYPES))}"
    attention = getattr(config, "_attn_implementation", None) or "sdpa"
    if attention not in ("sdpa", "eager"):
        return f"attention implementation {attention!r} takes no 4D mask"
    layer_types = set(getattr(config, "layer_types", None) or ["full_attention"])
    if layer_types != {"full_attention"}:
        return f"layer types {sorted(layer_types)} are not all full attention"
    window = getattr(config, "sliding_window", None)
    if window and longest > window:
        return f"sequences of {longest} tokens exceed the sliding window of {window}"
    return None


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """Length of the longest prefix common to all `sequences` (0 for none)."""
    if not sequences:
        return 0
    first = sequences[0]
    n = min(len(s) for s in sequences)
    for other in sequences[1:]:
        i = 0
        while i < n and other[i] == first[i]:
            i += 1
        n = i
        if n == 0:
            break
    return n


def shared_prefix_length(sequences: Sequence[Sequence[int]], minimum: int = MIN_SHARED_PREFIX) -> int:
    """The prefix worth sharing: common to at least two sequences' worth of work, at least `minimum` tokens,
    and shorter than every sequence; 0 when there is none."""
    if len(sequences) < 2:
        return 0
    n = min(common_prefix_length(sequences), min(len(s) for s in sequences) - 1)
    return n if n >= minimum else 0


def cache_keyword(model: Any) -> str:
    """`cache` (transformers >= 5.x) or `past_key_values`, as the model's forward names it."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"
