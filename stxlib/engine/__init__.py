"""Generation and scoring shared by every evaluation suite (JGLUE, llm-jp-eval, MT-Bench answers and judging).

A backend turns requests into outputs: `generate` for text (batched, with per-request stops, token budgets
and sampling), `loglikelihoods` for multiple choice (local models only). See docs/architecture.md.
"""

from stxlib.engine.requests import Backend, ChoiceItem, Generation, GenerationRequest, Message, Progress

__all__ = ["Backend", "ChoiceItem", "Generation", "GenerationRequest", "Message", "Progress"]
