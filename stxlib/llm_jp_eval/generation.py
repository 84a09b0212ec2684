"""Generation as llm-jp-eval 1.1 did it, on the engine's local backend.

1.1 generated through langchain's `HuggingFacePipeline` around the transformers text-generation pipeline, which
returned `prompt + decode(prompt + new)[len(decode(prompt)):]` (both decoded with `skip_special_tokens=True` and
`clean_up_tokenization_spaces=True`); langchain then cut off the prompt. So 1.1's output is the new tokens decoded
**in the context of the prompt**, with transformers 4's tokenization-space clean-up. That differs from decoding
the new tokens alone (the engine's `Generation.text`) when the first new token starts with a SentencePiece `▁`
(a leading space that the decoder strips at the start of a text only) or when the clean-up applies (`" ,"` →
`","`, `" ."` → `"."`, ...; transformers 5 skips it for BPE tokenizers unless forced, 4.x always ran it).

`decoding: pipeline` (default) reproduces 1.1's text from the engine's token ids; `new_tokens` is the engine's
text. A backend that returns text only (no token ids) gets its text used as it is, and the run says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from stxlib.engine import Backend, Generation, GenerationRequest, LocalBackend, LocalModelSpec

Decoding = Literal["pipeline", "new_tokens"]
DECODINGS: tuple[str, ...] = ("pipeline", "new_tokens")
STOP = ("\n",)  # only the first line is scored (see docs/llm_jp_eval.md: stopping there never changes `pred`)


def open_local_backend(spec: LocalModelSpec, batch_size: int) -> LocalBackend:
    """The engine's local Hugging Face backend for `spec` (model, adapter unmerged, tokenizer, revision, dtype,
    4-bit, trust_remote_code), batched `batch_size` prompts per `generate` call."""
    return LocalBackend.load(spec, batch_size=batch_size)


def pipeline_decode(tokenizer: Any, ids: Sequence[int]) -> str:
    """`decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=True)` as transformers 4 did it
    (the clean-up applied whatever the tokenizer type)."""
    text = tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return tokenizer.clean_up_tokenization(text)


def pipeline_text(tokenizer: Any, prompt_ids: Sequence[int], new_ids: Sequence[int]) -> str:
    """The text 1.1's pipeline returned for these new tokens: the full sequence decoded, minus as many
    characters as the decoded prompt has."""
    full = pipeline_decode(tokenizer, [*prompt_ids, *new_ids])
    return full[len(pipeline_decode(tokenizer, prompt_ids)) :]


def output_texts(
    backend: Backend, requests: Sequence[GenerationRequest], generations: Sequence[Generation], decoding: Decoding
) -> tuple[list[str], str]:
    """The text of each generation under `decoding`, and the decoding actually used (`pipeline` needs a
    backend with a tokenizer that returns token ids; otherwise `text-only backend`)."""
    if decoding == "new_tokens":
        return [g.text for g in generations], "new_tokens"
    tokenizer = getattr(backend, "tokenizer", None)
    prompt_ids = getattr(backend, "prompt_ids", None)
    if tokenizer is None or prompt_ids is None or any(g.token_ids is None for g in generations):
        return [g.text for g in generations], "text-only backend"
    texts = []
    for request, generation in zip(requests, generations, strict=True):
        ids = prompt_ids(request)
        kept = generation.meta.get("prompt_tokens", len(ids))  # the window the model saw (left truncation)
        assert generation.token_ids is not None
        texts.append(pipeline_text(tokenizer, ids[len(ids) - kept :], generation.token_ids))
    return texts, "pipeline"
