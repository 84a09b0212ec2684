"""The whole extension: train, merge, rebuild the tokenizer, resize and initialise the model, save the folder."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from stxlib.config import CorpusRef, ExtensionSection
from stxlib.io import atomic_dir, read_json, write_json
from stxlib.tokenizer.corpus import corpus_batches
from stxlib.tokenizer.efficiency import load_tokenizer
from stxlib.tokenizer.embeddings import padded_size, resize_and_init
from stxlib.tokenizer.extension import ExtensionError, build_extended_tokenizer, merge_vocab, train_bpe

TRAIN_BATCH = 1000  # documents per batch handed to the BPE trainer (Shisa's batch_iterator)


class _Counting:
    """Passes batches through and counts their documents."""

    def __init__(self, batches: Iterable[Sequence[str]]) -> None:
        self.batches, self.documents, self.chars = batches, 0, 0

    def __iter__(self) -> Iterator[Sequence[str]]:
        for batch in self.batches:
            self.documents += len(batch)
            self.chars += sum(len(t) for t in batch)
            yield batch


def extension_settings(ext: ExtensionSection, base: str, revision: str | None) -> dict[str, Any]:
    """What decides the extended folder's content (reused when unchanged)."""
    settings = ext.model_dump(mode="json", exclude={"enabled", "label", "base_model"})
    return {"base": base, "revision": revision, **settings}


def reusable(out_dir: Path, summary_file: Path, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The previous summary when `out_dir` was built with exactly these settings (an interrupted stage resumes
    without training the BPE again)."""
    if not summary_file.is_file() or not (out_dir / "tokenizer.json").is_file():
        return None
    try:
        summary = read_json(summary_file)
    except (OSError, json.JSONDecodeError):
        return None
    if summary.get("settings") != settings:
        return None
    if settings["resize_model"] and not (out_dir / "config.json").is_file():
        return None
    return summary


def extend_tokenizer_and_model(
    ext: ExtensionSection,
    base: str,
    out_dir: Path,
    summary_file: Path,
    *,
    base_tokenizer: str | None = None,
    revision: str | None = None,
    corpus: CorpusRef | None = None,
    cache_dir: str | None = None,
) -> dict[str, Any]:
    """Extend `base` (a model folder or hub id; `base_tokenizer` when the tokenizer lives elsewhere) with a BPE
    trained on `ext.corpus`, write the extended tokenizer (and resized model) into `out_dir` and the summary
    into `summary_file`. Returns the summary."""
    corpus = corpus or ext.corpus
    if corpus is None:
        raise ExtensionError("the extension needs a corpus: set tokenizer.extension.corpus")
    settings = extension_settings(ext.model_copy(update={"corpus": corpus}), base, revision)
    previous = reusable(out_dir, summary_file, settings)
    if previous is not None:
        print(f"extension: reusing {out_dir} (same settings)")
        return previous
    old = load_tokenizer(base_tokenizer or base, revision=revision)
    batches = _Counting(corpus_batches(corpus, TRAIN_BATCH, cache_dir))
    trained = train_bpe(old, batches, ext.vocab_size, ext.max_token_length, ext.min_frequency)
    if batches.documents == 0:
        raise ExtensionError(f"extension corpus {corpus.name!r} has no documents")
    merged = merge_vocab(old, trained, skip=ext.skip, merges=ext.merges)
    if not merged.added:
        raise ExtensionError(
            f"the BPE trained on {corpus.name!r} found no token that {base} lacks; raise "
            "tokenizer.extension.vocab_size or use a larger corpus"
        )
    n_tokens = len(old) + len(merged.added)
    with atomic_dir(out_dir) as tmp:
        extended = build_extended_tokenizer(old, merged, tmp)
        embedding = None
        rows = padded_size(n_tokens, ext.pad_to_multiple_of)
        if ext.resize_model:
            embedding = _extend_model(base, revision, ext, old, merged, n_tokens, tmp)
            rows = embedding["rows_after"]
        summary = {
            "settings": settings,
            "base": base,
            "corpus": corpus.name,
            "documents": batches.documents,
            "chars": batches.chars,
            "trained_vocab_size": merged.trained,
            "already_present": merged.already_present,
            "skipped": len(merged.skipped),
            "added": len(merged.added),
            "first_new_id": merged.first_new_id,
            "vocab_size": int(extended.vocab_size),
            "tokenizer_len": len(extended),
            "embedding_rows": rows,
            "embedding": embedding,
            "added_tokens": merged.added,
            "skipped_tokens": merged.skipped,
        }
    write_json(summary_file, summary)
    return summary


def _extend_model(
    base: str, revision: str | None, ext: ExtensionSection, old: Any, merged: Any, n_tokens: int, out_dir: Path
) -> dict[str, Any]:
    from stxlib.modeling import ModelLoadError, load_causal_lm

    try:
        model = load_causal_lm(base, dtype=ext.dtype, revision=revision, device_map={"": "cpu"})
    except (ModelLoadError, OSError, ValueError) as err:  # no weights there: transformers says ValueError
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ExtensionError(
            f"cannot load {base} as a causal LM to resize ({first}). To extend only the tokenizer, set "
            "tokenizer.extension.resize_model=false (stx tokenizer extend --tokenizer-only)."
        ) from None
    embedding = resize_and_init(model, old, merged.added, merged.first_new_id, n_tokens, ext.pad_to_multiple_of)
    model.save_pretrained(str(out_dir))
    return embedding
