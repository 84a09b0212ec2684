"""The reference path: straightforward per-request scoring, one request at a time, no padding.

Each multiple-choice request runs its own forward pass over `(ctx + cont)[-(max_length + 1):][:-1]`;
each JSQuAD document is generated alone. Slow, simple and obviously right: the fast engine
(`stxlib.jglue.engine`) is tested against it.
"""

from __future__ import annotations

from collections.abc import Sequence

from stxlib.jglue.lm import EvalLM
from stxlib.jglue.scoring import (
    ChoiceItem,
    Progress,
    finish_generation,
    generation_prompt,
    greedy_generate,
    loglikelihood_window,
)


def request_loglikelihood(lm: EvalLM, context: Sequence[int], continuation: Sequence[int]) -> float:
    """Sum of the log-softmax (float32) of the continuation tokens after the context."""
    import torch

    window = loglikelihood_window(context, continuation, lm.max_length)
    input_ids = torch.tensor([window], dtype=torch.long, device=lm.device)
    with torch.inference_mode():
        logits = lm.model(input_ids=input_ids).logits[0].float()
    n = len(continuation)
    logprobs = torch.log_softmax(logits[len(window) - n : len(window)], dim=-1)
    targets = torch.tensor(continuation, dtype=torch.long, device=logprobs.device)
    return float(logprobs.gather(1, targets[:, None]).sum())


def generate_one(lm: EvalLM, context: Sequence[int]) -> str:
    import torch

    prompt = generation_prompt(context, lm)
    input_ids = torch.tensor([prompt], dtype=torch.long, device=lm.device)
    with torch.inference_mode():
        new = greedy_generate(lm, input_ids, torch.ones_like(input_ids))
    return finish_generation(lm, new[0].tolist())


class ReferenceScorer:
    """Per-request scoring: one forward pass per choice, one `generate` per document."""

    name = "reference"

    def loglikelihoods(self, lm: EvalLM, items: Sequence[ChoiceItem], progress: Progress) -> list[list[float]]:
        results = []
        for item in items:
            results.append([request_loglikelihood(lm, item.context, cont) for cont in item.continuations])
            progress(1)
        return results

    def generate(self, lm: EvalLM, contexts: Sequence[Sequence[int]], progress: Progress) -> list[str]:
        results = []
        for context in contexts:
            results.append(generate_one(lm, context))
            progress(1)
        return results
