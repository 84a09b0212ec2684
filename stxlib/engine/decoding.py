"""One batch of generations through `model.generate`: left-padded rows, each with its own stop strings,
token budget, repetition penalty and sampling settings; the model's `generation_config.json` applies.

- Stops: a row is done once its newest tokens decode to text holding one of its stop strings, or once it has
  its `max_new_tokens`; EOS ends it through `generate` itself. A stopped row's later tokens are discarded.
- Sampling with a generator per row: `generate` runs greedily (`do_sample=False`) and `RowProcessor` draws each
  sampled row's token from its own `torch.Generator` (seeded with the request's `seed`), then leaves only
  that token possible, so `generate`'s argmax picks it. A row's draws depend on its own logits only, never on
  which rows share its batch (up to float noise between batch shapes, like greedy decoding).
- Output: the new tokens up to the row's stop, decoded with `skip_special_tokens=True`, cut before the
  first stop string (`text.split(stop)[0]` per stop string, jp-stable's clean-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stxlib.engine.loading import LocalModel
from stxlib.engine.requests import Generation, GenerationRequest
from stxlib.engine.stats import EngineStats

MIN_STOP_WINDOW = 3  # newest tokens decoded per step (more for stop strings longer than 2 bytes)


@dataclass(frozen=True)
class DecodeRow:
    """One request ready for the model: its prompt ids (already truncated) and its settings."""

    prompt: tuple[int, ...]
    request: GenerationRequest
    truncated: bool = False


def stop_window(stops: Sequence[str]) -> int:
    """Newest tokens to decode so that a stop string ending in the newest token is always seen whole."""
    return max([MIN_STOP_WINDOW, *(len(s.encode("utf-8")) + 1 for s in stops)])


class RowStops:
    """Stopping criterion for `generate` (duck-typed): stop strings and token budgets per row.

    `ends[row]` is how many new tokens the row had when it stopped (None while it runs). Decoding a short
    window of the newest tokens is enough: the output is cut at the first stop string afterwards, so stopping
    one token later than necessary never changes it.
    """

    def __init__(self, tokenizer: Any, prompt_length: int, rows: Sequence[DecodeRow]) -> None:
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.rows = list(rows)
        self.windows = [stop_window(r.request.stop) for r in rows]
        self.ends: list[int | None] = [None] * len(rows)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        n_new = input_ids.shape[1] - self.prompt_length
        for row, spec in enumerate(self.rows):
            if self.ends[row] is not None or n_new < 1:
                continue
            new = input_ids[row, self.prompt_length :][-self.windows[row] :].tolist()
            if n_new >= spec.request.max_new_tokens or stop_string_hit(
                self.tokenizer, new, spec.request.stop, self.windows[row]
            ):
                self.ends[row] = n_new
        return torch.tensor([e is not None for e in self.ends], dtype=torch.bool, device=input_ids.device)


def stop_string_hit(tokenizer: Any, new: Sequence[int], stops: Sequence[str], window: int) -> bool:
    """Whether the newest `window` tokens of `new` decode to text holding one of `stops`."""
    if not stops:
        return False
    text = tokenizer.decode(list(new[-window:]), skip_special_tokens=False)
    return any(stop in text for stop in stops)


class RowProcessor:
    """Logits processor for `generate` (duck-typed): per-row repetition penalty (over the row's own prompt and
    new tokens, never its left padding) and per-row sampling from the row's own generator."""

    def __init__(self, rows: Sequence[DecodeRow], pad_lengths: Sequence[int], device: Any) -> None:
        self.rows = list(rows)
        self.pad_lengths = list(pad_lengths)
        self.generators = [row_generator(r.request, device) for r in rows]

    @staticmethod
    def needed(rows: Sequence[DecodeRow]) -> bool:
        return any(not r.request.greedy or r.request.repetition_penalty != 1.0 for r in rows)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        for row, spec in enumerate(self.rows):
            request = spec.request
            if request.repetition_penalty != 1.0:
                penalise(scores[row], input_ids[row, self.pad_lengths[row] :], request.repetition_penalty)
            generator = self.generators[row]
            if generator is not None:
                token = sample_token(scores[row], request, generator)
                scores[row].fill_(float("-inf"))
                scores[row, token] = 0.0
        return scores


def penalise(scores: Any, seen_ids: Any, penalty: float) -> None:
    """CTRL repetition penalty, in place, on one row's float32 logits over the tokens it has seen."""
    import torch

    seen = seen_ids.unique()
    picked = scores[seen]
    scores[seen] = torch.where(picked < 0, picked * penalty, picked / penalty)


