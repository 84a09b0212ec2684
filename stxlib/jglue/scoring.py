"""One task through the engine: requests from the prompted documents, then samples and metrics.

`specs/jglue-0.3.md` §5–6: a multiple-choice document is one `ChoiceItem` (context and each choice encoded
separately, no BOS); a JSQuAD document is one greedy `GenerationRequest` of 256 new tokens stopping at "\\n"
or the EOS string, on the context's ids (the backend keeps the last `max_length - 256` of them).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from stxlib.engine import ChoiceItem, GenerationRequest, LocalBackend, is_truncated, progress_bar
from stxlib.engine.sharded import shard_backend
from stxlib.jglue.inputs import TaskInputs
from stxlib.jglue.metrics import aggregate_multiple_choice, choice_scores, jsquad_corpus, jsquad_scores
from stxlib.jglue.prompts import PromptedDoc
from stxlib.jglue.tasks import JSQUAD_STOP, MAX_NEW_TOKENS, get_task


def jsquad_request(backend: LocalBackend, doc: PromptedDoc) -> GenerationRequest:
    """Greedy, 256 new tokens, stop at `"\\n"` or the tokenizer's EOS string (jp-stable's `until` + EOS)."""
    return GenerationRequest(
        prompt_ids=tuple(backend.encode(doc.context)),
        max_new_tokens=MAX_NEW_TOKENS,
        stop=(*JSQUAD_STOP, str(backend.tokenizer.eos_token)),
    )


def choice_item(backend: LocalBackend, doc: PromptedDoc) -> ChoiceItem:
    return ChoiceItem(tuple(backend.encode(doc.context)), tuple(tuple(backend.encode(c)) for c in doc.choices))


def score_task(backend: LocalBackend, inputs: TaskInputs, *, label: str = "") -> tuple[dict, list[dict], dict]:
    """Run the model over a task: (metrics, samples in doc_id order, run detail); under torchrun each rank
    scores its shard of the documents and every rank gets all of them back."""
    backend = shard_backend(backend)
    docs = inputs.docs
    spec = get_task(inputs.task)
    before = backend.stats.snapshot()
    start = time.perf_counter()
    with progress_bar(len(docs), f"{label + ' ' if label else ''}{spec.short}") as bar:
        if spec.is_generation:
            generations = backend.generate([jsquad_request(backend, d) for d in docs], bar.update)
            truncated = sum(bool(g.meta.get("truncated")) for g in generations)
            metrics, samples = generation_results(docs, [g.text for g in generations])
        else:
            items = [choice_item(backend, d) for d in docs]
            truncated = sum(is_truncated(i.context, c, backend.max_length) for i in items for c in i.continuations)
            metrics, samples = choice_results(docs, backend.loglikelihoods(items, bar.update))
    seconds = time.perf_counter() - start
    detail = {
        "seconds": round(seconds, 3),
        "docs_per_second": round(len(docs) / seconds, 3) if seconds > 0 else None,
        "truncated_requests": int(truncated),
        "engine": backend.stats.since(before),
    }
    if spec.is_generation:
        detail["decoder"] = backend.last_decoder
    return metrics, sorted(samples, key=lambda s: s["doc_id"]), detail


def generation_results(docs: Sequence[PromptedDoc], predictions: Sequence[str]) -> tuple[dict, list[dict[str, Any]]]:
    golds = [list(d.gold) for d in docs]  # type: ignore[arg-type]
    samples = []
    for doc, prediction, gold in zip(docs, predictions, golds, strict=True):
        em, f1 = jsquad_scores(prediction, gold)
        samples.append(
            {
                "doc_id": doc.doc_id,
                "position": doc.position,
                "prompt": doc.context,
                "prediction": prediction,
                "gold": gold,
                "exact_match": 100 * em,
                "f1": 100.0 * f1,
            }
        )
    return jsquad_corpus(predictions, golds), samples


def choice_results(docs: Sequence[PromptedDoc], lls: Sequence[Sequence[float]]) -> tuple[dict, list[dict[str, Any]]]:
    samples = []
    for doc, doc_lls in zip(docs, lls, strict=True):
        gold = int(doc.gold)  # type: ignore[arg-type]
        scores = choice_scores(doc_lls, doc.choices, gold)
        samples.append(
            {
                "doc_id": doc.doc_id,
                "position": doc.position,
                "prompt": doc.context,
                "choices": list(doc.choices),
                "loglikelihoods": [float(x) for x in doc_lls],
                "prediction": scores["prediction"],
                "gold": gold,
                "acc": scores["acc"],
                "acc_norm": scores["acc_norm"],
            }
        )
    metrics = aggregate_multiple_choice([s["acc"] for s in samples], [s["acc_norm"] for s in samples])
    return metrics, samples
