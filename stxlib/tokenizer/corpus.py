"""Text corpora for the tokenizer stage, streamed in batches of documents.

A corpus is a local file (JSON lines with a `text` field, parquet with a `text` column, or plain text with one
document per non-empty line; JSON lines and text may be gzip-compressed, `.jsonl.gz`) or one file of a hub
dataset repository (e.g. CulturaX's `ja/ja_part_00004.parquet`, which Shisa measured), downloaded with
`huggingface_hub.hf_hub_download` and then read like a local file. Nothing is read whole: 50,000 CulturaX
documents are about 85M characters.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO

import huggingface_hub

from stxlib.config import CorpusRef

SUFFIX_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".txt": "text", ".text": "text"}


class CorpusError(ValueError):
    """A corpus cannot be read; the message names the file (and line) and the fix."""


def corpus_format(path: Path, declared: str = "auto") -> str:
    if declared != "auto":
        return declared
    suffix = Path(path.stem).suffix if path.suffix.lower() == ".gz" else path.suffix
    fmt = SUFFIX_FORMATS.get(suffix.lower())
    if fmt is None or (fmt == "parquet" and suffix != path.suffix):
        raise CorpusError(
            f"cannot tell the format of {path} from its suffix; name it .jsonl, .parquet or .txt (.jsonl.gz, .txt.gz), "
            "or set the corpus `format` (jsonl, parquet or text)"
        )
    return fmt


def corpus_file(corpus: CorpusRef, cache_dir: str | None = None) -> Path:
    """The local file of a corpus, downloading a hub file first."""
    if corpus.path:
        path = Path(corpus.path).expanduser()
        if not path.is_file():
            raise CorpusError(f"corpus {corpus.name!r}: file not found: {path} (check the corpus `path`)")
        return path
    assert corpus.hub_id and corpus.hub_file  # CorpusRef's validator guarantees one origin
    try:
        local = huggingface_hub.hf_hub_download(
            corpus.hub_id, corpus.hub_file, repo_type="dataset", revision=corpus.revision, cache_dir=cache_dir
        )
    except Exception as err:  # offline, gated, missing file: the caller gets one clear message
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
        raise CorpusError(
            f"corpus {corpus.name!r}: cannot download {corpus.hub_file} from dataset {corpus.hub_id} "
            f"({type(err).__name__}: {first}). Without hub access give a local `path`; gated datasets such as "
            "uonlp/CulturaX need their terms accepted on the hub and `hf auth login`."
        ) from None
    return Path(local)


def iter_documents(path: Path, fmt: str = "auto", text_field: str = "text") -> Iterator[str]:
    """Every document of a file, in order."""
    fmt = corpus_format(path, fmt)
    if not path.is_file():
        raise CorpusError(f"corpus file not found: {path}")
    if fmt == "jsonl":
        yield from _jsonl(path, text_field)
    elif fmt == "parquet":
        yield from _parquet(path, text_field)
    elif fmt == "text":
        with _open_text(path) as fh:
            for line in fh:
                line = line.rstrip("\r\n")
                if line.strip():
                    yield line
    else:
        raise CorpusError(f"unknown corpus format {fmt!r} for {path}; use jsonl, parquet or text")


def _open_text(path: Path) -> IO[str]:
    """A text file, gzip-compressed when it ends in `.gz` (e.g. MADLAD-400's `ja_clean_0000.jsonl.gz`)."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _jsonl(path: Path, field: str) -> Iterator[str]:
    with _open_text(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise CorpusError(
                    f"{path}:{number}: not valid JSON ({err.msg}); a corpus row is {{{field!r}: ...}}"
                ) from None
            if not isinstance(row, dict) or field not in row:
                keys = ", ".join(row) if isinstance(row, dict) else type(row).__name__
                raise CorpusError(
                    f"{path}:{number}: no {field!r} field (found: {keys}); every row needs {{{field!r}: ...}}, "
                    "or set the corpus `text_field`"
                )
            text = row[field]
            if not isinstance(text, str):
                raise CorpusError(f"{path}:{number}: {field!r} is {type(text).__name__}, not a string")
            yield text


def _parquet(path: Path, field: str) -> Iterator[str]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:
        raise CorpusError(f"{path}: not a readable parquet file ({err})") from None
    columns = parquet.schema_arrow.names
    if field not in columns:
        raise CorpusError(f"{path}: no {field!r} column (columns: {', '.join(columns)}); set the corpus `text_field`")
    row = 0
    for batch in parquet.iter_batches(columns=[field], batch_size=1024):
        for text in batch.column(0).to_pylist():
            row += 1
            if not isinstance(text, str):
                raise CorpusError(f"{path}: row {row}: {field!r} is {type(text).__name__}, not a string")
            yield text


def iter_batches(docs: Iterator[str], batch_size: int, limit: int | None = None) -> Iterator[list[str]]:
    """Documents in lists of `batch_size`, stopping after the first `limit`."""
    if limit is not None and limit <= 0:
        raise CorpusError(f"limit must be a positive number of documents, got {limit}")
    if batch_size <= 0:
        raise CorpusError(f"batch size must be positive, got {batch_size}")
    if limit is not None:
        docs = islice(docs, limit)
    while batch := list(islice(docs, batch_size)):
        yield batch


def corpus_batches(corpus: CorpusRef, batch_size: int, cache_dir: str | None = None) -> Iterator[list[str]]:
    """The first `corpus.limit` documents of a corpus, in batches."""
    path = corpus_file(corpus, cache_dir)
    return iter_batches(iter_documents(path, corpus.format, corpus.text_field), batch_size, corpus.limit)


def local_corpus(path: str | Path, limit: int | None = None, name: str | None = None, lang: str = "ja") -> CorpusRef:
    """A `CorpusRef` for a local file (the CLI's `--corpus FILE`), named after the file."""
    path = Path(path).expanduser()
    return CorpusRef(name=name or path.stem, path=str(path.resolve()), lang=lang, limit=limit)
