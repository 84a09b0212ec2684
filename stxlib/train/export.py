"""Merge an adapter into a bf16 (or fp32) copy of the base for sharing: never into the 4-bit model."""

from __future__ import annotations

import warnings
from pathlib import Path

from stxlib.config import ModelSection
from stxlib.io import atomic_dir


def merge_adapter(model: ModelSection, adapter: str | Path, out_dir: str | Path, dtype: str = "bfloat16") -> Path:
    """Load the base unquantised in `dtype`, apply `adapter`, merge, and save model + base tokenizer to
    `out_dir` atomically. The vocabulary stays the base's (the adapter holds LoRA weights only)."""
    from stxlib.modeling import apply_adapter, load_causal_lm
    from stxlib.tokenization import load_tokenizer

    if dtype not in ("bfloat16", "float32", "float16"):
        raise ValueError(f"export dtype must be bfloat16, float32 or float16, got {dtype!r}")
    base = load_causal_lm(
        model.name_or_path,
        dtype=dtype,
        quantization=None,
        revision=model.revision,
        trust_remote_code=model.trust_remote_code,
    )
    with warnings.catch_warnings():  # peft asks the v5-deprecated is_gradient_checkpointing
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated", category=FutureWarning)
        merged = apply_adapter(base, adapter).merge_and_unload()
    tokenizer = load_tokenizer(model)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return out_dir
