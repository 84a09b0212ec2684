"""The fast generation path: the engine's own decode loop over the model, with continuous batching.

Requests are taken longest prompt first. Each one is prefilled alone (batch 1, no padding) into a free slot
of a `SlotCache` allocated once for the run; then all running sequences decode together, each at its own
position (a 4D mask hides every slot's unused tail), one token per step, or several when a greedy row's draft
tokens (`stxlib.engine.lookup`) agree with the model's argmax. A sequence leaves as soon as it
stops (stop string, EOS or its token budget) and the next request is prefilled into its slot; when the queue
is empty the last slot moves into the hole, so the running slots stay `0 .. n - 1`. Outputs come back in
request order.

Shared prefix: the longest token prefix common to every prompt of the call (the few-shot description of a
JGLUE task, a system prompt) is computed once and copied into each slot before its own prefill.

Each row chooses its token exactly as the `generate` path does (`stxlib.engine.decoding`): greedy argmax,
or the request's repetition penalty and per-row seeded sampling; stops and the returned `Generation` come
from the same functions, so the two paths differ only by float noise from the batch shapes. Models whose
`generation_config.json` adds logits processors, or whose attention is not plain full attention, use the
`generate` path instead (`slot_decoding_unsupported` says why).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stxlib.engine.decoding import DecodeRow, choose_token, finish_row, row_generator, stop_string_hit, stop_window
from stxlib.engine.loading import LocalModel
from stxlib.engine.lookup import MAX_DRAFT, NgramIndex
from stxlib.engine.prefix import cache_keyword, kv_reuse_unsupported, shared_prefix_length
from stxlib.engine.requests import Generation, Progress
from stxlib.engine.stats import EngineStats

# generation_config.json settings that add logits processors to greedy `generate` (see transformers'
# `GenerationMixin._get_logits_processor`), or change the search itself
_PROCESSOR_SETTINGS = (
    "repetition_penalty",
    "encoder_repetition_penalty",
    "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size",
    "bad_words_ids",
    "min_length",
    "min_new_tokens",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "exponential_decay_length_penalty",
    "suppress_tokens",
    "begin_suppress_tokens",
    "sequence_bias",
    "guidance_scale",
    "renormalize_logits",
    "remove_invalid_values",
    "watermarking_config",
    "num_beams",
    "penalty_alpha",
    "dola_layers",
)
DEFAULT_KV_BUDGET = 8 * 2**30  # bytes of KV cache on a CPU (a GPU: half its free memory)


def slot_decoding_unsupported(lm: LocalModel, rows: Sequence[DecodeRow]) -> str | None:
    """Why the slot decoder cannot give `generate`'s outputs for this model and these rows (None: it can)."""
    from transformers import GenerationConfig

    longest = max(len(r.prompt) + r.request.max_new_tokens for r in rows)
    reason = kv_reuse_unsupported(lm.model.config, longest)
    if reason is not None:
        return reason
    generation_config = getattr(lm.model, "generation_config", None)
    if generation_config is not None:
        default = GenerationConfig()
        changed = [
            name
            for name in _PROCESSOR_SETTINGS
            if getattr(generation_config, name, None) != getattr(default, name, None)
        ]
        if changed:
            return f"generation_config.json sets {', '.join(changed)}"
    return None


@dataclass
class Running:
    """One request in a slot: its new tokens, its generator, how many tokens its slot holds."""

    index: int
    row: DecodeRow
    slot: int
    window: int
    generator: Any = None
    lookup: NgramIndex | None = None  # drafts (plain greedy rows, when drafting)
    new: list[int] = field(default_factory=list)
    length: int = 0  # tokens in the slot (the newest token is not in it yet)
    done: bool = False

    @property
    def plain(self) -> bool:
        request = self.row.request
        return request.greedy and request.repetition_penalty == 1.0


def kv_budget(device: Any) -> int:
    import torch

    if getattr(device, "type", "cpu") == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free // 2
    return DEFAULT_KV_BUDGET


