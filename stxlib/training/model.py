"""The model a session trains: the base (4-bit nf4 + double quant, or unquantised) resized to the tokenizer and
prepared for training, then a fresh LoRA adapter (qlora's dtype casts), a saved one, or every weight trainable
(full fine-tuning). The same steps rebuild the model around a saved adapter, so a reloaded adapter scores the
same as during training."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from stxlib.config import LoraSection, ModelSection
from stxlib.modeling import apply_adapter, load_causal_lm
from stxlib.training.kind import TrainingSpec
from stxlib.training.tokenizer import resize_embeddings

GC_KWARGS = {"use_reentrant": False}
LLAMA_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@contextlib.contextmanager
def quiet_gc_deprecation() -> Iterator[None]:
    """peft calls the v5-deprecated `gradient_checkpointing_*` names; the warning is noise here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated", category=FutureWarning)
        yield


def load_base(model: ModelSection, tokenizer: Any, *, gradient_checkpointing: bool, full: bool = False) -> Any:
    """Base model (4-bit when configured) on this process's device, resized to the tokenizer, pad ids set.

    LoRA (`full=False`): `prepare_model_for_kbit_training` on a 4-bit base (frozen weights, non-4-bit weights
    upcast to fp32), or every weight frozen on an unquantised one. Full fine-tuning: every weight trainable.
    `gradient_checkpointing` turns on non-reentrant activation checkpointing."""
    from peft import prepare_model_for_kbit_training

    base = load_causal_lm(
        model.name_or_path,
        dtype=model.dtype,
        quantization=model.quantization,
        revision=model.revision,
        trust_remote_code=model.trust_remote_code,
    )
    base.config.use_cache = False
    keep_cpu_4bit_layout(base)
    resize_embeddings(base, tokenizer)
    for target in (base.config, base.generation_config):
        if target is not None:
            target.pad_token_id = tokenizer.pad_token_id
    with quiet_gc_deprecation():
        if model.quantization.load_in_4bit:
            base = prepare_model_for_kbit_training(
                base, use_gradient_checkpointing=gradient_checkpointing, gradient_checkpointing_kwargs=GC_KWARGS
            )
        else:
            for param in base.parameters():
                param.requires_grad = full
            if gradient_checkpointing:
                base.activation_checkpointing_enable(activation_checkpointing_kwargs=GC_KWARGS)
    return base


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


# ---------------------------------------------------------------- LoRA


def lora_config(section: LoraSection, extra: Mapping[str, Any] | None = None) -> Any:
    """`peft.LoraConfig` of the `lora` section, plus a kind's extra fields (e.g. `modules_to_save`)."""
    from peft import LoraConfig

    fields = {
        "r": section.r,
        "lora_alpha": section.alpha,
        "lora_dropout": section.dropout,
        "target_modules": section.target_modules,
        "bias": section.bias,
        "task_type": "CAUSAL_LM",
        **(extra or {}),
    }
    return LoraConfig(**fields)


def apply_lora(model: Any, section: LoraSection, extra: Mapping[str, Any] | None = None) -> Any:
    """Wrap `model` with a fresh trainable LoRA adapter and apply qlora's casts (see `cast_like_qlora`)."""
    from peft import get_peft_model

    with quiet_gc_deprecation():
        peft_model = get_peft_model(
            model, lora_config(section, extra), autocast_adapter_dtype=section.dtype == "float32"
        )
    cast_like_qlora(peft_model, section.dtype)
    return peft_model


def cast_like_qlora(model: Any, dtype: str) -> None:
    """`dtype="bfloat16"` repeats qlora's casts after wrapping: LoRA weights, lm_head and embed_tokens to
    bf16, norms to fp32. `"float32"`: every LoRA weight in fp32 (peft's default)."""
    import torch

    target = torch.bfloat16 if dtype == "bfloat16" else torch.float32
    for name, param in model.named_parameters():
        if "lora_" in name and param.dtype != target:
            param.data = param.data.to(target)
    if target is torch.bfloat16:
        for name, module in model.named_modules():
            if "norm" in name:
                module.to(torch.float32)
            elif ("lm_head" in name or "embed_tokens" in name) and _weight_dtype(module) == torch.float32:
                module.to(torch.bfloat16)


