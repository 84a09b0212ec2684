"""The model under evaluation as jp-stable's `hf-causal-experimental` wrapper saw it.

Encoding is `tokenizer.encode(s, add_special_tokens=False)` (no BOS); `max_length` is the config's
`n_positions`, else `max_position_embeddings`, else `n_ctx`, else the tokenizer's `model_max_length`, else
2048; padding (engine only) uses the EOS id, as the reference set `pad_token = eos_token`. The saved
tokenizer is never modified.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from stxlib.config.model import QuantizationSection
from stxlib.jglue.tasks import MAX_NEW_TOKENS
from stxlib.modeling import ModelLoadError, apply_adapter, check_adapter_dir, check_model_path, load_causal_lm
from stxlib.tiny_model import resolve_model_path

DEFAULT_MAX_LENGTH = 2048
_HUGE_MODEL_MAX_LENGTH = 1_000_000_000_000_000_019_884_624_838_656  # transformers' "no limit" sentinel


@dataclass
class EvalLM:
    """A loaded causal LM, its tokenizer and the settings the scorers need."""

    model: Any
    tokenizer: Any
    max_length: int
    max_new_tokens: int = MAX_NEW_TOKENS
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tokenizer.eos_token_id is None:
            raise ModelLoadError("the tokenizer has no EOS token; JSQuAD generation stops at EOS and pads with it")
        if self.max_length <= self.max_new_tokens:
            raise ModelLoadError(
                f"max_length {self.max_length} leaves no room for a prompt before {self.max_new_tokens} new tokens"
            )
        self._encode = lru_cache(maxsize=65536)(self._encode_uncached)

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    @property
    def eos_token_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def eos_token(self) -> str:
        return str(self.tokenizer.eos_token)

    @property
    def pad_token_id(self) -> int:
        """Padding id inside the engine: EOS (the reference harness set `pad_token = eos_token`)."""
        return self.eos_token_id

    @property
    def hidden_dtype(self) -> Any:
        return self.model.get_input_embeddings().weight.dtype

    def encode(self, text: str) -> list[int]:
        """`tokenizer.encode(text, add_special_tokens=False)`: no BOS, no EOS."""
        return list(self._encode(text))

    def _encode_uncached(self, text: str) -> tuple[int, ...]:
        return tuple(self.tokenizer.encode(text, add_special_tokens=False))

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def close(self) -> None:
        """Drop the model and free accelerator memory."""
        import torch

        self.model = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def model_max_length(config: Any, tokenizer: Any | None = None) -> int:
    """The context length jp-stable used: `n_positions`, `max_position_embeddings`, `n_ctx`, tokenizer, 2048."""
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < _HUGE_MODEL_MAX_LENGTH:
        return limit
    return DEFAULT_MAX_LENGTH


def load_tokenizer_for(path: str, revision: str | None = None, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(
            path, use_fast=True, revision=revision, trust_remote_code=trust_remote_code
        )
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(
            f"cannot load the tokenizer of {path!r}: {first} Without hub access, give a local folder (or stx-tiny)."
        ) from None


def check_model_paths(model: str, adapter: str | Path | None = None) -> tuple[str, Path | None]:
    """Resolve `model` (stx-tiny -> its folder) and fail early when a local model or adapter folder is missing."""
    return check_model_path(model), check_adapter_dir(adapter) if adapter is not None else None


def load_eval_lm(
    model: str,
    *,
    adapter: str | Path | None = None,
    dtype: str = "auto",
    quantization: QuantizationSection | None = None,
    tokenizer: str | None = None,
    revision: str | None = None,
    max_length: int | None = None,
    trust_remote_code: bool = False,
) -> EvalLM:
    """Load `model` (hub id, local folder or `stx-tiny`), optionally 4-bit, with a PEFT adapter applied unmerged.

    The tokenizer is `tokenizer`, else the adapter folder's when it holds one (training may add a pad token),
    else the model's. When that tokenizer is longer than the embedding matrix, the embeddings are resized
    before the adapter is applied, as training did.
    """
    path, adapter_dir = check_model_paths(model, adapter)
    tok_source = tokenizer or (
        str(adapter_dir) if adapter_dir is not None and (adapter_dir / "tokenizer_config.json").is_file() else path
    )
    tok = load_tokenizer_for(
        resolve_model_path(tok_source), revision if tok_source == path else None, trust_remote_code
    )
    lm = load_causal_lm(
        path, dtype=dtype, quantization=quantization, revision=revision, trust_remote_code=trust_remote_code
    )
    if adapter_dir is not None:
        rows = lm.get_input_embeddings().weight.shape[0]
        if len(tok) > rows:
            lm.resize_token_embeddings(len(tok))
        lm = apply_adapter(lm, adapter_dir)
    lm.eval()
    length = max_length or model_max_length(lm.config, tok)
    info = {
        "model": model,
        "model_path": path,
        "adapter": str(adapter_dir) if adapter_dir is not None else None,
        "tokenizer": tok_source,
        "dtype": dtype,
        "torch_dtype": str(lm.get_input_embeddings().weight.dtype).removeprefix("torch."),
        "load_in_4bit": bool(quantization is not None and quantization.load_in_4bit),
        "max_length": length,
        "max_length_source": "eval.max_length" if max_length else "model config",
    }
    return EvalLM(lm, tok, length, info=info)
