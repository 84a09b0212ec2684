"""Tables for the tokenizer notebook: efficiency, before/after the extension, how sentences split."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from stxlib.tokenizer.efficiency import Efficiency

EXAMPLE_SENTENCES = (
    "みどり町の図書館では、毎週土曜日に子ども向けの読み聞かせの会が開かれています。",
    "東京都の人口は約1,400万人で、日本で最も多い。",
    "The library holds a reading session for children every Saturday.",
)


def results_frame(results: Sequence[Efficiency]) -> pd.DataFrame:
    """Every row of `efficiency.json`, as measured."""
    return pd.DataFrame([r.to_dict() for r in results])


def efficiency_frame(results: Sequence[Efficiency], langs: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Tokenizers down, corpora across (chars/token, 4 decimals), with each tokenizer's `vocab_size`."""
    langs = langs or {}
    table = results_frame(results)
    if table.empty:
        return table
    wide = table.pivot(index="tokenizer", columns="corpus", values="chars_per_token")
    wide = wide.loc[list(dict.fromkeys(table["tokenizer"])), list(dict.fromkeys(table["corpus"]))]
    wide.columns = [f"{c} ({langs[c]})" if c in langs else c for c in wide.columns]
    vocab = table.drop_duplicates("tokenizer").set_index("tokenizer")["vocab_size"]
    wide.insert(0, "vocab_size", vocab.loc[wide.index])
    return wide.round(4)


def extension_frame(results: Sequence[Efficiency], base: str | None, extended: str | None) -> pd.DataFrame:
    """Per corpus: the base's and the extended tokenizer's chars/token, their ratio and the tokens saved (empty
    without an extension)."""
    if base is None or extended is None:
        return pd.DataFrame()
    by = {(r.tokenizer, r.corpus): r for r in results}
    rows = []
    for corpus in dict.fromkeys(r.corpus for r in results):
        before, after = by.get((base, corpus)), by.get((extended, corpus))
        if before is None or after is None:
            continue
        rows.append(
            {
                "corpus": corpus,
                f"{base} chars/token": round(before.chars_per_token, 4),
                f"{extended} chars/token": round(after.chars_per_token, 4),
                "ratio": round(after.chars_per_token / before.chars_per_token, 3),
                "tokens saved": f"{1 - after.tokens / before.tokens:.1%}",
            }
        )
    return pd.DataFrame(rows)


def extension_summary_frame(summary: Mapping[str, Any] | None) -> pd.DataFrame:
    """The extension at a glance: trained, already present, skipped, added, vocabulary and embedding rows."""
    if not summary:
        return pd.DataFrame()
    keys = ["base", "corpus", "documents", "chars", "trained_vocab_size", "already_present", "skipped", "added"]
    keys += ["vocab_size", "tokenizer_len", "embedding_rows"]
    return pd.DataFrame({"value": [summary.get(k) for k in keys]}, index=keys)


def added_tokens_frame(summary: Mapping[str, Any] | None, n: int = 40) -> pd.DataFrame:
    """The first `n` added tokens and the first skipped ones, side by side."""
    if not summary:
        return pd.DataFrame()
    added = list(summary.get("added_tokens", []))[:n]
    skipped = list(summary.get("skipped_tokens", []))[:n]
    length = max(len(added), len(skipped))
    return pd.DataFrame(
        {"added": added + [""] * (length - len(added)), "skipped": skipped + [""] * (length - len(skipped))}
    )


def split_frame(tokenizers: Mapping[str, Any], sentences: Sequence[str] = EXAMPLE_SENTENCES) -> pd.DataFrame:
    """How each sentence splits under each tokenizer: the token strings of a default call (BOS included)."""
    rows = []
    for sentence in sentences:
        for label, tokenizer in tokenizers.items():
            ids = tokenizer(sentence)["input_ids"]
            pieces = tokenizer.convert_ids_to_tokens(ids)
            rows.append(
                {
                    "sentence": sentence,
                    "tokenizer": label,
                    "tokens": len(ids),
                    "chars/token": round(len(sentence) / len(ids), 3),
                    "pieces": " | ".join(str(p) for p in pieces),
                }
            )
    return pd.DataFrame(rows)


def split_table(tokenizers: Mapping[str, Any], sentences: Sequence[str] = EXAMPLE_SENTENCES) -> Any:
    """`split_frame` styled for a notebook: left-aligned, wrapped, with `<s>` and `<0xE5>` shown as text."""
    frame = split_frame(tokenizers, sentences)
    styled = frame.style.format(escape="html", precision=3)
    return styled.set_properties(**{"text-align": "left", "white-space": "pre-wrap"})
