"""Log-likelihoods of continuations: the packed, batched fast path and the per-request reference.

Fast path (shared-context packing): the reference numbers with far fewer forward passes.

Each item's context runs once, packed with all of its continuations into one sequence
`ctx + cont0[:-1] + cont1[:-1] + ...`. A 4D attention mask lets every continuation see the context and its
own earlier tokens only, and position ids restart after the context for every continuation, so each one is
scored exactly as if it followed the context alone. Several items go into one forward pass (sorted by packed
length, longest first, right-padded), and only the positions that predict continuation tokens are projected
onto the vocabulary. A continuation whose request would be left-truncated (context + continuation longer than
`max_length + 1`) gets its own unit with its own truncated window, as in the reference. The prefix common to
the items' contexts (`stxlib.engine.prefix`) runs once; its keys and values are reused by every batch.

Reference (`request_loglikelihood`): one forward pass per continuation over its own window, no padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stxlib.engine.loading import LocalModel
from stxlib.engine.prefix import cache_keyword, kv_reuse_unsupported, shared_prefix_length
from stxlib.engine.requests import ChoiceItem, Progress
from stxlib.engine.stats import EngineStats
from stxlib.engine.windows import is_truncated, loglikelihood_window

DEFAULT_MAX_BATCH_TOKENS = 16384  # padded tokens per batch (a GPU)
CPU_MAX_BATCH_TOKENS = 2048


@dataclass(frozen=True)
class PackedUnit:
    """A prefix and the continuations scored after it, packed into one sequence."""

    item: int
    prefix: tuple[int, ...]
    choice_ids: tuple[int, ...]
    continuations: tuple[tuple[int, ...], ...]

    @property
    def length(self) -> int:
        return len(self.prefix) + sum(len(c) - 1 for c in self.continuations)


def plan_units(items: Sequence[ChoiceItem], max_length: int) -> list[PackedUnit]:
    """One unit per item for the continuations that fit; one unit per continuation whose request is truncated."""
    units = []
    for index, item in enumerate(items):
        fits = [j for j, c in enumerate(item.continuations) if not is_truncated(item.context, c, max_length)]
        if fits:
            units.append(PackedUnit(index, item.context, tuple(fits), tuple(item.continuations[j] for j in fits)))
        for j, cont in enumerate(item.continuations):
            if j in fits:
                continue
            window = loglikelihood_window(item.context, cont, max_length)
            prefix = window[: len(window) - (len(cont) - 1)]
            units.append(PackedUnit(index, tuple(prefix), (j,), (cont,)))
    return units


def batch_units(units: Sequence[PackedUnit], batch_size: int, max_batch_tokens: int) -> list[list[PackedUnit]]:
    """Longest first; at most `batch_size` units and about `max_batch_tokens` padded tokens per batch."""
    ordered = sorted(units, key=lambda u: (-u.length, u.item))
    batches: list[list[PackedUnit]] = []
    for unit in ordered:
        if batches:
            last = batches[-1]
            width = last[0].length  # longest first: the first unit sets the padded width
            if len(last) < batch_size and width * (len(last) + 1) <= max_batch_tokens:
                last.append(unit)
                continue
        batches.append([unit])
    return batches


@dataclass
class SharedPrefix:
    """The keys and values of the prefix common to the packed units, computed once (one `(k, v)` per layer)."""

    tokens: tuple[int, ...]
    layers: list[tuple[Any, Any]]

    def cache(self, batch: int) -> Any:
        """A fresh `DynamicCache` holding the prefix for `batch` rows (the forward pass appends to it)."""
        from transformers import DynamicCache

        cache = DynamicCache()
        for index, (keys, values) in enumerate(self.layers):
            cache.update(keys.expand(batch, -1, -1, -1), values.expand(batch, -1, -1, -1), index)
        return cache


def compute_prefix(lm: LocalModel, tokens: Sequence[int]) -> SharedPrefix:
    import torch
    from transformers import DynamicCache

    cache = DynamicCache()
    with torch.inference_mode():
        lm.model(
            input_ids=torch.tensor([list(tokens)], device=lm.device),
            use_cache=True,
            logits_to_keep=1,
            **{cache_keyword(lm.model): cache},
        )
    return SharedPrefix(tuple(tokens), [(layer.keys, layer.values) for layer in cache.layers])


def split_on_prefix(
    items: Sequence[ChoiceItem], units: Sequence[PackedUnit], lm: LocalModel | None = None
) -> tuple[int, list[PackedUnit], list[PackedUnit]]:
    """(shared prefix length, units that start with it, the others). The prefix is the one common to the
    units holding a whole context (truncated windows rarely share it) and is 0 when too short or when the
    model cannot reuse keys and values (`kv_reuse_unsupported`)."""
    whole = [u for u in units if u.prefix == items[u.item].context]
    n = shared_prefix_length([u.prefix for u in whole])
    if n and lm is not None and kv_reuse_unsupported(lm.model.config, max(u.length for u in units)):
        n = 0
    if not n:
        return 0, [], list(units)
    head = whole[0].prefix[:n]
    sharing = [u for u in units if len(u.prefix) > n and u.prefix[:n] == head]
    return n, sharing, [u for u in units if not (len(u.prefix) > n and u.prefix[:n] == head)]


def packed_loglikelihoods(
    lm: LocalModel,
    items: Sequence[ChoiceItem],
    *,
    max_length: int,
    batch_size: int,
    pad_token_id: int,
    progress: Progress,
    max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS,
    share_prefix: bool = True,
    stats: EngineStats | None = None,
) -> list[list[float]]:
    """Summed log-probabilities of every continuation of every item; `progress` counts finished items."""
    stats = stats if stats is not None else EngineStats()
    results: list[list[float | None]] = [[None] * len(item.continuations) for item in items]
    remaining = [len(item.continuations) for item in items]
    units = plan_units(items, max_length)
    n, sharing, others = split_on_prefix(items, units, lm) if share_prefix and units else (0, [], units)
    prefix = compute_prefix(lm, sharing[0].prefix[:n]) if n else None
    if prefix is not None:
        stats.add(forward_passes=1, fed_tokens=n, prefix_tokens_reused=n * len(sharing))
    plan = [(b, prefix) for b in batch_units(sharing, batch_size, max_batch_tokens)]
    plan += [(b, None) for b in batch_units(others, batch_size, max_batch_tokens)]
    for batch, shared in plan:
        scores = score_packed_batch(lm, batch, pad_token_id, shared, stats)
        finished = 0
        for unit, unit_scores in zip(batch, scores, strict=True):
            for j, value in zip(unit.choice_ids, unit_scores, strict=True):
                results[unit.item][j] = value
            remaining[unit.item] -= len(unit.choice_ids)
            finished += remaining[unit.item] == 0
        if finished:
            progress(finished)
    return [[float(v) for v in row] for row in results]  # type: ignore[arg-type]


def score_packed_batch(
    lm: LocalModel,
    batch: Sequence[PackedUnit],
    pad_token_id: int,
    prefix: SharedPrefix | None = None,
    stats: EngineStats | None = None,
) -> list[list[float]]:
    """One forward pass over right-padded packed units (after `prefix`, whose keys and values are reused when
    given); per unit, the score of each of its continuations."""
    import torch

    device, dtype = lm.device, lm.hidden_dtype
    skip = len(prefix.tokens) if prefix is not None else 0
    width = max(u.length for u in batch) - skip
    ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
    positions = torch.zeros((len(batch), width), dtype=torch.long)
    segments = torch.full((len(batch), width), -2, dtype=torch.long)  # -1 prefix, j continuation j, -2 padding
    wanted: list[list[int]] = []  # per row: sequence positions whose logits predict continuation tokens
    targets: list[list[tuple[int, ...]]] = []  # per row, per continuation: (index into wanted, ...) per token
    for row, unit in enumerate(batch):
        p = len(unit.prefix) - skip
        ids[row, :p] = torch.tensor(unit.prefix[skip:])
        positions[row, :p] = torch.arange(skip, skip + p)
        segments[row, :p] = -1
        keep = [p - 1]
        per_choice = []
        offset = p
        for j, cont in enumerate(unit.continuations):
            body = cont[:-1]
            if body:
                ids[row, offset : offset + len(body)] = torch.tensor(body)
                positions[row, offset : offset + len(body)] = torch.arange(skip + p, skip + p + len(body))
                segments[row, offset : offset + len(body)] = j
            slots = [0] + [len(keep) + t for t in range(len(body))]
            keep.extend(range(offset, offset + len(body)))
            per_choice.append(tuple(slots))
            offset += len(body)
        wanted.append(keep)
        targets.append(per_choice)
    causal = torch.ones((width, width), dtype=torch.bool).tril()
    same = (segments[:, None, :] == -1) | (segments[:, None, :] == segments[:, :, None])
    allowed = causal[None] & same
    mask = torch.zeros((len(batch), 1, width, skip + width), dtype=dtype)
    mask[:, :, :, skip:].masked_fill_(~allowed[:, None], torch.finfo(dtype).min)
    n_keep = max(len(k) for k in wanted)
    keep_index = torch.tensor([k + [k[-1]] * (n_keep - len(k)) for k in wanted], dtype=torch.long)
    extra = {} if prefix is None else {cache_keyword(lm.model): prefix.cache(len(batch)), "use_cache": True}
    with torch.inference_mode():
        logits = lm.model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            logits_to_keep=keep_index.to(device),
            **extra,
        ).logits.float()
    logprobs = torch.log_softmax(logits, dim=-1).cpu()
    if stats is not None:
        real = sum(u.length - skip for u in batch)
        stats.add(forward_passes=1, fed_tokens=width * len(batch), padding_tokens=width * len(batch) - real)
    out = []
    for row, unit in enumerate(batch):
        row_scores = []
        for cont, slots in zip(unit.continuations, targets[row], strict=True):
            picked = logprobs[row, list(slots), list(cont)]
            row_scores.append(float(picked.sum()))
        out.append(row_scores)
    return out


def request_loglikelihood(
    lm: LocalModel, context: Sequence[int], continuation: Sequence[int], max_length: int
) -> float:
    """The reference: one forward pass over the request's window, no padding; the float32 log-softmax of
    the continuation tokens, summed."""
    import torch

    window = loglikelihood_window(context, continuation, max_length)
    input_ids = torch.tensor([window], dtype=torch.long, device=lm.device)
    with torch.inference_mode():
        logits = lm.model(input_ids=input_ids).logits[0].float()
    n = len(continuation)
    logprobs = torch.log_softmax(logits[len(window) - n : len(window)], dim=-1)
    targets = torch.tensor(continuation, dtype=torch.long, device=logprobs.device)
    return float(logprobs.gather(1, targets[:, None]).sum())
