"""JGLUE scoring: jasquad EM/F1 (SQuAD v1.1 logic with Japanese normalisation) and multiple-choice accuracy.

`specs/jglue-0.3.md` §5, §7, §8. JSQuAD per-question scores are 0/1 (EM) and 0–1 (F1), each the max over
all gold answers; the corpus values are on 0–100. Multiple choice: `acc` and `acc_norm` (log-likelihood
divided by the choice's length in characters), mean over documents with stderr = sample std / sqrt(n).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

PUNCT = (
    "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏."
    + string.punctuation
)
_PUNCT_SET = frozenset(PUNCT)
_EMOJI_RANGES = re.compile(
    "[\U0001f600-\U0001f64f\U0001f300-\U0001f5ff\U0001f680-\U0001f6ff\U0001f1e0-\U0001f1ff\U00002702-\U000027b0]+",
    flags=re.UNICODE,
)


def remove_emoji(text: str) -> str:
    import emoji

    text = "".join("" if emoji.is_emoji(c) else c for c in text)
    return _EMOJI_RANGES.sub("", text)


def normalize_answer(text: str) -> str:
    """jasquad normalisation: emoji removal, neologdn, whitespace fix. No lower-casing, no punctuation removal."""
    import neologdn

    return " ".join(neologdn.normalize(remove_emoji(text)).split())


@lru_cache(maxsize=1)
def _tagger() -> Any:
    import fugashi

    return fugashi.Tagger("-Owakati")


def answer_tokens(text: str) -> list[str]:
    """MeCab (fugashi + unidic-lite) tokens of the normalised text, without single-character punctuation."""
    return [t for t in _tagger().parse(normalize_answer(text)).split() if t not in _PUNCT_SET]


def exact_match_score(prediction: str, gold: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(gold)


def f1_score(prediction: str, gold: str) -> float:
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def jsquad_scores(prediction: str, golds: Sequence[str]) -> tuple[int, float]:
    """(EM 0/1, F1 0–1) of one question: the max over every gold answer (duplicates allowed)."""
    if not golds:
        raise ValueError("a JSQuAD question needs at least one gold answer")
    return max(int(exact_match_score(prediction, g)) for g in golds), max(f1_score(prediction, g) for g in golds)


def jsquad_corpus(predictions: Sequence[str | None], golds: Sequence[Sequence[str]]) -> dict[str, float]:
    """`{"exact_match", "f1"}` on 0–100 over all questions (a missing prediction, None, counts 0)."""
    if len(predictions) != len(golds):
        raise ValueError(f"{len(predictions)} predictions for {len(golds)} questions")
    if not golds:
        raise ValueError("no JSQuAD questions to score")
    em = f1 = 0.0
    for pred, gold in zip(predictions, golds, strict=True):
        if pred is None:
            continue
        e, f = jsquad_scores(pred, gold)
        em, f1 = em + e, f1 + f
    return {"exact_match": 100.0 * em / len(golds), "f1": 100.0 * f1 / len(golds)}


def argmax(values: Sequence[float]) -> int:
    """Index of the largest value; the first wins ties (as `np.argmax`)."""
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


def choice_scores(loglikelihoods: Sequence[float], choices: Sequence[str], gold: int) -> dict[str, int]:
    """Per-document multiple-choice result: `prediction`, `acc`, `acc_norm` (by character length)."""
    if len(loglikelihoods) != len(choices):
        raise ValueError(f"{len(loglikelihoods)} log-likelihoods for {len(choices)} choices")
    prediction = argmax(loglikelihoods)
    normed = [ll / len(c) for ll, c in zip(loglikelihoods, choices, strict=True)]
    return {"prediction": prediction, "acc": int(prediction == gold), "acc_norm": int(argmax(normed) == gold)}


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def mean_stderr(values: Sequence[float]) -> float | None:
    """Sample standard deviation (n - 1) / sqrt(n); None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    mu = mean(values)
    return math.sqrt(sum((v - mu) ** 2 for v in values) / (n - 1)) / math.sqrt(n)


def aggregate_multiple_choice(acc: Sequence[float], acc_norm: Sequence[float]) -> dict[str, float | None]:
    """`{"acc", "acc_stderr", "acc_norm", "acc_norm_stderr"}` as jp-stable printed them."""
    if not acc:
        raise ValueError("no documents to aggregate")
    return {
        "acc": mean(acc),
        "acc_stderr": mean_stderr(acc),
        "acc_norm": mean(acc_norm),
        "acc_norm_stderr": mean_stderr(acc_norm),
    }
