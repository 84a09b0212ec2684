"""Rows `{"input", "output"}` to padded batches, as qlora's `DataCollatorForCausalLM` built them.

qlora (default): `bos + input` and `output + eos` are tokenised separately (special tokens written as
text, `add_special_tokens=False`), each truncated on the right (`source_max_len`, `target_max_len`:
a long target loses its EOS), concatenated; labels are -100 over the source; dynamic right padding;
`attention_mask = input_ids != pad_id`.

joint (option): `bos + input + output + eos` tokenised as one text, the completion starting where the
tokens of `bos + input` alone stop matching (as TRL does), truncated to `source_max_len +
target_max_len` keeping the start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stxlib.config import StxConfig
from stxlib.tokenization import IGNORE_INDEX, source_target_ids


@dataclass
class Example:
    """One tokenised example before padding."""

    input_ids: list[int]
    labels: list[int]


def _tokenize(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def qlora_examples(
    tokenizer: Any, rows: Sequence[Mapping[str, str]], source_max_len: int, target_max_len: int, train_on_source: bool
) -> list[Example]:
    sources, targets = source_target_ids(tokenizer, rows)
    out = []
    for src, tgt in zip(sources, targets, strict=True):
        src, tgt = src[:source_max_len], tgt[:target_max_len]
        ids = src + tgt
        labels = list(ids) if train_on_source else [IGNORE_INDEX] * len(src) + tgt
        out.append(Example(ids, labels))
    return out


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def joint_examples(
    tokenizer: Any, rows: Sequence[Mapping[str, str]], source_max_len: int, target_max_len: int, train_on_source: bool
) -> list[Example]:
    prompts = _tokenize(tokenizer, [f"{tokenizer.bos_token}{r['input']}" for r in rows])
    fulls = _tokenize(tokenizer, [f"{tokenizer.bos_token}{r['input']}{r['output']}{tokenizer.eos_token}" for r in rows])
    out = []
    for prompt, full in zip(prompts, fulls, strict=True):
        start = _common_prefix(prompt, full)
        ids = full[: source_max_len + target_max_len]
        labels = list(ids) if train_on_source else [IGNORE_INDEX] * min(start, len(ids)) + ids[start:]
        out.append(Example(ids, labels))
    return out


@dataclass
class CausalLMCollator:
    """Callable collator for the Trainer (`remove_unused_columns=False`: it needs the raw text columns)."""

    tokenizer: Any
    source_max_len: int = 1024
    target_max_len: int = 256
    train_on_source: bool = False
    mode: str = "qlora"

    def examples(self, rows: Sequence[Mapping[str, str]]) -> list[Example]:
        build = {"qlora": qlora_examples, "joint": joint_examples}.get(self.mode)
        if build is None:
            raise ValueError(f"unknown collator {self.mode!r}; choose qlora or joint")
        return build(self.tokenizer, rows, self.source_max_len, self.target_max_len, self.train_on_source)

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return pad_examples(self.examples(rows), self.tokenizer.pad_token_id)


def pad_examples(examples: Sequence[Example], pad_id: int) -> dict[str, Any]:
    """Right-pad to the longest example; labels padded with -100; mask = ids != pad."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    for i, e in enumerate(examples):
        ids[i, : len(e.input_ids)] = torch.tensor(e.input_ids, dtype=torch.long)
        labels[i, : len(e.labels)] = torch.tensor(e.labels, dtype=torch.long)
    return {"input_ids": ids, "attention_mask": ids.ne(pad_id), "labels": labels}


def build_collator(config: StxConfig, tokenizer: Any) -> CausalLMCollator:
    """The collator the params ask for (`train.collator`, `data.source_max_len`, `data.target_max_len`)."""
    return CausalLMCollator(
        tokenizer=tokenizer,
        source_max_len=config.data.source_max_len,
        target_max_len=config.data.target_max_len,
        train_on_source=config.train.train_on_source,
        mode=config.train.collator,
    )