def row_generator(request: GenerationRequest, device: Any) -> Any:
    """The request's own `torch.Generator` (seeded with its `seed`), None for a greedy request."""
    import torch

    if request.greedy:
        return None
    generator = torch.Generator(device=device)
    if request.seed is None:
        generator.seed()  # non-deterministic, as asked
    else:
        generator.manual_seed(request.seed)
    return generator


def choose_token(logits: Any, row: DecodeRow, new: Sequence[int], generator: Any) -> int:
    """One row's next token from its float32 logits, as `generate` with `RowProcessor` chooses it: the
    repetition penalty over the prompt and `new`, then the seeded draw (sampling) or the argmax (greedy)."""
    import torch

    request = row.request
    if request.repetition_penalty != 1.0:
        logits = logits.clone()
        seen = torch.tensor([*row.prompt, *new], dtype=torch.long, device=logits.device)
        penalise(logits, seen, request.repetition_penalty)
    if generator is not None:
        return sample_token(logits, request, generator)
    return int(logits.argmax())


def sample_token(logits: Any, request: GenerationRequest, generator: Any) -> int:
    """Temperature, then top-k, then top-p (nucleus: the smallest set of tokens whose probability reaches
    `top_p`), then one draw from `generator`."""
    import torch

    logits = logits.float() / request.temperature
    if 0 < request.top_k < logits.shape[-1]:
        kth = torch.topk(logits, request.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if request.top_p < 1.0:
        ordered, index = torch.sort(logits, descending=True)
        probs = torch.softmax(ordered, dim=-1)
        drop = probs.cumsum(-1) - probs >= request.top_p  # tokens after the nucleus is complete
        logits = logits.index_fill(0, index[drop], float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


def decode_rows(
    lm: LocalModel, rows: Sequence[DecodeRow], pad_token_id: int, stats: EngineStats | None = None
) -> list[Generation]:
    """Generate for `rows` in one `model.generate` call (left-padded with `pad_token_id`, attention mask)."""
    import torch
    from transformers import LogitsProcessorList, StoppingCriteriaList

    width = max(len(r.prompt) for r in rows)
    ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, spec in enumerate(rows):
        n = len(spec.prompt)
        ids[row, width - n :] = torch.tensor(spec.prompt)
        mask[row, width - n :] = 1
    device = lm.device
    criterion = RowStops(lm.tokenizer, width, rows)
    kwargs: dict[str, Any] = {}
    if RowProcessor.needed(rows):
        processor = RowProcessor(rows, [width - len(r.prompt) for r in rows], device)
        kwargs["logits_processor"] = LogitsProcessorList([processor])
    with torch.inference_mode():
        out = lm.model.generate(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            max_new_tokens=max(r.request.max_new_tokens for r in rows),
            do_sample=False,
            stopping_criteria=StoppingCriteriaList([criterion]),
            pad_token_id=pad_token_id,
            **kwargs,
        )
    new = out[:, width:].tolist()
    eos = lm.eos_token_ids()
    generations = [finish_row(lm.tokenizer, new[row], criterion.ends[row], eos, spec) for row, spec in enumerate(rows)]
    if stats is not None:
        steps = max(out.shape[1] - width - 1, 0)  # the last new token is never fed back
        real = sum(len(r.prompt) for r in rows)
        stats.add(
            forward_passes=1 + steps,
            fed_tokens=len(rows) * (width + steps),
            padding_tokens=len(rows) * width - real,
            generated_tokens=sum(g.new_tokens or 0 for g in generations),
        )
    return generations


def finish_row(tokenizer: Any, new: Sequence[int], end: int | None, eos: set[int], row: DecodeRow) -> Generation:
    """Keep the tokens up to the row's stop (its stop string, EOS or budget); decode and cut at stop strings."""
    eos_at = next((i + 1 for i, token in enumerate(new) if token in eos), None)
    ends = [e for e in (end, eos_at, row.request.max_new_tokens) if e is not None]
    kept = list(new[: min(ends)])
    text = tokenizer.decode(kept, skip_special_tokens=True)
    cut = text
    for stop in row.request.stop:
        cut = cut.split(stop)[0]
    if cut != text:
        reason = "stop"
    elif eos_at is not None and eos_at <= len(kept):
        reason = "eos"
    else:
        reason = "length"
    meta = {"prompt_tokens": len(row.prompt), "truncated": row.truncated}
    return Generation(
        text=cut,
        new_tokens=len(kept),
        finish_reason=reason,  # type: ignore[arg-type]
        meta=meta,
        token_ids=tuple(kept),
    )
