"""`LocalBackend`: a local Hugging Face model behind the engine's interface (`generate`, `loglikelihoods`).

Two modes give the same outputs (tested): `fast` batches requests (generation: the engine's own decode loop
with continuous batching in `batch_size` slots, `stxlib.engine.continuous`, or, for models it does not
cover, `model.generate` on length-sorted batches of `batch_size`; log-likelihoods: shared-context packing,
`stxlib.engine.loglikelihood`), `reference` runs every request alone through `model.generate` or one plain
forward pass, which is what the fast mode is tested against. Padding uses the EOS id (jp-stable's
`pad_token = eos_token`); padded positions are masked, so the pad id never changes a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from stxlib.engine.continuous import slot_decoding_unsupported, slot_generate
from stxlib.engine.decoding import DecodeRow, decode_rows
from stxlib.engine.loading import LocalModel, LocalModelSpec, load_local_model
from stxlib.engine.loglikelihood import (
    CPU_MAX_BATCH_TOKENS,
    DEFAULT_MAX_BATCH_TOKENS,
    packed_loglikelihoods,
    request_loglikelihood,
)
from stxlib.engine.lookup import MAX_DRAFT
from stxlib.engine.requests import ChoiceItem, Generation, GenerationRequest, Message, Progress
from stxlib.engine.stats import EngineStats
from stxlib.engine.windows import context_length, generation_window, loglikelihood_window

Mode = Literal["fast", "reference"]
MODES: tuple[str, ...] = ("fast", "reference")


def _no_progress(n: int) -> None:
    pass


def default_batch_tokens(device: object) -> int:
    """Padded tokens per packed log-likelihood batch: a GPU fills up with many documents; a CPU's matrix
    products are already efficient on one ~500-token document and slow down once a batch's activations
    leave its caches (measured: JCommonsenseQA on the 28M benchmark model, 2,048 ~10% faster than 16,384)."""
    return DEFAULT_MAX_BATCH_TOKENS if getattr(device, "type", "cpu") == "cuda" else CPU_MAX_BATCH_TOKENS


class LocalBackend:
    """Generation and log-likelihoods on a loaded `LocalModel`.

    `max_length`: the context window used for left truncation (default: the model config's
    `max_position_embeddings`, `n_positions` or `n_ctx`, else the tokenizer's limit, else 2048);
    `batch_size`: sequences decoding together (generation) or items per forward batch (log-likelihoods) in
    `fast` mode; `max_batch_tokens`: padded tokens per log-likelihood batch (default: `default_batch_tokens`);
    `slot_decoding`: generation through the engine's own decode loop where the model allows it (else
    `model.generate`); `share_prefix`: compute the prefix common to a call's prompts once; `draft_tokens`:
    prompt-lookup draft tokens per greedy row and decode step (0: none). `last_decoder` says which generation
    path the last `generate` call took; `stats` counts what the model computed.
    """

    name = "local"

    def __init__(
        self,
        lm: LocalModel,
        *,
        max_length: int | None = None,
        batch_size: int = 4,
        mode: Mode = "fast",
        max_batch_tokens: int | None = None,
        slot_decoding: bool = True,
        share_prefix: bool = True,
        draft_tokens: int = MAX_DRAFT,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.lm = lm
        self.max_length = max_length or context_length(lm.model.config, lm.tokenizer)
        self.batch_size = batch_size
        self.mode = mode
        self.max_batch_tokens = max_batch_tokens or default_batch_tokens(lm.device)
        self.slot_decoding = slot_decoding
        self.share_prefix = share_prefix
        self.draft_tokens = draft_tokens
        self.last_decoder: str | None = None
        self.stats = EngineStats()
        eos = lm.tokenizer.eos_token_id
        self.pad_token_id = int(eos if eos is not None else (lm.tokenizer.pad_token_id or 0))
        self._encode = lru_cache(maxsize=65536)(self._encode_uncached)

    @classmethod
    def load(cls, spec: LocalModelSpec, **settings: object) -> LocalBackend:
        """Load `spec` and wrap it (`settings`: the keyword arguments of the constructor)."""
        return cls(load_local_model(spec), **settings)  # type: ignore[arg-type]

    @property
    def tokenizer(self) -> Any:
        return self.lm.tokenizer

    @property
    def info(self) -> dict[str, Any]:
        return self.lm.info

    def close(self) -> None:
        self.lm.close()

    # ------------------------------------------------------------ text and ids

    def encode(self, text: str, *, add_special_tokens: bool = False) -> list[int]:
        """`tokenizer.encode(text, add_special_tokens=...)` (cached): no BOS/EOS unless asked."""
        return list(self._encode(text, add_special_tokens))

    def _encode_uncached(self, text: str, add_special_tokens: bool) -> tuple[int, ...]:
        return tuple(self.lm.tokenizer.encode(text, add_special_tokens=add_special_tokens))

    def decode(self, ids: Sequence[int]) -> str:
        return self.lm.tokenizer.decode(list(ids), skip_special_tokens=True)

    def render_chat(self, messages: Sequence[Message], chat_template: str | None = None) -> str:
        """The chat as the model sees it: its chat template (or `chat_template`) with the generation prompt."""
        template = chat_template or getattr(self.lm.tokenizer, "chat_template", None)
        if not template:
            raise ValueError(
                f"the tokenizer of {self.lm.info.get('model')!r} has no chat template; give one with the "
                "request (GenerationRequest.chat_template) or use a chat model's tokenizer"
            )
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return self.lm.tokenizer.apply_chat_template(
            chat, chat_template=template, add_generation_prompt=True, tokenize=False
        )

    def prompt_ids(self, request: GenerationRequest) -> list[int]:
        """The request's prompt as token ids, before truncation."""
        if request.prompt_ids is not None:
            return list(request.prompt_ids)
        if request.prompt is not None:
            return self.encode(request.prompt, add_special_tokens=request.add_special_tokens)
        assert request.messages is not None
        return self.encode(self.render_chat(request.messages, request.chat_template))

    def decode_row(self, request: GenerationRequest) -> DecodeRow:
        ids = self.prompt_ids(request)
        window = generation_window(ids, self.max_length, request.max_new_tokens)
        return DecodeRow(tuple(window), request, truncated=len(window) < len(ids))

    # ------------------------------------------------------------ the engine's interface

    def generate(self, requests: Sequence[GenerationRequest], progress: Progress | None = None) -> list[Generation]:
        """One Generation per request, in request order; `progress` counts finished requests."""
        progress = progress or _no_progress
        rows = [self.decode_row(r) for r in requests]
        if not rows:
            return []
        if self.mode == "fast" and self.slot_decoding:
            reason = slot_decoding_unsupported(self.lm, rows)
            if reason is None:
                self.last_decoder = "slots"
                return slot_generate(
                    self.lm,
                    rows,
                    slots=self.batch_size,
                    progress=progress,
                    share_prefix=self.share_prefix,
                    draft_tokens=self.draft_tokens,
                    stats=self.stats,
                )
            self.last_decoder = f"generate ({reason})"
        else:
            self.last_decoder = "generate"
        results: list[Generation | None] = [None] * len(rows)
        for batch in self.generation_batches(rows):
            generations = decode_rows(self.lm, [rows[i] for i in batch], self.pad_token_id, self.stats)
            for index, generation in zip(batch, generations, strict=True):
                results[index] = generation
            progress(len(batch))
        return results  # type: ignore[return-value]

    def generation_batches(self, rows: Sequence[DecodeRow]) -> list[list[int]]:
        """Request indices per `generate` call: sorted by prompt length (as jp-stable), `batch_size` each;
        one per call in `reference` mode."""
        if self.mode == "reference":
            return [[i] for i in range(len(rows))]
        order = sorted(range(len(rows)), key=lambda i: (len(rows[i].prompt), i))
        return [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

    def loglikelihoods(self, items: Sequence[ChoiceItem], progress: Progress | None = None) -> list[list[float]]:
        """Per item, the summed log-probability of each continuation; `progress` counts finished items."""
        progress = progress or _no_progress
        if self.mode == "fast":
            return packed_loglikelihoods(
                self.lm,
                items,
                max_length=self.max_length,
                batch_size=self.batch_size,
                pad_token_id=self.pad_token_id,
                progress=progress,
                max_batch_tokens=self.max_batch_tokens,
                share_prefix=self.share_prefix,
                stats=self.stats,
            )
        results = []
        for item in items:
            results.append(
                [request_loglikelihood(self.lm, item.context, c, self.max_length) for c in item.continuations]
            )
            fed = sum(len(loglikelihood_window(item.context, c, self.max_length)) for c in item.continuations)
            self.stats.add(forward_passes=len(item.continuations), fed_tokens=fed)
            progress(1)
        return results
