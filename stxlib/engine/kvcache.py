"""A key/value cache allocated once for a whole generation run: one slot per running sequence.

Every layer holds two buffers `[slots, kv_heads, capacity, head_dim]`, allocated on the layer's first write
and never re-allocated. Each slot holds one sequence at positions `0 .. length - 1`. A forward pass writes in
one of two ways (set before the call, shared by all layers through `SlotCache.plan`):

- `prefill(slot, start)`: one sequence (batch 1) whose tokens go to positions `start ..` of `slot`; the layer
  attends over `slot[:start + q]` (`start > 0` reuses a prefix already copied into the slot);
- `decode(lengths, q)`: `q` new tokens per active slot `0 .. n - 1` (the newest token and draft tokens),
  written from each slot's own length on; the layer attends over `[:n, :, :max(lengths) + q]`, a view, with
  a 4D mask hiding each slot's unused tail.

Sequences of different lengths thus decode together without padding them to a common start, and a finished
sequence's slot is refilled or the last slot moved into it (`copy_slot`) without touching the other slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transformers.cache_utils import Cache, CacheLayerMixin


@dataclass
class SlotPlan:
    """Where the next forward pass writes: `prefill` (one slot from `start`) or `decode` (`lengths` per slot)."""

    slots: int
    capacity: int
    mode: str = "prefill"
    slot: int = 0
    start: int = 0
    lengths: Any = None  # LongTensor [n]: each active slot's length before this step (decode)
    width: int = 0  # max(lengths) + q (decode)
    where: Any = None  # LongTensor [n, q]: the positions written (decode)

    def write(self, buffer: Any, states: Any) -> Any:
        """Store `states` ([batch, heads, q, head_dim]) in `buffer` and return what the layer attends over."""
        import torch

        if self.mode == "prefill":
            end = self.start + states.shape[2]
            if end > self.capacity:
                raise ValueError(f"a sequence of {end} tokens does not fit in a KV cache of {self.capacity}")
            buffer[self.slot, :, self.start : end] = states[0]
            return buffer[self.slot : self.slot + 1, :, :end]
        n = states.shape[0]
        rows = torch.arange(n, device=buffer.device)[:, None]
        buffer[rows, :, self.where] = states.transpose(1, 2)  # [n, q, heads, head_dim] at [row, :, position]
        return buffer[:n, :, : self.width]

    def seen(self) -> int:
        return self.start if self.mode == "prefill" else self.width - self.where.shape[1]


class SlotLayer(CacheLayerMixin):
    """One layer's pre-allocated buffers (see the module docstring)."""

    is_sliding = False
    is_compileable = False

    def __init__(self, plan: SlotPlan) -> None:
        super().__init__()
        self.plan = plan

    def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
        self.device = key_states.device
        shape = (self.plan.slots, key_states.shape[1], self.plan.capacity, key_states.shape[3])
        self.keys = key_states.new_zeros(shape)
        self.values = value_states.new_zeros((*shape[:3], value_states.shape[3]))
        self.is_initialized = True

    def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        return self.plan.write(self.keys, key_states), self.plan.write(self.values, value_states)

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.plan.seen() + query_length, 0

    def get_seq_length(self) -> int:
        return self.plan.seen()

    def get_max_length(self) -> int:
        return self.plan.capacity

    def copy_slot(self, source: int, target: int, length: int) -> None:
        if self.is_initialized and length > 0:
            self.keys[target, :, :length] = self.keys[source, :, :length]
            self.values[target, :, :length] = self.values[source, :, :length]


class SlotCache(Cache):
    """The cache handed to the model (`cache=` / `past_key_values=`) for every forward pass of a run."""

    def __init__(self, num_layers: int, slots: int, capacity: int) -> None:
        self.plan = SlotPlan(slots, capacity)
        super().__init__(layers=[SlotLayer(self.plan) for _ in range(num_layers)])

    def prefill(self, slot: int, start: int = 0) -> None:
        self.plan.mode, self.plan.slot, self.plan.start = "prefill", slot, start

    def decode(self, lengths: Any, q: int = 1) -> None:
        import torch

        if int(lengths.max()) + q > self.plan.capacity:
            raise ValueError(
                f"decoding {q} tokens after {int(lengths.max())} overflows a KV cache of {self.plan.capacity}"
            )
        self.plan.mode, self.plan.lengths, self.plan.width = "decode", lengths, int(lengths.max()) + q
        self.plan.where = lengths[:, None] + torch.arange(q, device=lengths.device)

    def copy_slot(self, source: int, target: int, length: int) -> None:
        """Copy the first `length` positions of `source` into `target` in every layer."""
        for layer in self.layers:
            layer.copy_slot(source, target, length)  # type: ignore[union-attr]


def bytes_per_token(config: Any, dtype_bytes: int) -> int:
    """KV cache bytes one token takes in all layers (keys and values)."""
    text = getattr(config, "text_config", None) or config
    heads = getattr(text, "num_key_value_heads", None) or text.num_attention_heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    return 2 * text.num_hidden_layers * heads * head_dim * dtype_bytes
