"""Continued pre-training data: documents from `pretrain.corpora`, tokenised with the default call (BOS), each
followed by EOS, concatenated and cut into `block_size` blocks. The last, shorter block is padded (pads carry
no loss and no attention), so every token is trained on exactly once per epoch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stxlib.config import StxConfig
from stxlib.records import RecordsError, load_all
from stxlib.tokenization import IGNORE_INDEX


def read_documents(config: StxConfig) -> list[str]:
    """The non-empty `text_field` strings of every corpus, in order; a row without it is an error naming its place."""
    field = config.pretrain.text_field
    docs = []
    for place, row in load_all(config.pretrain.corpora, "pretrain.corpora", config.data.cache_dir):
        text = row.get(field)
        if not isinstance(text, str):
            raise RecordsError(f"{place}: no string field {field!r} (set pretrain.text_field to the text's field)")
        if text.strip():
            docs.append(text)
    return docs


def split_documents(docs: Sequence[str], eval_size: int) -> tuple[list[str], list[str]]:
    """(train, eval): the last `eval_size` documents are held out; at least one document must be left to train."""
    if len(docs) <= eval_size:
        raise RecordsError(
            f"pretrain has {len(docs)} document(s) but pretrain.eval_size={eval_size} holds out that many or more; "
            "add documents or lower pretrain.eval_size"
        )
    return list(docs[: len(docs) - eval_size]), list(docs[len(docs) - eval_size :])


def token_stream(tokenizer: Any, docs: Sequence[str]) -> list[int]:
    """Every document's ids (default call: BOS added) followed by EOS, concatenated."""
    stream: list[int] = []
    for ids in tokenizer(list(docs))["input_ids"]:
        stream.extend(ids)
        stream.append(tokenizer.eos_token_id)
    return stream


def pack(stream: Sequence[int], block_size: int, pad_id: int) -> dict[str, list[list[int]]]:
    """Blocks of `block_size` tokens (`input_ids`, `attention_mask`, `labels`); the last one padded, its pads
    masked and without labels."""
    blocks: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": [], "labels": []}
    for start in range(0, len(stream), block_size):
        chunk = list(stream[start : start + block_size])
        pad = block_size - len(chunk)
        blocks["input_ids"].append(chunk + [pad_id] * pad)
        blocks["attention_mask"].append([1] * len(chunk) + [0] * pad)
        blocks["labels"].append(chunk + [IGNORE_INDEX] * pad)
    return blocks


def unpack(blocks: dict[str, list[list[int]]]) -> list[int]:
    """The tokens of `pack`'s blocks without the padding (the inverse of `pack`)."""
    return [
        t
        for ids, mask in zip(blocks["input_ids"], blocks["attention_mask"], strict=True)
        for t, m in zip(ids, mask, strict=True)
        if m
    ]


def packed_datasets(config: StxConfig, tokenizer: Any) -> tuple[Any, Any]:
    """(train, eval) `datasets.Dataset`s of packed blocks."""
    from datasets import Dataset

    train_docs, eval_docs = split_documents(read_documents(config), config.pretrain.eval_size)
    size, pad = config.pretrain.block_size, tokenizer.pad_token_id
    return (
        Dataset.from_dict(pack(token_stream(tokenizer, train_docs), size, pad)),
        Dataset.from_dict(pack(token_stream(tokenizer, eval_docs), size, pad)),
    )
