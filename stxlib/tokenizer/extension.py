"""Shisa's tokenizer extension (`AUGMXNT/shisa` `pretrain/02-create-tokenizer.py`), on the tokenizer side.

1. Train a BPE with the base tokenizer's own pipeline (`train_new_from_iterator`: same normaliser,
   pre-tokeniser, model type and special tokens) on a Japanese corpus, with `max_token_length` and
   `min_frequency` passed to the `tokenizers` trainer.
2. Append, in the trained vocabulary's id order, every trained token the base lacks, with ids after the base's
   last id (added tokens included), except special tokens and the tokens the skip rule drops.
3. Re-derive the BPE merges (Shisa, after transformers#17199): for every token of the merged vocabulary, in id
   order, every split into two parts that are both tokens, leaving out splits whose two parts are both
   digit-and-punctuation pieces. `merges="append"` keeps the base's merges first instead.

The result is a fast tokenizer only (no SentencePiece `tokenizer.model`), as Shisa's was.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HAS_DIGIT = re.compile(r"[0-9]")
_DIGITS_AND_NON_WORD = re.compile(r"^([^\w]|[0-9])+$")


class ExtensionError(ValueError):
    """The extension cannot be built from these inputs; the message says why and what to change."""


def shisa_skips(token: str) -> bool:
    """Shisa's filter: a token with an ASCII digit made only of digits and non-word characters (`"2023"`,
    `"▁1,000"`, `"1."`). Pure punctuation such as `"」。"` is not skipped."""
    return bool(_HAS_DIGIT.search(token) and _DIGITS_AND_NON_WORD.match(token))


def digits_or_punctuation(token: str) -> bool:
    """The stricter rule: Shisa's, plus tokens made only of punctuation, symbols and spaces (`"」。"`, `"▁("`)."""
    if shisa_skips(token):
        return True
    body = token.replace("▁", "").replace("Ġ", "")
    return bool(body) and all(unicodedata.category(c)[0] in "PSZ" for c in body)


SKIP_RULES = {"shisa": shisa_skips, "digits_or_punctuation": digits_or_punctuation}


@dataclass
class MergedVocab:
    """The outcome of merging a trained vocabulary into the base's."""

    tokenizer_json: dict[str, Any]
    added: list[str]  # new tokens, in id order (their ids follow the base's last id)
    first_new_id: int
    trained: int  # size of the trained vocabulary
    already_present: int
    skipped: list[str] = field(default_factory=list)


def backend_json(tokenizer: Any) -> dict[str, Any]:
    """The `tokenizers` JSON of a fast tokenizer (its pipeline, model vocabulary and merges)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExtensionError(
            f"{type(tokenizer).__name__} is not a fast tokenizer; the extension needs one backed by `tokenizers`"
        )
    data = json.loads(backend.to_str())
    if data["model"]["type"] != "BPE":
        raise ExtensionError(f"the base tokenizer's model is {data['model']['type']}; the extension handles BPE only")
    return data


def train_bpe(
    base: Any,
    batches: Iterable[Sequence[str]],
    vocab_size: int,
    max_token_length: int | None = 24,
    min_frequency: int = 0,
) -> Any:
    """A BPE trained from the base tokenizer's pipeline (Shisa: `train_new_from_iterator`)."""
    backend_json(base)  # a fast BPE tokenizer, or a clear error
    kwargs: dict[str, Any] = {"min_frequency": min_frequency, "show_progress": False}
    if max_token_length is not None:
        kwargs["max_token_length"] = max_token_length
    return base.train_new_from_iterator(_lists(batches), vocab_size=vocab_size, **kwargs)


def _lists(batches: Iterable[Sequence[str]]) -> Iterator[list[str]]:
    for batch in batches:
        yield list(batch)


