"""Draft tokens for greedy rows, looked up in the row's own text (prompt lookup decoding).

A greedy answer often repeats what is already there: an extractive answer copies a span of its context, a
small or untrained model loops on a phrase. `NgramIndex` remembers, for every n-gram (n = 1 .. 3) of a row's
prompt and new tokens, where its latest occurrence was followed by another token; `draft` proposes the tokens
that followed the latest earlier occurrence of the row's current suffix (continuing the period when that
occurrence is part of a loop that runs up to the suffix). The decoder feeds the drafts with the
row's newest token in one forward pass and keeps the model's own argmax tokens for as long as the drafts agree
with them (plus the next one), so a draft only saves forward passes and never changes the output: the tokens
kept are the ones greedy decoding chooses.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_NGRAM = 3
MAX_DRAFT = 8  # tokens proposed per step


class NgramIndex:
    """The latest continuation position of every n-gram of a growing token sequence."""

    def __init__(self, tokens: Iterable[int], max_ngram: int = MAX_NGRAM) -> None:
        self.max_ngram = max_ngram
        self.tokens: list[int] = []
        self.follow: dict[tuple[int, ...], int] = {}
        for token in tokens:
            self.append(token)

    def append(self, token: int) -> None:
        """Add `token`; the n-grams ending just before it now have a continuation at its position."""
        seq = self.tokens
        end = len(seq)
        for n in range(1, self.max_ngram + 1):
            if end >= n:
                self.follow[tuple(seq[end - n : end])] = end
        seq.append(token)

    def draft(self, limit: int = MAX_DRAFT) -> list[int]:
        """Up to `limit` tokens that followed the latest earlier occurrence of the longest matching suffix."""
        if limit < 1:
            return []
        seq = self.tokens
        for n in range(min(self.max_ngram, len(seq)), 0, -1):
            start = self.follow.get(tuple(seq[len(seq) - n :]))
            if start is not None:
                draft = seq[start : start + limit]
                while len(draft) < limit:  # the match runs into the suffix: a loop, continued as such
                    draft.append(draft[len(draft) - (len(seq) - start)])
                return draft
        return []
