"""DPO data: preference rows `{"prompt", "chosen", "rejected"}` (the shape of `augmxnt/shisa-en-ja-dpo-v1`) in
trl's conversational form: `prompt` a list of messages (a string becomes one user turn, the system prompt goes
first), `chosen`/`rejected` one assistant message each (a string becomes one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.config import StxConfig
from stxlib.records import RecordsError, held_out_split, load_all

FIELDS = ("prompt", "chosen", "rejected")


def _messages(value: Any, role: str, place: str, field: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    if (
        isinstance(value, list)
        and value
        and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in value
        )
    ):
        return [{"role": m["role"], "content": m["content"]} for m in value]
    raise RecordsError(
        f"{place}: `{field}` must be a string or a list of {{role, content}} messages, got {str(value)[:80]}"
    )


def to_pair(row: Mapping[str, Any], place: str, system_prompt: str | None) -> dict[str, list[dict[str, str]]]:
    """One row in conversational form; a missing field is an error naming it and the row."""
    missing = [f for f in FIELDS if row.get(f) in (None, "", [])]
    if missing:
        raise RecordsError(
            f"{place}: a preference row needs `prompt`, `chosen` and `rejected`; `{'`, `'.join(missing)}` is missing "
            "or empty (fix or drop the row)"
        )
    prompt = _messages(row["prompt"], "user", place, "prompt")
    if prompt[-1]["role"] != "user":
        raise RecordsError(f"{place}: the prompt must end with a user turn, got {prompt[-1]['role']!r}")
    if prompt[0]["role"] != "system" and system_prompt is not None:
        prompt.insert(0, {"role": "system", "content": system_prompt})
    pair = {"prompt": prompt}
    for field in ("chosen", "rejected"):
        answer = _messages(row[field], "assistant", place, field)
        if [m["role"] for m in answer] != ["assistant"]:
            raise RecordsError(
                f"{place}: `{field}` must be one assistant message, got roles {[m['role'] for m in answer]}"
            )
        pair[field] = answer
    return pair


def read_pairs(config: StxConfig) -> list[dict[str, list[dict[str, str]]]]:
    dpo = config.dpo
    return [
        to_pair(row, place, dpo.system_prompt)
        for place, row in load_all(dpo.datasets, "dpo.datasets", config.data.cache_dir)
    ]


def preference_datasets(config: StxConfig) -> tuple[Any, Any]:
    """(train, eval) `datasets.Dataset`s of conversational pairs (trl tokenises them with the chat template)."""
    from datasets import Dataset

    train, held_out = held_out_split(
        read_pairs(config), config.dpo.eval_size, config.run.seed, "preference row(s)", "dpo.eval_size"
    )
    return Dataset.from_list(train), Dataset.from_list(held_out)