class SlotDecoder:
    """Generate for `rows` with at most `slots` sequences decoding together (see the module docstring)."""

    def __init__(
        self,
        lm: LocalModel,
        rows: Sequence[DecodeRow],
        slots: int,
        *,
        share_prefix: bool = True,
        draft_tokens: int = MAX_DRAFT,
        stats: EngineStats | None = None,
    ) -> None:
        from stxlib.engine.kvcache import SlotCache, bytes_per_token  # imports transformers

        self.lm = lm
        self.stats = stats if stats is not None else EngineStats()
        self.rows = list(rows)
        self.eos = lm.eos_token_ids()
        self.device = lm.device
        self.dtype = lm.hidden_dtype
        self.prefix = shared_prefix_length([r.prompt for r in self.rows]) if share_prefix else 0
        self.draft_tokens = draft_tokens
        capacity = max(len(r.prompt) + r.request.max_new_tokens for r in self.rows) + draft_tokens
        itemsize = self.dtype.itemsize if hasattr(self.dtype, "itemsize") else 4
        per_slot = bytes_per_token(lm.model.config, itemsize) * capacity
        fit = max(1, kv_budget(self.device) // max(per_slot, 1) - bool(self.prefix))
        self.slots = max(1, min(slots, len(self.rows), fit))
        self.prefix_slot = self.slots
        config = getattr(lm.model.config, "text_config", None) or lm.model.config
        self.cache = SlotCache(config.num_hidden_layers, self.slots + bool(self.prefix), capacity)
        self.keyword = cache_keyword(lm.model)

    def forward(self, ids: list[list[int]], positions: Any, mask: Any = None, keep: int = 1) -> Any:
        """Float32 logits `[batch, keep, vocab]` of the last `keep` positions of one forward pass through the
        slot cache."""
        import torch

        out = self.lm.model(
            input_ids=torch.tensor(ids, dtype=torch.long, device=self.device),
            position_ids=positions,
            attention_mask=mask,
            use_cache=True,
            logits_to_keep=keep,
            **{self.keyword: self.cache},
        )
        return out.logits.float()

    def prefill(self, slot: int, tokens: Sequence[int], start: int) -> Any:
        import torch

        self.stats.add(forward_passes=1, fed_tokens=len(tokens))
        self.cache.prefill(slot, start)
        positions = torch.arange(start, start + len(tokens), device=self.device)[None]
        return self.forward([list(tokens)], positions)[0, -1]

    def start(self, index: int, slot: int) -> Running:
        """Prefill request `index` into `slot` (after the shared prefix) and choose its first token."""
        row = self.rows[index]
        state = Running(index, row, slot, stop_window(row.request.stop), row_generator(row.request, self.device))
        if self.prefix:
            self.cache.copy_slot(self.prefix_slot, slot, self.prefix)
            self.stats.add(prefix_tokens_reused=self.prefix)
        logits = self.prefill(slot, row.prompt[self.prefix :], self.prefix)
        state.length = len(row.prompt)
        if self.draft_tokens and state.plain:
            state.lookup = NgramIndex(row.prompt)
        self.advance(state, choose_token(logits, row, state.new, state.generator))
        return state

    def advance(self, state: Running, token: int) -> None:
        state.new.append(token)
        if state.lookup is not None:
            state.lookup.append(token)
        request = state.row.request
        state.done = (
            token in self.eos
            or len(state.new) >= request.max_new_tokens
            or stop_string_hit(self.lm.tokenizer, state.new, request.stop, state.window)
        )

    def draft(self, state: Running) -> list[int]:
        """Draft tokens after the row's newest one (never more than its budget leaves room for)."""
        if state.lookup is None:
            return []
        room = state.row.request.max_new_tokens - len(state.new) - 1
        return state.lookup.draft(min(self.draft_tokens, room))

    def step(self, active: list[Running]) -> None:
        """Every running sequence (slots `0 .. len(active) - 1`) feeds its newest token and its drafts; it
        keeps the model's argmax tokens for as long as its drafts agree with them, plus the next one (one
        token per step without drafts; sampled and penalised rows choose theirs as `generate` would)."""
        import torch

        drafts = [self.draft(s) for s in active]
        q = 1 + max(len(d) for d in drafts)
        lengths = torch.tensor([s.length for s in active], dtype=torch.long, device=self.device)
        self.cache.decode(lengths, q)
        plan = self.cache.plan
        allowed = torch.arange(plan.width, device=self.device)[None, None, :] <= plan.where[:, :, None]
        mask = torch.zeros((len(active), 1, q, plan.width), dtype=self.dtype, device=self.device)
        mask.masked_fill_(~allowed[:, None], torch.finfo(self.dtype).min)
        ids = [[s.new[-1], *d, *[s.new[-1]] * (q - 1 - len(d))] for s, d in zip(active, drafts, strict=True)]
        logits = self.forward(ids, plan.where, mask, keep=q)
        fed = len(active) + sum(len(d) for d in drafts)
        self.stats.add(forward_passes=1, fed_tokens=len(active) * q, padding_tokens=len(active) * q - fed)
        best = logits.argmax(-1).tolist()
        for k, state in enumerate(active):
            if state.plain:
                tokens = accepted(drafts[k], best[k])
                self.stats.add(draft_tokens_accepted=len(tokens) - 1)
            else:
                tokens = [choose_token(logits[k, 0], state.row, state.new, state.generator)]
            state.length += len(tokens)  # the newest token and the drafts that matched are now in the cache
            for token in tokens:
                self.advance(state, token)
                if state.done:
                    break

    def run(self, progress: Progress) -> list[Generation]:
        results: list[Generation | None] = [None] * len(self.rows)
        queue = deque(sorted(range(len(self.rows)), key=lambda i: (-len(self.rows[i].prompt), i)))
        if self.prefix:
            self.prefill(self.prefix_slot, self.rows[0].prompt[: self.prefix], 0)
        tokenizer = self.lm.tokenizer

        def finish(state: Running) -> None:
            generation = finish_row(tokenizer, state.new, len(state.new), self.eos, state.row)
            self.stats.add(generated_tokens=generation.new_tokens or 0)
            results[state.index] = generation
            progress(1)

        active: list[Running | None] = []
        while queue or active:
            for slot in [*(i for i, s in enumerate(active) if s is None), *range(len(active), self.slots)]:
                while queue:
                    state = self.start(queue.popleft(), slot)
                    if not state.done:
                        break
                    finish(state)
                else:
                    break
                if slot < len(active):
                    active[slot] = state
                else:
                    active.append(state)
            running = self.compact(active)
            if not running:
                break
            self.step(running)
            for state in running:
                if state.done:
                    finish(state)
                    active[state.slot] = None
        return results  # type: ignore[return-value]

    def compact(self, active: list[Running | None]) -> list[Running]:
        """Move the last running slots into the holes left by finished ones; drop the empty tail."""
        while True:
            while active and active[-1] is None:
                active.pop()
            hole = next((i for i, s in enumerate(active) if s is None), None)
            if hole is None:
                return active  # type: ignore[return-value]
            mover = active.pop()
            assert mover is not None
            self.cache.copy_slot(mover.slot, hole, mover.length)
            mover.slot = hole
            active[hole] = mover


def accepted(draft: Sequence[int], best: Sequence[int]) -> list[int]:
    """The argmax tokens a step keeps: `best[i]` for as long as the draft agreed with `best[:i]`, then one more."""
    tokens = []
    for i, token in enumerate(best[: len(draft) + 1]):
        tokens.append(token)
        if i == len(draft) or draft[i] != token:
            break
    return tokens


def slot_generate(
    lm: LocalModel,
    rows: Sequence[DecodeRow],
    *,
    slots: int,
    progress: Progress,
    share_prefix: bool = True,
    draft_tokens: int = MAX_DRAFT,
    stats: EngineStats | None = None,
) -> list[Generation]:
    """One Generation per row, in row order, through the engine's own decode loop (see the module docstring)."""
    import torch

    if not rows:
        return []
    with torch.inference_mode():  # the cache's buffers are inference tensors, written in place throughout
        return SlotDecoder(lm, rows, slots, share_prefix=share_prefix, draft_tokens=draft_tokens, stats=stats).run(
            progress
        )