def _weight_dtype(module: Any) -> Any:
    weight = getattr(module, "weight", None)
    return weight.dtype if weight is not None else None


def load_with_adapter(model: ModelSection, lora_dtype: str, tokenizer: Any, adapter: str | Path) -> Any:
    """Base rebuilt exactly as for training, with the saved adapter applied (not merged), in eval mode."""
    with quiet_gc_deprecation():
        peft_model = apply_adapter(load_base(model, tokenizer, gradient_checkpointing=False), adapter)
    cast_like_qlora(peft_model, lora_dtype)
    peft_model.eval()
    return peft_model


def build_model(
    spec: TrainingSpec, tokenizer: Any, *, lora_fields: Mapping[str, Any] | None = None, peft_in_trainer: bool = False
) -> tuple[Any, Any | None]:
    """(model, peft_config) for the Trainer.

    Full fine-tuning (`spec.lora is None`): the unquantised base, every weight trainable, no peft_config.
    `spec.init_adapter`: the base with that adapter applied and trainable (its own LoRA config rules).
    `peft_in_trainer` (trl): the prepared base and the `LoraConfig` for the Trainer to apply.
    Otherwise: the base with a fresh LoRA adapter (`lora_fields` added to its config)."""
    base = load_base(
        spec.model, tokenizer, gradient_checkpointing=spec.trainer.gradient_checkpointing, full=spec.lora is None
    )
    if spec.lora is None:
        return base, None
    if spec.init_adapter is not None:
        with quiet_gc_deprecation():
            model = apply_adapter(base, spec.init_adapter, trainable=True)
        cast_like_qlora(model, spec.lora.dtype)
        return model, None
    if peft_in_trainer:
        return base, lora_config(spec.lora, lora_fields)
    return apply_lora(base, spec.lora, lora_fields), None


# ---------------------------------------------------------------- counts


def lora_module_names(model: Any) -> list[str]:
    """Names (last part) of the modules that carry a LoRA adapter, sorted."""
    from peft.tuners.lora import LoraLayer

    return sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, LoraLayer)})


def count_linear4bit(model: Any) -> int:
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:  # pragma: no cover - bitsandbytes is a dependency
        return 0
    return sum(isinstance(m, Linear4bit) for m in model.modules())


def count_parameters(model: Any) -> dict[str, int]:
    """Trainable and total parameters. 4-bit weights count as the parameters they encode (a packed byte
    holds two), so the total is the base model's size; the trainable count is not halved (qlora's
    printout halved it)."""
    trainable = 0
    total = 0
    for param in model.parameters():
        n = param.numel()
        if param.__class__.__name__ == "Params4bit":
            n *= 2 * param.element_size()
        total += n
        if param.requires_grad:
            trainable += n
    return {"trainable": trainable, "total": total}


def llama_linear_shapes(config: Any) -> dict[str, tuple[int, int]]:
    """(in_features, out_features) of each linear layer of one Llama decoder layer, from the config alone."""
    hidden = config.hidden_size
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    kv = (getattr(config, "num_key_value_heads", None) or heads) * head_dim
    inter = config.intermediate_size
    return {
        "q_proj": (hidden, heads * head_dim),
        "k_proj": (hidden, kv),
        "v_proj": (hidden, kv),
        "o_proj": (heads * head_dim, hidden),
        "gate_proj": (hidden, inter),
        "up_proj": (hidden, inter),
        "down_proj": (inter, hidden),
    }


def lora_parameter_count(
    shapes: Mapping[str, tuple[int, int]], layers: int, r: int, targets: Iterable[str] | str = "all-linear"
) -> int:
    """LoRA parameters: r * (in + out) per adapted linear layer (A is r x in, B is out x r), per decoder layer."""
    names = list(shapes) if targets == "all-linear" else list(targets)
    return layers * sum(r * (shapes[n][0] + shapes[n][1]) for n in names if n in shapes)


def expected_trainable_parameters(model_config: Any, section: LoraSection) -> int:
    """The trainable-parameter count a Llama config and LoRA section imply (no weights needed)."""
    return lora_parameter_count(
        llama_linear_shapes(model_config), model_config.num_hidden_layers, section.r, section.target_modules
    )
