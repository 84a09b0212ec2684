"""LoRA on every linear layer but `lm_head`, qlora's dtype casts, and trainable-parameter counts."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from stxlib.config import LoraSection

LLAMA_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def lora_config(section: LoraSection) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=section.r,
        lora_alpha=section.alpha,
        lora_dropout=section.dropout,
        target_modules=section.target_modules,
        bias=section.bias,
        task_type="CAUSAL_LM",
    )


def apply_lora(model: Any, section: LoraSection) -> Any:
    """Wrap `model` with a fresh trainable LoRA adapter and apply qlora's casts (see `cast_like_qlora`)."""
    from peft import get_peft_model

    with warnings.catch_warnings():  # peft asks the v5-deprecated is_gradient_checkpointing
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated", category=FutureWarning)
        peft_model = get_peft_model(model, lora_config(section), autocast_adapter_dtype=section.dtype == "float32")
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


def lora_module_names(model: Any) -> list[str]:
    """Names (last part) of the modules that carry a LoRA adapter, sorted."""
    from peft.tuners.lora import LoraLayer

    return sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, LoraLayer)})


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
