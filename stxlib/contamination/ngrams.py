"""Normalised text as code points and the 64-bit hashes of all its character n-grams, vectorised with numpy.

Text is NFKC-normalised (full-width letters and digits become half-width, half-width katakana full-width) and
every whitespace character is removed, so line breaks, indentation and spaces never hide an overlap. Each
segment (one text field of one row) is hashed on its own: no n-gram spans two fields or two rows.

Hash of the n-gram starting at i: `sum_k mix(c[i+k]) · B^(n−1−k) mod 2^64` (a polynomial hash over randomly
mixed code points), computed for all windows at once in n vectorised passes. Two different n-grams share a
hash with probability about 2^-64 per pair: over a 10-million-n-gram training set against a million
evaluation n-grams, about one chance in a million of a single false match per run.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (the golden ratio's bits)


_FILTER_BITS = 24  # membership prefilter: 2^24 flags (16 MB) indexed by the top bits of a hash


def _width_table() -> np.ndarray:
    """Code point -> itself, except full-width ASCII (U+FF01–FF5E) and the ideographic space, which map to their
    compatibility decompositions (a single ASCII character each)."""
    table = np.arange(0x10000, dtype=np.uint32)
    for code in [*range(0xFF01, 0xFF5F), 0x3000]:
        table[code] = ord(unicodedata.normalize("NFKD", chr(code)))
    return table


_WIDTH = _width_table()


def normalize(text: str) -> str:
    """NFKC, then every whitespace character removed."""
    return normalize_many([text])[0]


def normalize_many(texts: Sequence[str]) -> list[str]:
    """`normalize` of every text, exactly, about 8× faster than calling `unicodedata.normalize` on each.

    Full-width ASCII and the ideographic space (the bulk of NFKC's changes in Japanese text) are mapped in one
    vectorised pass; a text is then NFKC-normalised only if it still is not NFKC. Exact: replacing a character
    by its full compatibility decomposition leaves the NFKD form, hence the NFKC form, unchanged.
    """
    if not texts:
        return []
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    mapped = np.where(codes < 0x10000, _WIDTH[codes & 0xFFFF], codes).astype(np.uint32)
    joined = mapped.tobytes().decode("utf-32-le")
    out, position = [], 0
    for text in texts:
        piece = joined[position : position + len(text)]
        position += len(text)
        if not unicodedata.is_normalized("NFKC", piece):
            piece = unicodedata.normalize("NFKC", piece)
        out.append("".join(piece.split()))
    return out


@dataclass(frozen=True)
class Encoded:
    """Normalised segments concatenated: `codes[starts[s] : starts[s] + lengths[s]]` is segment s."""

    texts: list[str]  # the normalised segments (for showing overlaps)
    codes: np.ndarray  # uint64 mixed code points
    starts: np.ndarray  # int64
    lengths: np.ndarray  # int64


def encode(segments: Sequence[str]) -> Encoded:
    texts = normalize_many(segments)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    raw = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    return Encoded(texts, _mix(raw.astype(np.uint64)), starts, lengths)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: code points -> well-spread 64-bit values (neighbouring characters differ a lot)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def window_hashes(encoded: Encoded, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes of every n-gram inside a segment: `(hashes, positions in codes, segment index)`."""
    counts = np.maximum(encoded.lengths - n + 1, 0)
    total = int(counts.sum())
    segment = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    positions = encoded.starts[segment] + offsets
    if len(encoded.codes) < n or total == 0:
        return np.empty(0, np.uint64), positions, segment
    return polynomial_hashes(encoded.codes, n)[positions], positions, segment


def polynomial_hashes(codes: np.ndarray, n: int) -> np.ndarray:
    """`H[i] = sum_k codes[i+k] · B^(n−1−k) mod 2^64` for every window start i, in O(log n) vectorised passes.

    Uses `H(s[i : i+a+b]) = H(s[i : i+a]) · B^b + H(s[i+a : i+a+b])`: hashes of windows of length 1, 2, 4, ...
    are doubled, and those of the set bits of n combined.
    """
    length = len(codes)
    result: np.ndarray | None = None
    result_len = 0
    block, block_len = codes, 1  # hashes of all windows of length block_len
    remaining = n
    with np.errstate(over="ignore"):
        while True:
            if remaining & 1:
                if result is None:
                    result, result_len = block.copy(), block_len
                else:
                    size = length - (result_len + block_len) + 1
                    shift = np.uint64(pow(int(_BASE), block_len, 1 << 64))
                    result = result[:size] * shift + block[result_len : result_len + size]
                    result_len += block_len
            remaining >>= 1
            if not remaining:
                break
            size = length - 2 * block_len + 1
            shift = np.uint64(pow(int(_BASE), block_len, 1 << 64))
            block = block[:size] * shift + block[block_len : block_len + size]
            block_len *= 2
    assert result is not None and result_len == n
    return result


class HashSet:
    """A set of 64-bit hashes: sorted for binary search, with a flag table over the top bits that answers most
    "not in the set" lookups with one memory read."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.sorted = np.unique(hashes)
        self.flags = np.zeros(1 << _FILTER_BITS, dtype=bool)
        self.flags[self.sorted >> np.uint64(64 - _FILTER_BITS)] = True

    def __len__(self) -> int:
        return len(self.sorted)

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask: which `values` are in the set."""
        found = np.zeros(len(values), dtype=bool)
        if not len(self.sorted) or not len(values):
            return found
        maybe = np.flatnonzero(self.flags[values >> np.uint64(64 - _FILTER_BITS)])
        candidates = values[maybe]
        index = np.searchsorted(self.sorted, candidates)
        np.minimum(index, len(self.sorted) - 1, out=index)
        found[maybe] = self.sorted[index] == candidates
        return found
