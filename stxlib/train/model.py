"""The model as qlora trained it: 4-bit base, resized for the pad token, prepared for k-bit training,
LoRA on top. The same steps rebuild it around a saved adapter, so a reloaded adapter scores the same."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.modeling import apply_adapter, load_causal_lm
from stxlib.train.lora import apply_lora, cast_like_qlora
from stxlib.train.tokenizer import resize_embeddings

GC_KWARGS = {"use_reentrant": False}


def load_base(config: StxConfig, tokenizer: Any, *, training: bool) -> Any:
    """Base model (4-bit when configured) on this process's device, resized to the tokenizer, with
    `prepare_model_for_kbit_training` applied (frozen weights, non-4-bit weights upcast to fp32)."""
    from peft import prepare_model_for_kbit_training

    model = load_causal_lm(
        config.model.name_or_path,
        dtype=config.model.dtype,
        quantization=config.model.quantization,
        revision=config.model.revision,
        trust_remote_code=config.model.trust_remote_code,
    )
    model.config.use_cache = False
    keep_cpu_4bit_layout(model)
    resize_embeddings(model, tokenizer)
    for target in (model.config, model.generation_config):
        if target is not None:
            target.pad_token_id = tokenizer.pad_token_id
    checkpointing = training and config.train.gradient_checkpointing
    with warnings.catch_warnings():  # peft calls the v5-deprecated gradient_checkpointing_* names
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated", category=FutureWarning)
        if config.model.quantization.load_in_4bit:
            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=checkpointing, gradient_checkpointing_kwargs=GC_KWARGS
            )
        else:
            for param in model.parameters():
                param.requires_grad = False
            if checkpointing:
                model.activation_checkpointing_enable(activation_checkpointing_kwargs=GC_KWARGS)
    return model


def keep_cpu_4bit_layout(model: Any) -> int:
    """Stop bitsandbytes (0.50, CPUs with AVX512-BF16) from repacking 4-bit weights at the first no-grad
    forward. The repacked layout rounds the double-quantised block scales to bf16 and stays in place, so
    every training step after the first evaluation would use slightly different base weights, and a
    resumed or reloaded model would not match. Returns the number of 4-bit layers changed."""
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:  # pragma: no cover - bitsandbytes is a dependency
        return 0
    changed = 0
    for module in model.modules():
        if isinstance(module, Linear4bit) and getattr(module, "support_avx512bf16_for_cpu", False):
            module.support_avx512bf16_for_cpu = False
            changed += 1
    return changed


def build_training_model(config: StxConfig, tokenizer: Any) -> Any:
    """Base + a fresh LoRA adapter, ready for the Trainer."""
    return apply_lora(load_base(config, tokenizer, training=True), config.lora)


def load_with_adapter(config: StxConfig, tokenizer: Any, adapter: str | Path) -> Any:
    """Base rebuilt exactly as for training, with the saved adapter applied (not merged), in eval mode."""
    with warnings.catch_warnings():  # peft asks the v5-deprecated is_gradient_checkpointing
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated", category=FutureWarning)
        model = apply_adapter(load_base(config, tokenizer, training=False), adapter)
    cast_like_qlora(model, config.lora.dtype)
    model.eval()
    return model
