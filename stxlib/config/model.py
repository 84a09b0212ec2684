"""The `model` params section: the base model, its dtype, quantisation, pad and EOS tokens."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stxlib.config.base import Section


class QuantizationSection(Section):
    """bitsandbytes 4-bit settings (the card: nf4, double quant, bf16 compute)."""

    load_in_4bit: bool = True
    quant_type: Literal["nf4", "fp4"] = "nf4"
    double_quant: bool = True
    compute_dtype: Literal["bfloat16", "float32", "float16"] = "bfloat16"


class ModelSection(Section):
    """The base model. `stx-tiny` is the embedded tiny Llama that stx builds itself."""

    name_or_path: str = "stx-tiny"
    revision: str | None = None
    tokenizer: str | None = None
    # dtype of the weights bitsandbytes does not quantise (embeddings, norms, lm_head) as loaded.
    dtype: Literal["auto", "bfloat16", "float32", "float16"] = "bfloat16"
    quantization: QuantizationSection = Field(default_factory=QuantizationSection)
    # "add": qlora's default: add `[PAD]`, resize the embeddings by one row and set the new input and
    # output rows to the mean of the old ones. "existing": use `existing_pad_token` (no resize).
    pad_token: Literal["add", "existing"] = "add"
    existing_pad_token: str = "<|PAD|>"
    # "config": qlora's Llama fix-up: eos/bos are the tokens of the model config's ids (`</s>`/`<s>`
    # for the card's base, whatever its tokenizer files say). "tokenizer": keep the tokenizer's own.
    eos_token: Literal["config", "tokenizer"] = "config"
    # How text right after a special token is split (the collator writes `bos + input`): true: the 2023 slow
    # Llama tokenizer's ("legacy") behaviour, `<s>元…` -> `['<s>', '▁', '元', …]`; false: no `▁` after a
    # special token, `['<s>', '元', …]` (transformers' default for Llama tokenizers today); null: the
    # tokenizer's own setting. Checked on the loaded tokenizer at set-up (docs/training.md).
    tokenizer_legacy: bool | None = True
    trust_remote_code: bool = False

    @property
    def tokenizer_name(self) -> str:
        return self.tokenizer or self.name_or_path
