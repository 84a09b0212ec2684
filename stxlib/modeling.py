"""Loading causal LMs for training and evaluation: hub id or local folder, optional 4-bit, optional
PEFT adapter (applied without merging)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stxlib.config.model import QuantizationSection
from stxlib.paths import looks_local
from stxlib.tiny_model import resolve_model_path

DTYPES = ("auto", "float32", "bfloat16", "float16")


class ModelLoadError(RuntimeError):
    """A model or adapter cannot be loaded; the message says which and what to do."""


def torch_dtype(name: str) -> Any:
    """`"bfloat16"` -> `torch.bfloat16`; `"auto"` stays `"auto"` (the checkpoint's dtype)."""
    import torch

    if name == "auto":
        return "auto"
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r}; choose one of {', '.join(DTYPES)}")
    return getattr(torch, name)


def check_dtype_supported(name: str, setting: str) -> None:
    """Refuse a dtype the hardware cannot compute in, naming the params key that asked for it."""
    import torch

    if name == "bfloat16" and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"{setting}=bfloat16 but this GPU ({torch.cuda.get_device_name()}) has no bf16 support; "
            f"set {setting}=float32 (or float16 where the setting allows it)"
        )
    if name == "float16" and not torch.cuda.is_available():
        raise ValueError(f"{setting}=float16 needs a CUDA GPU; on CPU use bfloat16 or float32")


def bnb_config(quant: QuantizationSection) -> Any:
    """`BitsAndBytesConfig` for 4-bit loading (None when `load_in_4bit` is false)."""
    if not quant.load_in_4bit:
        return None
    from transformers import BitsAndBytesConfig

    check_dtype_supported(quant.compute_dtype, "model.quantization.compute_dtype")
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quant.quant_type,
        bnb_4bit_use_double_quant=quant.double_quant,
        bnb_4bit_compute_dtype=torch_dtype(quant.compute_dtype),
    )


def default_device_map() -> dict[str, Any]:
    """Everything on one device: this process's GPU (`LOCAL_RANK` under torchrun), else the CPU."""
    import torch

    from stxlib.hardware import cuda_device_index

    if torch.cuda.is_available():
        return {"": cuda_device_index()}
    return {"": "cpu"}


def load_causal_lm(
    name_or_path: str,
    *,
    dtype: str = "auto",
    quantization: QuantizationSection | None = None,
    adapter: str | Path | None = None,
    revision: str | None = None,
    trust_remote_code: bool = False,
    device_map: Any = None,
    adapter_trainable: bool = False,
) -> Any:
    """Load a causal LM (optionally 4-bit) and apply a PEFT adapter on top without merging."""
    from transformers import AutoModelForCausalLM

    path = check_model_path(name_or_path)
    if dtype != "auto":
        check_dtype_supported(dtype, "dtype")
    kwargs: dict[str, Any] = {
        "dtype": torch_dtype(dtype),
        "device_map": device_map or default_device_map(),
        "trust_remote_code": trust_remote_code,
    }
    if revision:
        kwargs["revision"] = revision
    if quantization is not None and quantization.load_in_4bit:
        kwargs["quantization_config"] = bnb_config(quantization)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(Path(path).expanduser()) if looks_local(path) else path, **kwargs
        )
    except OSError as err:
        raise ModelLoadError(
            f"{load_problem('model', path, err)}. Give a local model folder, a hub id reachable from here, or stx-tiny."
        ) from None
    if adapter is not None:
        model = apply_adapter(model, adapter, trainable=adapter_trainable)
    return model


def apply_adapter(model: Any, adapter: str | Path, *, trainable: bool = False) -> Any:
    """Wrap `model` with the PEFT adapter in folder `adapter` (not merged)."""
    from peft import PeftModel

    adapter = check_adapter_dir(adapter)
    return PeftModel.from_pretrained(model, str(adapter), is_trainable=trainable)


def check_model_path(name_or_path: str, what: str = "model") -> str:
    """Resolve `name_or_path` (`stx-tiny` -> its folder); a local-looking path must be an existing folder."""
    path = resolve_model_path(name_or_path)
    local = Path(path).expanduser()
    if looks_local(path) and not local.is_dir():
        problem = f"{path} is a file, not a folder" if local.exists() else f"not found: {path} does not exist"
        raise ModelLoadError(f"{what} path {problem} (give a local {what} folder, a hub id or stx-tiny)")
    expected = _FOLDER_FILES[what]
    if looks_local(path) and not any((local / name).is_file() for name in expected):
        raise ModelLoadError(
            f"cannot load the {what} {path!r}: the folder holds no {' or '.join(expected)}, so it is not a "
            f"saved {what} (give a folder written by save_pretrained, a hub id or stx-tiny)"
        )
    return path


# A local folder is a model / tokenizer when it holds one of these (what save_pretrained writes).
_FOLDER_FILES = {
    "model": ("config.json",),
    "tokenizer": ("tokenizer_config.json", "tokenizer.json", "tokenizer.model"),
}


# What huggingface_hub / transformers say when the hub cannot be reached and nothing is cached.
_OFFLINE_SIGNS = ("couldn't connect", "name or service not known", "offline", "connection", "timed out", "cannot reach")


def load_problem(what: str, name: str, err: Exception) -> str:
    """A loading failure in plain words: the hub unreachable (a hub id offline), else the library's first line."""
    text = str(err).strip()
    if not looks_local(name) and any(sign in text.lower() for sign in _OFFLINE_SIGNS):
        return (
            f"cannot load {what} {name!r}: the Hugging Face Hub is unreachable from here "
            "and it is not in the local hub cache"
        )
    first = text.splitlines()[0] if text else type(err).__name__
    return f"cannot load {what} {name!r}: {first}"


def check_adapter_dir(adapter: str | Path) -> Path:
    """The adapter folder, which must hold a PEFT `adapter_config.json`."""
    adapter = Path(adapter).expanduser()
    if not (adapter / "adapter_config.json").is_file():
        raise ModelLoadError(
            f"adapter not found: {adapter} has no adapter_config.json (train first, or point at a PEFT adapter folder)"
        )
    return adapter


# Adapters of this run, by name: `best` is the STX recipe's train/best_adapter; a training stage's name is
# that stage's best adapter.
ADAPTER_ALIASES = {"best": "train"}
TRAINING_STAGES = ("train", "pretrain", "sft", "dpo")


def is_run_adapter_name(adapter: str | None) -> bool:
    """Whether `adapter` names one of this run's adapters (`best`, `pretrain`, ...) rather than a folder."""
    return adapter is not None and ADAPTER_ALIASES.get(adapter, adapter) in TRAINING_STAGES


def run_adapter_dir(adapter: str | None, run_root: Path) -> Path | None:
    """`best` / a training stage name -> `<run>/<stage>/best_adapter`; a path stays a path; None stays None."""
    if adapter is None:
        return None
    if is_run_adapter_name(adapter):
        return run_root / ADAPTER_ALIASES.get(adapter, adapter) / "best_adapter"
    return Path(adapter).expanduser()
