"""Which local model to load (`LocalModelSpec`) and the loaded model with its tokenizer (`LocalModel`).

A spec is a base model (hub id, local folder or `stx-tiny`), optionally loaded in 4-bit, optionally with a
PEFT adapter applied on top without merging. Evaluation stages build it from a `ModelRef` entry of their
params section (`LocalModelSpec.from_ref`), `stx` commands from their options.
"""

from __future__ import annotations

import gc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stxlib.config.model import ModelSection, QuantizationSection
from stxlib.config.models import ModelRef
from stxlib.modeling import (
    ModelLoadError,
    apply_adapter,
    check_adapter_dir,
    check_model_path,
    is_run_adapter_name,
    load_causal_lm,
    run_adapter_dir,
)
from stxlib.tokenization import load_tokenizer


@dataclass(frozen=True)
class LocalModelSpec:
    """What to load. `tokenizer`: None = the adapter folder's when it holds one (training may add a pad
    token), else the model's. `revision` applies to the model (and to its own tokenizer)."""

    model: str
    adapter: str | None = None
    dtype: str = "auto"
    quantization: QuantizationSection | None = None
    tokenizer: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False

    @classmethod
    def from_ref(
        cls, ref: ModelRef, base: ModelSection, *, dtype: str = "auto", run_root: Path | None = None, key: str = ""
    ) -> LocalModelSpec:
        """The spec of one `ModelRef` entry (`key` names it in errors, e.g. `eval.models.1`).

        `model: null` is the run's base (`base.name_or_path`, with `base.tokenizer` and `base.revision`);
        `adapter: best` or a training stage's name is that stage's `best_adapter` in `run_root`, which must
        exist; `load_in_4bit` uses `base.quantization`'s settings.
        """
        is_base = ref.model is None
        adapter = None
        if is_run_adapter_name(ref.adapter):
            adapter = str(_run_adapter(ref, run_root, key))
        elif ref.adapter is not None:
            adapter = str(Path(ref.adapter).expanduser())
        quantization = None
        if ref.load_in_4bit:
            quantization = base.quantization.model_copy(update={"load_in_4bit": True})
        return cls(
            model=ref.model or base.name_or_path,
            adapter=adapter,
            dtype=dtype,
            quantization=quantization,
            tokenizer=base.tokenizer if is_base else None,
            revision=base.revision if is_base else None,
            trust_remote_code=base.trust_remote_code,
        )

    def check(self) -> None:
        """Fail before any work when a local model folder or the adapter folder does not exist."""
        check_model_path(self.model)
        if self.adapter is not None:
            check_adapter_dir(self.adapter)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for fingerprints and results files; a retrained adapter gives a different dict."""
        data = asdict(self)
        data["quantization"] = self.quantization.model_dump() if self.quantization else None
        data["adapter_fingerprint"] = adapter_fingerprint(self.adapter)
        return data

    def load(self) -> LocalModel:
        return load_local_model(self)


def _run_adapter(ref: ModelRef, run_root: Path | None, key: str) -> Path:
    where = f"{key} ({ref.label!r})" if key else repr(ref.label)
    if run_root is None:
        raise ModelLoadError(f"{where}: adapter {ref.adapter!r} names an adapter of a run; give an adapter folder")
    adapter_dir = run_adapter_dir(ref.adapter, run_root)
    assert adapter_dir is not None
    try:
        check_adapter_dir(adapter_dir)
    except ModelLoadError:
        stage = adapter_dir.parent.name
        listing = key.rsplit(".", 1)[0] if "." in key else "the models list"
        raise ModelLoadError(
            f"{where} uses adapter {ref.adapter!r} = {adapter_dir}, which does not exist yet. Run the {stage} "
            f"stage first (stx run PARAMS --stages {stage}), or list only the base model in {listing} "
            f"(e.g. --set '{listing}=[{{label: base}}]')."
        ) from None
    return adapter_dir


def adapter_fingerprint(adapter: str | Path | None) -> str | None:
    """Size and mtime of the adapter weights (None without an adapter)."""
    if adapter is None:
        return None
    for name in ("adapter_model.safetensors", "adapter_model.bin"):
        path = Path(adapter).expanduser() / name
        if path.is_file():
            stat = path.stat()
            return f"{stat.st_size}:{stat.st_mtime_ns}"
    return None


@dataclass
class LocalModel:
    """A loaded causal LM (in eval mode), its tokenizer and what was loaded (`info`, for results files)."""

    model: Any
    tokenizer: Any
    info: dict[str, Any]

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    @property
    def hidden_dtype(self) -> Any:
        return self.model.get_input_embeddings().weight.dtype

    def eos_token_ids(self) -> set[int]:
        """The tokenizer's EOS id and the generation config's (`generate` stops at any of them)."""
        ids: set[int] = set()
        config_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for value in (self.tokenizer.eos_token_id, config_eos):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, list | tuple):
                ids.update(int(v) for v in value)
        return ids

    def close(self) -> None:
        """Drop the model and free accelerator memory."""
        import torch

        self.model = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def load_local_model(spec: LocalModelSpec) -> LocalModel:
    """Load `spec`: tokenizer, model (4-bit when asked), adapter applied unmerged, eval mode.

    When the tokenizer is longer than the embedding matrix (training added a pad token), the embeddings are
    resized before the adapter is applied, as training did. The saved tokenizer is never modified.
    """
    path = check_model_path(spec.model)
    adapter_dir = check_adapter_dir(spec.adapter) if spec.adapter is not None else None
    own = adapter_dir is not None and (adapter_dir / "tokenizer_config.json").is_file()
    tok_source = spec.tokenizer or (str(adapter_dir) if own else path)
    tokenizer = load_tokenizer(
        tok_source,
        revision=spec.revision if tok_source == path else None,
        trust_remote_code=spec.trust_remote_code,
    )
    model = load_causal_lm(
        path,
        dtype=spec.dtype,
        quantization=spec.quantization,
        revision=spec.revision,
        trust_remote_code=spec.trust_remote_code,
    )
    if adapter_dir is not None:
        if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
            model.resize_token_embeddings(len(tokenizer))
        model = apply_adapter(model, adapter_dir)
    model.eval()
    info = {
        "model": spec.model,
        "model_path": path,
        "adapter": str(adapter_dir) if adapter_dir is not None else None,
        "tokenizer": tok_source,
        "dtype": spec.dtype,
        "torch_dtype": str(model.get_input_embeddings().weight.dtype).removeprefix("torch."),
        "load_in_4bit": bool(spec.quantization is not None and spec.quantization.load_in_4bit),
    }
    return LocalModel(model, tokenizer, info)
