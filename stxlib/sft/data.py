"""Chat SFT data: ShareGPT conversations (`{"conversations": [{"from", "value"}]}`, the shape of
`augmxnt/ultra-orca-boros-en-ja-v1`) as messages, rendered with the Llama-2 template whose assistant turns carry
`{% generation %}` markers, labels on exactly the assistant tokens (+ EOS)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.chat_templates import training_template
from stxlib.config import StxConfig
from stxlib.leakage import letter_counts
from stxlib.records import RecordsError, held_out_split, load_all
from stxlib.tokenization import IGNORE_INDEX

ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


def to_messages(row: Mapping[str, Any], place: str, system_prompt: str | None) -> list[dict[str, str]]:
    """A ShareGPT row as `{role, content}` messages: an optional system turn first, then user and assistant
    turns alternating, at least one assistant turn. `system_prompt` is added when the row has none."""
    turns = row.get("conversations")
    if not isinstance(turns, list) or not turns:
        raise RecordsError(f"{place}: needs a non-empty `conversations` list of {{from, value}} turns (ShareGPT)")
    messages = []
    for index, turn in enumerate(turns):
        role = ROLES.get(turn.get("from")) if isinstance(turn, dict) else None
        if role is None or not isinstance(turn.get("value"), str):
            raise RecordsError(
                f'{place}: turn {index} must be {{"from": system|human|gpt, "value": str}}, got {str(turn)[:80]}'
            )
        messages.append({"role": role, "content": turn["value"]})
    if messages[0]["role"] != "system" and system_prompt is not None:
        messages.insert(0, {"role": "system", "content": system_prompt})
    body = messages[1:] if messages[0]["role"] == "system" else messages
    expected = ["user", "assistant"] * len(body)
    if [m["role"] for m in body] != expected[: len(body)]:
        raise RecordsError(
            f"{place}: turns must alternate human, gpt, human, gpt... after an optional system turn; got "
            f"{', '.join(t.get('from', '?') for t in turns)}"
        )
    if not any(m["role"] == "assistant" for m in body):
        raise RecordsError(
            f'{place}: the conversation has no assistant ("gpt") turn, so there is nothing to train on; '
            "add the answer or drop the row"
        )
    return messages


def is_japanese(messages: Sequence[Mapping[str, str]]) -> bool:
    """At least half of the conversation's letters are Japanese (kana, kanji; stxlib.leakage's letter metric)."""
    japanese, counted = letter_counts("".join(m["content"] for m in messages))
    return counted > 0 and japanese / counted >= 0.5


def read_conversations(config: StxConfig) -> list[list[dict[str, str]]]:
    """Every conversation of `sft.datasets` as messages."""
    sft = config.sft
    rows = load_all(sft.datasets, "sft.datasets", config.data.cache_dir)
    return [to_messages(row, place, sft.system_prompt) for place, row in rows]


def second_pass_order(train: Sequence[list[dict[str, str]]], seed: int) -> list[list[dict[str, str]]]:
    """The card's extra epoch on the JA subset: every conversation (shuffled), then the Japanese ones (shuffled)."""
    rng = random.Random(seed)
    first = list(train)
    rng.shuffle(first)
    japanese = [c for c in train if is_japanese(c)]
    rng.shuffle(japanese)
    return first + japanese


def encode(
    tokenizer: Any, messages: Sequence[Mapping[str, str]], template: str, max_length: int
) -> dict[str, list[int]]:
    """`input_ids`, `attention_mask` and `labels` (the assistant tokens and their EOS; -100 elsewhere), cut to
    `max_length` tokens. The template writes the BOS itself, so no special tokens are added."""
    out = tokenizer.apply_chat_template(
        list(messages),
        chat_template=template,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
    )
    ids = list(out["input_ids"])[:max_length]
    mask = list(out["assistant_masks"])[:max_length]
    labels = [t if m else IGNORE_INDEX for t, m in zip(ids, mask, strict=True)]
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


def chat_datasets(config: StxConfig, tokenizer: Any) -> tuple[Any, Any]:
    """(train, eval) `datasets.Dataset`s of encoded conversations (train in the order they are read when
    `sft.ja_second_pass`)."""
    from datasets import Dataset

    sft = config.sft
    template = training_template(sft.chat_template, "sft.chat_template")
    train, held_out = held_out_split(
        read_conversations(config), sft.eval_size, config.run.seed, "conversation(s)", "sft.eval_size"
    )
    if sft.ja_second_pass:
        train = second_pass_order(train, config.run.seed)

    def build(rows: Sequence[list[dict[str, str]]]) -> Any:
        encoded = [encode(tokenizer, m, template, sft.max_length) for m in rows]
        return Dataset.from_dict({k: [e[k] for e in encoded] for k in ("input_ids", "attention_mask", "labels")})

    return build(train), build(held_out)
