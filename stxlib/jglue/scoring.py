"""What both scorers share: the request items, truncation rules, stop strings and output clean-up.

`specs/jglue-0.3.md` §5–6: a multiple-choice request scores `cont` after `ctx` on the input
`(ctx + cont)[-(max_length + 1):][:-1]`; generation keeps the last `max_length - 256` prompt tokens, stops at
"\\n" or EOS, decodes the new tokens with `skip_special_tokens=True` and cuts at the first stop string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from stxlib.jglue.lm import EvalLM
from stxlib.jglue.tasks import JSQUAD_STOP

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ChoiceItem:
    """One multiple-choice document: the context ids and one continuation per choice."""

    context: tuple[int, ...]
    continuations: tuple[tuple[int, ...], ...]


class Scorer(Protocol):
    """A way of running the model over a task's requests (`reference` or the fast `engine`)."""

    name: str

    def loglikelihoods(self, lm: EvalLM, items: Sequence[ChoiceItem], progress: Progress) -> list[list[float]]:
        """Summed continuation log-likelihood of every choice of every item."""
        ...

    def generate(self, lm: EvalLM, contexts: Sequence[Sequence[int]], progress: Progress) -> list[str]:
        """Greedy continuation of every context, cut at the first stop string."""
        ...


def loglikelihood_window(context: Sequence[int], continuation: Sequence[int], max_length: int) -> list[int]:
    """The model input of one request: `(ctx + cont)[-(max_length + 1):][:-1]` (left truncation)."""
    if not context:
        raise ValueError("empty context: every JGLUE prompt has a non-empty context")
    if not continuation:
        raise ValueError("empty continuation: a choice must encode to at least one token")
    if len(continuation) > max_length:
        raise ValueError(f"a choice of {len(continuation)} tokens does not fit in max_length {max_length}")
    return (list(context) + list(continuation))[-(max_length + 1) :][:-1]


def is_truncated(context: Sequence[int], continuation: Sequence[int], max_length: int) -> bool:
    return len(context) + len(continuation) > max_length + 1


def generation_prompt(context: Sequence[int], lm: EvalLM) -> list[int]:
    """The last `max_length - max_new_tokens` context tokens (room for the generated answer)."""
    return list(context)[-(lm.max_length - lm.max_new_tokens) :]


def stop_strings(lm: EvalLM) -> list[str]:
    """`["\\n", eos_token]`: the task's `until` plus the tokenizer's EOS string."""
    return [*JSQUAD_STOP, lm.eos_token]


def finish_generation(lm: EvalLM, new_ids: Sequence[int]) -> str:
    """Decode with `skip_special_tokens=True`, then cut at the first occurrence of each stop string."""
    text = lm.decode(list(new_ids))
    for stop in stop_strings(lm):
        text = text.split(stop)[0]
    return text


class StopOnStrings:
    """Per-row stopping criterion: a row is done once its newest tokens decode to text holding a stop string.

    Decoding a short window of the newest tokens is enough: the output is cut at the first stop string
    afterwards, so stopping one token later than necessary never changes it, and "\\n" is a single byte.
    """

    WINDOW = 3

    def __init__(self, lm: EvalLM, prompt_length: int, batch_size: int) -> None:
        self.tokenizer = lm.tokenizer
        self.stops = stop_strings(lm)
        self.prompt_length = prompt_length
        self.done = [False] * batch_size

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        generated = input_ids[:, self.prompt_length :]
        if generated.shape[1]:
            window = generated[:, -self.WINDOW :].tolist()
            for row, ids in enumerate(window):
                if not self.done[row]:
                    text = self.tokenizer.decode(ids, skip_special_tokens=False)
                    self.done[row] = any(stop in text for stop in self.stops)
        return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)


def greedy_generate(lm: EvalLM, input_ids: Any, attention_mask: Any) -> Any:
    """`model.generate` greedily up to `max_new_tokens` with per-row stop strings; returns the new tokens."""
    from transformers import StoppingCriteriaList

    prompt_length = input_ids.shape[1]
    criteria = StoppingCriteriaList([StopOnStrings(lm, prompt_length, input_ids.shape[0])])
    out = lm.model.generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        max_new_tokens=lm.max_new_tokens,
        do_sample=False,
        stopping_criteria=criteria,
        pad_token_id=lm.pad_token_id,
    )
    return out[:, prompt_length:]