def merge_vocab(base: Any, trained: Any, skip: str = "shisa", merges: str = "rebuild") -> MergedVocab:
    """The base's tokenizer JSON with the trained tokens it lacks appended and the merges rebuilt."""
    if skip not in SKIP_RULES:
        raise ExtensionError(f"unknown skip rule {skip!r}; use one of {', '.join(SKIP_RULES)}")
    if merges not in ("rebuild", "append"):
        raise ExtensionError(f"unknown merges mode {merges!r}; use rebuild or append")
    data = backend_json(base)
    trained_data = backend_json(trained)
    base_vocab: dict[str, int] = data["model"]["vocab"]
    full_vocab = base.get_vocab()  # the model vocabulary plus added tokens (e.g. stx-tiny's <|end_of_turn|>)
    specials = {token["content"] for token in trained_data["added_tokens"]}
    is_skipped = SKIP_RULES[skip]
    first_new_id = max(full_vocab.values()) + 1
    # Added tokens outside the model vocabulary (stx-tiny's <|end_of_turn|> and <|PAD|> at 3000-3001) go into it at
    # their ids: `tokenizers` renumbers added tokens that the model lacks, which would move them past the new ones.
    outside = {t["content"]: t["id"] for t in data["added_tokens"] if t["content"] not in base_vocab}
    vocab = dict(sorted({**base_vocab, **outside}.items(), key=lambda item: item[1]))
    added: list[str] = []
    skipped: list[str] = []
    present = 0
    ordered = sorted(trained_data["model"]["vocab"].items(), key=lambda item: item[1])
    for token, _ in ordered:
        if token in full_vocab or token in specials:
            present += 1
        elif is_skipped(token):
            skipped.append(token)
        else:
            vocab[token] = first_new_id + len(added)
            added.append(token)
    if merges == "rebuild":
        new_merges = derive_merges([t for t in vocab if t not in outside], vocab)
    else:
        new_merges = [_pair(m) for m in data["model"]["merges"]] + derive_merges(added, vocab)
    data["model"]["vocab"] = vocab
    data["model"]["merges"] = new_merges
    return MergedVocab(data, added, first_new_id, len(ordered), present, skipped)


def derive_merges(tokens: Iterable[str], vocab: dict[str, int]) -> list[list[str]]:
    """Every split of each token into two vocabulary entries, tokens in the order given, split points left to
    right; splits whose both halves are digit-and-punctuation pieces are left out (Shisa's rule, whatever `skip`)."""
    out: list[list[str]] = []
    for token in tokens:
        for i in range(1, len(token)):
            left, right = token[:i], token[i:]
            if left in vocab and right in vocab and not (shisa_skips(left) and shisa_skips(right)):
                out.append([left, right])
    return out


def _pair(merge: Any) -> list[str]:
    return merge.split(" ", 1) if isinstance(merge, str) else list(merge)


def build_extended_tokenizer(base: Any, merged: MergedVocab, out_dir: Path) -> Any:
    """Write the extended tokenizer into `out_dir` (the base's settings, the merged `tokenizer.json`, no stale
    SentencePiece model) and load it back; checks that it encodes exactly as the merged JSON says."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    text = json.dumps(merged.tokenizer_json, ensure_ascii=False)
    backend = Tokenizer.from_str(text)
    base.save_pretrained(str(out_dir))
    (out_dir / "tokenizer.json").write_text(text, encoding="utf-8")
    for stale in ("tokenizer.model", "vocab.json", "merges.txt"):
        (out_dir / stale).unlink(missing_ok=True)
    extended = AutoTokenizer.from_pretrained(str(out_dir))
    probe = "".join(merged.added[:50]) + " Hello, 世界! 123"
    expected = backend.encode(probe, add_special_tokens=False).ids
    got = extended(probe, add_special_tokens=False)["input_ids"]
    ids = {
        **merged.tokenizer_json["model"]["vocab"],
        **{t["content"]: t["id"] for t in merged.tokenizer_json["added_tokens"]},
    }
    if got != expected or extended.get_vocab() != ids or len(extended) != len(base) + len(merged.added):
        raise ExtensionError(
            f"the saved extended tokenizer in {out_dir} does not reload as built ({type(extended).__name__}); "
            "the base tokenizer class may rebuild its pipeline on load"
        )
    return extended


def token_pieces(old_tokenizer: Any, token: str) -> list[int]:
    """A new token's pieces under the old tokenizer: its vocabulary string (e.g. `"▁東京"`) split by the old BPE
    model alone, without normalisation or pre-tokenisation, byte fallback included."""
    backend = old_tokenizer.backend_tokenizer
    pieces = [t.id for t in backend.model.tokenize(token)]
    if not pieces:
        raise ExtensionError(f"the old tokenizer cannot split new token {token!r} into pieces")
    return pieces
