"""Generation and scoring shared by every evaluation suite (JGLUE, llm-jp-eval, MT-Bench answers and judging).

A backend turns requests into outputs: `generate` for text (batched, with per-request stops, token budgets
and sampling), `loglikelihoods` for multiple choice (local models only). The local Hugging Face backend:

    spec = LocalModelSpec.from_ref(ref, config.model, dtype="auto", run_root=paths.root, key="x.models.0")
    backend = LocalBackend.load(spec, batch_size=8)           # or LocalBackend(load_local_model(spec), ...)
    with progress_bar(len(requests), "answers") as bar:
        generations = backend.generate(requests, bar.update)  # one Generation per request, in order
    backend.close()

See docs/architecture.md and docs/evaluation.md.
"""

from stxlib.engine.loading import LocalModel, LocalModelSpec, load_local_model
from stxlib.engine.local import MODES, LocalBackend
from stxlib.engine.progress import progress_bar
from stxlib.engine.requests import (
    Backend,
    ChoiceItem,
    FinishReason,
    Generation,
    GenerationRequest,
    Message,
    Progress,
    ScoringBackend,
)
from stxlib.engine.windows import context_length, generation_window, is_truncated, loglikelihood_window

__all__ = [
    "MODES",
    "Backend",
    "ChoiceItem",
    "FinishReason",
    "Generation",
    "GenerationRequest",
    "LocalBackend",
    "LocalModel",
    "LocalModelSpec",
    "Message",
    "Progress",
    "ScoringBackend",
    "context_length",
    "generation_window",
    "is_truncated",
    "load_local_model",
    "loglikelihood_window",
    "progress_bar",
]
