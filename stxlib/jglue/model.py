"""The model under evaluation as jp-stable's `hf-causal-experimental` wrapper saw it, on the shared engine.

Encoding is `tokenizer.encode(s, add_special_tokens=False)` (no BOS); `max_length` is the config's
`n_positions`, else `max_position_embeddings`, else `n_ctx`, else the tokenizer's `model_max_length`, else
2048 (`eval.max_length` overrides it); padding uses the EOS id, as the reference set `pad_token = eos_token`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.config.evaluation import EvalSection
from stxlib.engine import LocalBackend, LocalModelSpec, context_length, load_local_model
from stxlib.jglue.tasks import MAX_NEW_TOKENS
from stxlib.modeling import ModelLoadError

JP_STABLE_LENGTH_ATTRIBUTES = ("n_positions", "max_position_embeddings", "n_ctx")


@dataclass(frozen=True)
class ModelSpec:
    """One model to evaluate: its label (the `eval/<label>/` folder), what to load, the context override."""

    label: str
    local: LocalModelSpec
    max_length: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, **self.local.to_dict(), "max_length": self.max_length}


def model_specs(config: StxConfig, run_root: Path | None) -> list[ModelSpec]:
    """One spec per `eval.models` entry; `adapter: best` (or a training stage's name) must exist in the run."""
    return [
        ModelSpec(
            label=entry.label,
            local=LocalModelSpec.from_ref(
                entry, config.model, dtype=config.eval.dtype, run_root=run_root, key=f"eval.models.{index}"
            ),
            max_length=config.eval.max_length,
        )
        for index, entry in enumerate(config.eval.models)
    ]


def jp_stable_max_length(config: Any, tokenizer: Any) -> int:
    """The context length jp-stable used: `n_positions`, `max_position_embeddings`, `n_ctx`, tokenizer, 2048."""
    return context_length(config, tokenizer, attributes=JP_STABLE_LENGTH_ATTRIBUTES)


def open_backend(spec: ModelSpec, section: EvalSection) -> LocalBackend:
    """Load the model and wrap it as the engine's local backend with jp-stable's window and `eval` batching."""
    lm = load_local_model(spec.local)
    if lm.tokenizer.eos_token_id is None:
        raise ModelLoadError("the tokenizer has no EOS token; JSQuAD generation stops at EOS and pads with it")
    length = spec.max_length or jp_stable_max_length(lm.model.config, lm.tokenizer)
    if length <= MAX_NEW_TOKENS:
        raise ModelLoadError(f"max_length {length} leaves no room for a prompt before {MAX_NEW_TOKENS} new tokens")
    lm.info["max_length"] = length
    lm.info["max_length_source"] = "eval.max_length" if spec.max_length else "model config"
    return LocalBackend(
        lm, max_length=length, batch_size=section.batch_size, mode=section.engine, share_prefix=section.share_prefix
    )
