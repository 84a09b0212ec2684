"""Characters per token exactly as Shisa measured it (`eval/tokenizer-efficiency/tokenizer-efficiency-ja.py`).

`chars_per_token = sum(len(text)) / sum(len(tokenizer(text)["input_ids"]))` over the first N documents of a
corpus: `len` counts Unicode code points, the tokenizer is called the default way, so BOS (and any other special
token it adds) is counted in every document, and the vocabulary size is `tokenizer.vocab_size` (the base
vocabulary, without added tokens). Documents are tokenised in batches (the same ids as one call per document).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from stxlib.config import CorpusRef
from stxlib.tokenization import load_tokenizer as load_shipped_tokenizer
from stxlib.tokenizer.corpus import corpus_batches, iter_batches
from stxlib.tokenizer.offline import resolve_tokenizer_path

RESULT_KEYS = ("tokenizer", "corpus", "documents", "chars", "tokens", "chars_per_token", "vocab_size")


@dataclass(frozen=True)
class Efficiency:
    """One row of `tokenizer/efficiency.json`."""

    tokenizer: str
    corpus: str
    documents: int
    chars: int
    tokens: int
    chars_per_token: float
    vocab_size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_tokenizer(name_or_path: str, *, revision: str | None = None, trust_remote_code: bool = False) -> Any:
    """The floor's tokenizer loader (`stxlib.tokenization`), with `stx-mistral-tokenizer` resolved to its stx cache
    folder first (`stx-tiny` resolves there). Raises `ModelLoadError` naming the tokenizer and the fix."""
    return load_shipped_tokenizer(
        resolve_tokenizer_path(name_or_path), revision=revision, trust_remote_code=trust_remote_code
    )


class Counter:
    """Running totals of one tokenizer over one corpus."""

    def __init__(self, label: str, corpus: str, tokenizer: Any) -> None:
        self.label, self.corpus, self.tokenizer = label, corpus, tokenizer
        self.documents = self.chars = self.tokens = 0

    def add(self, texts: Sequence[str]) -> None:
        if not texts:
            return
        ids = self.tokenizer(list(texts), verbose=False)["input_ids"]
        self.documents += len(texts)
        self.chars += sum(len(text) for text in texts)
        self.tokens += sum(len(row) for row in ids)

    def result(self) -> Efficiency:
        if self.documents == 0:
            raise ValueError(f"corpus {self.corpus!r} has no documents: nothing to measure")
        return Efficiency(
            tokenizer=self.label,
            corpus=self.corpus,
            documents=self.documents,
            chars=self.chars,
            tokens=self.tokens,
            chars_per_token=self.chars / self.tokens,
            vocab_size=int(self.tokenizer.vocab_size),
        )


def measure_texts(tokenizers: Mapping[str, Any], corpus: str, batches: Iterable[Sequence[str]]) -> list[Efficiency]:
    """Every tokenizer (label -> tokenizer) over one stream of document batches, read once."""
    counters = [Counter(label, corpus, tok) for label, tok in tokenizers.items()]
    for batch in batches:
        for counter in counters:
            counter.add(batch)
    return [counter.result() for counter in counters]


def measure(tokenizer: Any, texts: Sequence[str], label: str = "tokenizer", corpus: str = "texts") -> Efficiency:
    """One tokenizer over a list of texts."""
    return measure_texts({label: tokenizer}, corpus, iter_batches(iter(texts), 256))[0]


def measure_corpora(
    tokenizers: Mapping[str, Any],
    corpora: Sequence[CorpusRef],
    batch_size: int = 256,
    cache_dir: str | None = None,
    progress: bool = False,
) -> list[Efficiency]:
    """Every tokenizer over every corpus (each corpus streamed once); rows in corpus, then tokenizer order."""
    results: list[Efficiency] = []
    for corpus in corpora:
        batches = corpus_batches(corpus, batch_size, cache_dir)
        if progress:
            from tqdm.auto import tqdm

            total = None if corpus.limit is None else -(-corpus.limit // batch_size)
            batches = tqdm(batches, desc=f"corpus {corpus.name}", unit="batch", total=total)
        results.extend(measure_texts(tokenizers, corpus.name, batches))
    return results


def efficiency_payload(
    results: Sequence[Efficiency], tokenizers: Mapping[str, str], corpora: Sequence[CorpusRef]
) -> dict[str, Any]:
    """`tokenizer/efficiency.json`: the design's `results` rows, plus where each tokenizer and corpus came from."""
    return {
        "results": [r.to_dict() for r in results],
        "tokenizers": [{"label": label, "name_or_path": name} for label, name in tokenizers.items()],
        "corpora": [
            {
                "name": c.name,
                "lang": c.lang,
                "source": c.path or f"{c.hub_id}/{c.hub_file}",
                "limit": c.limit,
            }
            for c in corpora
        ],
        "definition": "chars_per_token = sum(len(text)) / sum(len(tokenizer(text)['input_ids'])), default call "
        "(BOS counted), code points; vocab_size = tokenizer.vocab_size",
    }


def read_results(payload: Mapping[str, Any]) -> list[Efficiency]:
    """The rows of an `efficiency.json` payload, checked."""
    rows = payload.get("results")
    if not isinstance(rows, list):
        raise ValueError("efficiency.json has no `results` list")
    out = []
    for index, row in enumerate(rows):
        missing = [k for k in RESULT_KEYS if k not in row]
        if missing:
            raise ValueError(f"efficiency.json results[{index}] lacks {', '.join(missing)}")
        out.append(Efficiency(**{k: row[k] for k in RESULT_KEYS}))
    return out
