"""Length statistics of a mix: characters, tokens as the qlora collator counts them, truncation."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from stxlib.data.mixing import MixResult
from stxlib.tokenization import source_target_ids


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


Lengths = tuple[list[int], list[int]]  # per-row token counts of `bos + input` and `output + eos`, in row order


def token_lengths(rows: Sequence[dict[str, str]], tokenizer) -> Lengths:
    """Token counts of `bos + input` and `output + eos`, tokenised separately without special
    tokens and without truncation, exactly as the qlora collator builds them."""
    if not rows:
        return [], []
    src, tgt = source_target_ids(tokenizer, rows)
    return [len(x) for x in src], [len(x) for x in tgt]


def mix_lengths(mix: MixResult, tokenizer) -> dict[str, Lengths]:
    """Every row of the mix tokenised once: split name -> its rows' token lengths."""
    return {"train": token_lengths(mix.train, tokenizer), "validation": token_lengths(mix.validation, tokenizer)}


def source_rows(rows: Sequence[dict[str, str]]) -> dict[str, list[int]]:
    """Source name -> the indexes of its rows, sources in name order."""
    by_source: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_source.setdefault(row["source"], []).append(index)
    return dict(sorted(by_source.items()))


def lengths_by_source(rows: Sequence[dict[str, str]], lengths: Lengths) -> dict[str, Lengths]:
    """The split's token lengths sliced per source (sources in name order)."""
    src, tgt = lengths
    return {name: ([src[i] for i in idx], [tgt[i] for i in idx]) for name, idx in source_rows(rows).items()}


def split_stats(
    rows: Sequence[dict[str, str]], lengths: Lengths, source_max_len: int, target_max_len: int
) -> dict[str, dict[str, Any]]:
    """Per source (and `all`): character and token length summaries and truncated fractions, from the
    rows and their token `lengths` (`token_lengths`)."""
    src_all, tgt_all = lengths
    out: dict[str, dict[str, Any]] = {}
    for name, indices in [*source_rows(rows).items(), ("all", list(range(len(rows))))]:
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


def mix_stats(mix: MixResult, lengths: dict[str, Lengths], tokenizer_name: str, seed: int, data) -> dict[str, Any]:
    """Everything `data/mix_stats.json` records; `lengths` from `mix_lengths`."""
    return {
        "split_option": data.split,
        "seed": seed,
        "samples_per_source": data.samples_per_source,
        "eval_size": data.eval_size,
        "source_max_len": data.source_max_len,
        "target_max_len": data.target_max_len,
        "tokenizer": tokenizer_name,
        "totals": {"train": len(mix.train), "validation": len(mix.validation), "discarded": mix.discarded},
        "warnings": list(mix.warnings),
        "sources": mix.counts,
        "lengths": {
            split: split_stats(rows, lengths[split], data.source_max_len, data.target_max_len)
            for split, rows in (("train", mix.train), ("validation", mix.validation))
        },
    }
