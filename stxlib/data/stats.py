"""Length statistics of a mix: characters, tokens as the qlora collator counts them, truncation."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from stxlib.data.mixing import MixResult
from stxlib.train.collator import source_target_ids


def summarize(values: Sequence[int]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "min": ordered[0],
        "mean": round(statistics.fmean(ordered), 2),
        "median": statistics.median(ordered),
        "p95": p95,
        "max": ordered[-1],
    }


def token_lengths(rows: Sequence[dict[str, str]], tokenizer) -> tuple[list[int], list[int]]:
    """Token counts of `bos + input` and `output + eos`, tokenised separately without special
    tokens and without truncation, exactly as the qlora collator builds them."""
    if not rows:
        return [], []
    src, tgt = source_target_ids(tokenizer, rows)
    return [len(x) for x in src], [len(x) for x in tgt]


def split_stats(
    rows: Sequence[dict[str, str]], tokenizer, source_max_len: int, target_max_len: int
) -> dict[str, dict[str, Any]]:
    """Per source (and `all`): character and token length summaries and truncated fractions.
    Every row is tokenised once; the per-source figures are slices of the same lengths."""
    src_all, tgt_all = token_lengths(rows, tokenizer)
    by_source: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_source.setdefault(row["source"], []).append(index)
    out: dict[str, dict[str, Any]] = {}
    for name, indices in [*sorted(by_source.items()), ("all", list(range(len(rows))))]:
        group = [rows[i] for i in indices]
        src_tokens = [src_all[i] for i in indices]
        tgt_tokens = [tgt_all[i] for i in indices]
        n = len(group)
        out[name] = {
            "rows": n,
            "input_chars": summarize([len(r["input"]) for r in group]),
            "output_chars": summarize([len(r["output"]) for r in group]),
            "source_tokens": summarize(src_tokens),
            "target_tokens": summarize(tgt_tokens),
            "source_truncated": round(sum(t > source_max_len for t in src_tokens) / n, 4) if n else 0.0,
            "target_truncated": round(sum(t > target_max_len for t in tgt_tokens) / n, 4) if n else 0.0,
        }
    return out


def mix_stats(mix: MixResult, tokenizer, tokenizer_name: str, seed: int, data) -> dict[str, Any]:
    """Everything `data/mix_stats.json` records."""
    return {
        "split_option": data.split,
        "seed": seed,
        "samples_per_source": data.samples_per_source,
        "eval_size": data.eval_size,
        "source_max_len": data.source_max_len,
        "target_max_len": data.target_max_len,
        "tokenizer": tokenizer_name,
        "totals": {"train": len(mix.train), "validation": len(mix.validation), "discarded": mix.discarded},
        "sources": mix.counts,
        "lengths": {
            "train": split_stats(mix.train, tokenizer, data.source_max_len, data.target_max_len),
            "validation": split_stats(mix.validation, tokenizer, data.source_max_len, data.target_max_len),
        },
    }
