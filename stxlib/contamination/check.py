"""Overlap between training text and evaluation sets: which evaluation documents share a character n-gram with
the training data, and how long the longest shared stretch is.

Index: the hashes of every evaluation n-gram (the smaller side: a few million at most), sorted once. Scan: the
training text in chunks of a few million characters, each chunk's n-gram hashes looked up by binary search;
memory stays bounded whatever the size of the training data. Then the evaluation n-grams found in training are
marked, and consecutive marked windows of a document form an overlap of `windows + n − 1` characters
("longest overlap": the longest stretch of the normalised document covered by n-grams that occur in the
training data).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stxlib.contamination.ngrams import HashSet, encode, window_hashes
from stxlib.contamination.sources import EvalSet, TrainingSource

CHUNK_CHARS = 4_000_000
NORMALISATION = "NFKC, all whitespace removed"


@dataclass
class _EvalIndex:
    sets: Sequence[EvalSet]
    n: int

    def __post_init__(self) -> None:
        segments, self.segment_doc = [], []
        doc = 0
        for eval_set in self.sets:
            for doc_segments in eval_set.segments:
                segments.extend(doc_segments)
                self.segment_doc.extend([doc] * len(doc_segments))
                doc += 1
        self.documents = doc
        self.encoded = encode(segments)
        self.hashes, self.positions, self.segments = window_hashes(self.encoded, self.n)
        self.unique = HashSet(self.hashes)
        self.segment_doc_a = np.asarray(self.segment_doc, dtype=np.int64)


@dataclass
class _Matches:
    hashes: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)


@dataclass
class TrainingStats:
    name: str
    path: str
    format: str
    rows: int = 0
    characters: int = 0  # after normalisation


def check_overlap(
    training: Sequence[TrainingSource],
    eval_sets: Sequence[EvalSet],
    *,
    n: int = 20,
    examples: int = 3,
    chunk_chars: int = CHUNK_CHARS,
) -> dict[str, Any]:
    """The `contamination.json` content for `training` against every set of `eval_sets`."""
    started = time.perf_counter()
    index = _EvalIndex(eval_sets, n)
    matches = _Matches()
    stats: list[TrainingStats] = []
    row_names: list[tuple[int, str]] = []  # (first global row, source name)
    next_row = 0
    for source in training:
        info = TrainingStats(source.name, str(source.path), source.format)
        row_names.append((next_row, source.name))
        buffer: list[str] = []
        buffer_rows: list[int] = []
        size = 0
        for segments in source.rows():
            buffer.extend(segments)
            buffer_rows.extend([next_row] * len(segments))
            size += sum(len(s) for s in segments)
            next_row += 1
            info.rows += 1
            if size >= chunk_chars:
                info.characters += _scan(buffer, buffer_rows, index, matches)
                buffer, buffer_rows, size = [], [], 0
        info.characters += _scan(buffer, buffer_rows, index, matches)
        stats.append(info)
    matched, matched_rows = _first_rows(matches)
    result = {
        "n": n,
        "normalisation": NORMALISATION,
        "training": {
            "rows": next_row,
            "characters": sum(s.characters for s in stats),
            "rows_with_overlap": len(np.unique(np.concatenate(matches.rows))) if matches.rows else 0,
            "files": [vars(s) for s in stats],
        },
        "eval_sets": _per_set(index, matched, matched_rows, row_names, examples),
    }
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _scan(segments: list[str], rows: list[int], index: _EvalIndex, matches: _Matches) -> int:
    """Look up one chunk of training segments; returns its normalised character count."""
    if not segments:
        return 0
    encoded = encode(segments)
    hashes, _, segment = window_hashes(encoded, index.n)
    hit = index.unique.contains(hashes)
    if hit.any():
        matches.hashes.append(hashes[hit])
        matches.rows.append(np.asarray(rows, dtype=np.int64)[segment[hit]])
    return int(encoded.lengths.sum())


def _first_rows(matches: _Matches) -> tuple[np.ndarray, np.ndarray]:
    """The distinct matched hashes (sorted) and, for each, the first training row holding it."""
    if not matches.hashes:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    hashes = np.concatenate(matches.hashes)
    rows = np.concatenate(matches.rows)
    unique, first = np.unique(hashes, return_index=True)
    return unique, rows[first]


def _per_set(
    index: _EvalIndex,
    matched: np.ndarray,
    matched_rows: np.ndarray,
    row_names: list[tuple[int, str]],
    examples: int,
) -> list[dict[str, Any]]:
    n = index.n
    longest = np.zeros(index.documents, dtype=np.int64)
    best: dict[int, tuple[int, int, int]] = {}  # doc -> (length, position, segment) of its longest overlap
    hit = HashSet(matched).contains(index.hashes)
    positions, segments = index.positions[hit], index.segments[hit]
    if len(positions):
        breaks = np.flatnonzero((np.diff(positions) != 1) | (np.diff(segments) != 0)) + 1
        starts = np.concatenate(([0], breaks))
        ends = np.concatenate((breaks, [len(positions)]))
        lengths = ends - starts + n - 1
        docs = index.segment_doc_a[segments[starts]]
        np.maximum.at(longest, docs, lengths)
        for start, length, doc in zip(starts.tolist(), lengths.tolist(), docs.tolist(), strict=True):
            if length > best.get(doc, (0, 0, 0))[0]:
                best[doc] = (length, int(positions[start]), int(segments[start]))
    out, first_doc = [], 0
    for eval_set in index.sets:
        count = len(eval_set.ids)
        docs = range(first_doc, first_doc + count)
        overlapping = [d for d in docs if longest[d] > 0]
        ranked = sorted(overlapping, key=lambda d: (-longest[d], d))[:examples]
        out.append(
            {
                "name": eval_set.name,
                "source": eval_set.source,
                "documents": count,
                "contaminated": len(overlapping),
                "share": len(overlapping) / count if count else 0.0,
                "longest": int(longest[list(docs)].max()) if count else 0,
                "overlaps": {eval_set.ids[d - first_doc]: int(longest[d]) for d in overlapping},
                "examples": [
                    _example(index, eval_set.ids[d - first_doc], best[d], matched, matched_rows, row_names)
                    for d in ranked
                ],
            }
        )
        first_doc += count
    return out


def _example(
    index: _EvalIndex,
    doc_id: str,
    run: tuple[int, int, int],
    matched: np.ndarray,
    matched_rows: np.ndarray,
    row_names: list[tuple[int, str]],
) -> dict[str, Any]:
    length, position, segment = run
    offset = position - int(index.encoded.starts[segment])
    text = index.encoded.texts[segment][offset : offset + length]
    window = index.hashes[np.searchsorted(index.positions, position)]
    row = int(matched_rows[np.searchsorted(matched, window)])
    first, name = row_names[bisect_right([start for start, _ in row_names], row) - 1]  # empty sources share a start
    return {"id": doc_id, "longest": length, "text": text, "training": {"source": name, "row": row - first}}
