"""The fast engine: the same numbers as the reference path with far fewer forward passes.

Multiple choice: each document's context runs once, packed with all of its choices into one sequence
`ctx + choice0[:-1] + choice1[:-1] + ...`. A 4D attention mask lets every choice see the context and its
own earlier tokens only, and position ids restart after the context for every choice, so each choice is
scored exactly as if it followed the context alone. Several documents go into one forward pass (sorted
by packed length, longest first, right-padded), and only the positions that predict choice tokens are
projected onto the vocabulary. A choice whose request would be left-truncated (context + choice longer
than `max_length + 1`) gets its own unit with its own truncated window, as in the reference.

Generation: documents sorted by prompt length (ascending, as jp-stable did), batched, left-padded with
EOS and an attention mask, greedy `generate` where each row stops at its own "\\n"/EOS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stxlib.jglue.lm import EvalLM
from stxlib.jglue.scoring import (
    ChoiceItem,
    Progress,
    finish_generation,
    generation_prompt,
    greedy_generate,
    is_truncated,
    loglikelihood_window,
)

DEFAULT_MAX_BATCH_TOKENS = 16384


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
    """One unit per document for the choices that fit; one unit per choice whose request is truncated."""
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


class FastEngine:
    """Shared-context multiple-choice scoring and batched greedy generation."""

    name = "fast"

    def __init__(self, batch_size: int = 4, max_batch_tokens: int = DEFAULT_MAX_BATCH_TOKENS) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens

    # ------------------------------------------------------------ multiple choice

    def loglikelihoods(self, lm: EvalLM, items: Sequence[ChoiceItem], progress: Progress) -> list[list[float]]:
        results: list[list[float | None]] = [[None] * len(item.continuations) for item in items]
        remaining = [len(item.continuations) for item in items]
        for batch in batch_units(plan_units(items, lm.max_length), self.batch_size, self.max_batch_tokens):
            scores = self._score_batch(lm, batch)
            finished = 0
            for unit, unit_scores in zip(batch, scores, strict=True):
                for j, value in zip(unit.choice_ids, unit_scores, strict=True):
                    results[unit.item][j] = value
                remaining[unit.item] -= len(unit.choice_ids)
                finished += remaining[unit.item] == 0
            if finished:
                progress(finished)
        return [[float(v) for v in row] for row in results]  # type: ignore[arg-type]

    def _score_batch(self, lm: EvalLM, batch: Sequence[PackedUnit]) -> list[list[float]]:
        import torch

        device, dtype = lm.device, lm.hidden_dtype
        width = max(u.length for u in batch)
        ids = torch.full((len(batch), width), lm.pad_token_id, dtype=torch.long)
        positions = torch.zeros((len(batch), width), dtype=torch.long)
        segments = torch.full((len(batch), width), -2, dtype=torch.long)  # -1 prefix, j choice j, -2 padding
        wanted: list[list[int]] = []  # per row: sequence positions whose logits predict choice tokens
        targets: list[list[tuple[int, ...]]] = []  # per row, per choice: (index into wanted, ...) per token
        for row, unit in enumerate(batch):
            p = len(unit.prefix)
            ids[row, :p] = torch.tensor(unit.prefix)
            positions[row, :p] = torch.arange(p)
            segments[row, :p] = -1
            keep = [p - 1]
            per_choice = []
            offset = p
            for j, cont in enumerate(unit.continuations):
                body = cont[:-1]
                if body:
                    ids[row, offset : offset + len(body)] = torch.tensor(body)
                    positions[row, offset : offset + len(body)] = torch.arange(p, p + len(body))
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
        mask = torch.zeros((len(batch), 1, width, width), dtype=dtype)
        mask.masked_fill_(~allowed[:, None], torch.finfo(dtype).min)
        n_keep = max(len(k) for k in wanted)
        keep_index = torch.tensor([k + [k[-1]] * (n_keep - len(k)) for k in wanted], dtype=torch.long)
        with torch.inference_mode():
            logits = lm.model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=positions.to(device),
                logits_to_keep=keep_index.to(device),
            ).logits.float()
        logprobs = torch.log_softmax(logits, dim=-1).cpu()
        out = []
        for row, unit in enumerate(batch):
            row_scores = []
            for cont, slots in zip(unit.continuations, targets[row], strict=True):
                picked = logprobs[row, list(slots), list(cont)]
                row_scores.append(float(picked.sum()))
            out.append(row_scores)
        return out

    # ------------------------------------------------------------ generation

    def generate(self, lm: EvalLM, contexts: Sequence[Sequence[int]], progress: Progress) -> list[str]:
        import torch

        prompts = [generation_prompt(c, lm) for c in contexts]
        order = sorted(range(len(prompts)), key=lambda i: (len(prompts[i]), i))
        results: list[str] = [""] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(prompts[i]) for i in chunk)
            ids = torch.full((len(chunk), width), lm.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):
                n = len(prompts[i])
                ids[row, width - n :] = torch.tensor(prompts[i])
                mask[row, width - n :] = 1
            with torch.inference_mode():
                new = greedy_generate(lm, ids.to(lm.device), mask.to(lm.device)).tolist()
            for row, i in enumerate(chunk):
                results[i] = finish_generation(lm, new[row])
            progress(len(chunk))
        return results
