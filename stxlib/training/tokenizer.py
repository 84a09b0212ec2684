"""The training tokenizer: pad token (qlora's `[PAD]` + resize, or an existing token) and EOS handling.

Light on purpose (transformers is imported inside the functions): the data stage counts tokens with this
tokenizer, so that its statistics are the tokens training sees."""

from __future__ import annotations

from typing import Any

from stxlib.config import ModelSection
from stxlib.training.errors import TrainSetupError

QLORA_PAD_TOKEN = "[PAD]"


def load_model_config(model: ModelSection) -> Any:
    """The base model's `config.json` (no weights)."""
    from transformers import AutoConfig

    from stxlib.tiny_model import resolve_model_path

    return AutoConfig.from_pretrained(
        resolve_model_path(model.name_or_path), revision=model.revision, trust_remote_code=model.trust_remote_code
    )


def prepare_tokenizer(model: ModelSection, model_config: Any | None = None) -> Any:
    """Load the tokenizer and set it up as qlora did: right padding, a pad token, eos/bos.

    - `model.pad_token="add"`: when the tokenizer has no pad token, add `[PAD]` as a new special token
      (the model is resized later by `resize_embeddings`). `"existing"`: use `model.existing_pad_token`.
    - `model.eos_token="config"`: eos/bos become the tokens of the model config's `eos_token_id` and
      `bos_token_id` (qlora's fix-up for Llama tokenizers: `</s>` for the card's base, not
      `<|end_of_turn|>`). `"tokenizer"` keeps the tokenizer's own.
    """
    from stxlib.tokenization import load_tokenizer

    tokenizer = load_tokenizer(model)
    tokenizer.padding_side = "right"
    if model.pad_token == "add":
        if tokenizer.pad_token is None:
            tokenizer.add_special_tokens({"pad_token": QLORA_PAD_TOKEN})
    else:
        token = model.existing_pad_token
        if tokenizer.convert_tokens_to_ids(token) in (None, tokenizer.unk_token_id) and token != tokenizer.unk_token:
            raise TrainSetupError(
                f"model.existing_pad_token={token!r} is not in the tokenizer's vocabulary; "
                "name a token it has (the card's base has <|PAD|>) or set model.pad_token=add"
            )
        tokenizer.pad_token = token
    if model.eos_token == "config":
        config = model_config if model_config is not None else load_model_config(model)
        for attr, key in (("eos_token", "eos_token_id"), ("bos_token", "bos_token_id")):
            token_id = getattr(config, key, None)
            if isinstance(token_id, list):
                token_id = token_id[0] if token_id else None
            if isinstance(token_id, int) and token_id >= 0:
                tokenizer.add_special_tokens({attr: tokenizer.convert_ids_to_tokens(token_id)})
    if tokenizer.eos_token is None or tokenizer.bos_token is None:
        raise TrainSetupError(
            f"the tokenizer of {model.tokenizer_name!r} has no eos or bos token; the qlora collator writes "
            "`bos + input` and `output + eos`. Use a tokenizer that defines both"
        )
    check_bos_input(tokenizer, model.tokenizer_legacy)
    if tokenizer.pad_token_id == tokenizer.eos_token_id:
        raise TrainSetupError(
            f"the pad token {tokenizer.pad_token!r} is also the eos token: the collator masks pads by id and "
            "would mask the real EOS. Use model.pad_token=add or another existing_pad_token"
        )
    return tokenizer


#: The probe of the set-up check: the start of a qlora source after `bos` (Japanese, as in the STX mix).
BOS_PROBE = "元の日本語："


def bos_input_pieces(tokenizer: Any, text: str = BOS_PROBE) -> list[str]:
    """The pieces the collator's `bos + input` gives for `text` (special tokens written as text)."""
    ids = tokenizer(f"{tokenizer.bos_token}{text}", add_special_tokens=False)["input_ids"]
    return tokenizer.convert_ids_to_tokens(ids)


def check_bos_input(tokenizer: Any, legacy: bool | None) -> None:
    """What the tokenizer does with `bos + input` must be what `model.tokenizer_legacy` asks for: `True`, the
    2023 slow tokenizer's `['<s>', '▁', '元', …]` (the text split as if it started the string); `False`,
    `['<s>', '元', …]`. A tokenizer that adds no `▁` prefix to plain text (byte-level BPE) passes either way,
    and `None` accepts whatever the tokenizer does. Raises TrainSetupError naming both splits."""
    if legacy is None:
        return
    plain = tokenizer.convert_ids_to_tokens(tokenizer(BOS_PROBE, add_special_tokens=False)["input_ids"])
    if not plain or not plain[0].startswith("▁"):
        return  # no SentencePiece dummy prefix: the option cannot change anything
    pieces = bos_input_pieces(tokenizer)
    if pieces[:1] != [tokenizer.bos_token]:
        raise TrainSetupError(f"the tokenizer does not split {tokenizer.bos_token!r} as one token: {pieces[:4]}")
    seen = pieces[1:] == plain
    if seen != legacy:
        want = "['<s>', '▁', '元', …] (2023)" if legacy else "['<s>', '元', …]"
        raise TrainSetupError(
            f"model.tokenizer_legacy={str(legacy).lower()} asks for bos + input as {want}, but the tokenizer "
            f"{type(tokenizer).__name__} gives {pieces[:4]}: it ignores the `legacy` option. Set "
            "model.tokenizer_legacy: null to train with its own split (and say so), or use a slow/SentencePiece "
            "tokenizer that honours it"
        )


def resize_embeddings(model: Any, tokenizer: Any) -> int:
    """Grow the embeddings to the tokenizer (qlora's smart resize): the new input and output rows are the
    mean of the old rows. Returns the number of rows added (0 when nothing was added)."""
    import torch

    old = model.get_input_embeddings().weight.shape[0]
    added = len(tokenizer) - old
    if added <= 0:
        return 0
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    with torch.no_grad():
        for embeddings in (model.get_input_embeddings(), model.get_output_embeddings()):
            data = embeddings.weight.data
            data[-added:] = data[:-added].mean(dim=0, keepdim=True)
    return added
