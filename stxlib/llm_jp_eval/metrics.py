"""llm-jp-eval 1.1's post-processing and metrics, re-implemented (its metric libraries are GPL).

- `postprocess`: `NFKC(output).split("\\n")[0]`, no strip; golds are NFKC-normalised.
- `exact_match`: accuracy (string equality).
- `char_f1`: fuzzywuzzy 0.18's `token_sort_ratio(pred, gold) / 100` with python-Levenshtein, rebuilt on rapidfuzz:
  each string has U+0080–U+00FF deleted, every non-word character (`\\W`) replaced by a space, is lower-cased and
  stripped, then split on whitespace, sorted and joined with one space; equal strings (both empty too) score 100,
  one empty string 0, otherwise `round(100 * (n - d) / n)` with `n` the summed lengths and `d` the Indel distance
  (python-Levenshtein's `ratio`, rounded as Python's `round`). It is a character similarity, not a token F1;
  plain `rapidfuzz.fuzz.token_sort_ratio` gives other numbers.
- `pearson` / `spearman` (scipy) of `float(gold)` against the prediction with `[^0-9.]` removed (−2.0 when that
  does not parse); NaN becomes 0.0.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections.abc import Sequence
from statistics import mean

from rapidfuzz.distance import Indel

_NON_WORD = re.compile(r"(?ui)\W")
_LATIN1 = dict.fromkeys(range(128, 256))  # fuzzywuzzy's force_ascii: these code points are deleted
_NOT_NUMBER = re.compile(r"[^0-9.]")
UNPARSABLE = -2.0


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def postprocess(output: str) -> str:
    """The prediction llm-jp-eval 1.1 scored: the NFKC output up to its first newline (not stripped)."""
    return normalize(output).split("\n")[0]


def _process_and_sort(text: str) -> str:
    text = _NON_WORD.sub(" ", text.translate(_LATIN1)).lower().strip()
    return " ".join(sorted(text.split())).strip()


def token_sort_ratio(pred: str, gold: str) -> int:
    """fuzzywuzzy 0.18 `fuzz.token_sort_ratio` with python-Levenshtein (0–100)."""
    a, b = _process_and_sort(pred), _process_and_sort(gold)
    if a == b:
        return 100
    if not a or not b:
        return 0
    total = len(a) + len(b)
    return round(100 * ((total - Indel.distance(a, b)) / total))  # python-Levenshtein's ratio, Python's round


def char_f1(pred: str, gold: str) -> float:
    """One sample's char_f1 (0–1)."""
    return token_sort_ratio(pred, gold) / 100.0


def exact_match(pred: str, gold: str) -> int:
    return 1 if pred == gold else 0


def parse_float(text: str) -> float:
    """The prediction as a number: every character but digits and dots removed; −2.0 when that fails."""
    try:
        return float(_NOT_NUMBER.sub("", str(text)))
    except ValueError:
        return UNPARSABLE


def correlation(kind: str, golds: Sequence[float], preds: Sequence[float]) -> float:
    """scipy's Pearson or Spearman coefficient; NaN (constant input, fewer than two samples) becomes 0.0."""
    from scipy.stats import ConstantInputWarning, pearsonr, spearmanr

    if len(golds) < 2:  # scipy raises; llm-jp-eval's own rule for an undefined coefficient is 0.0
        return 0.0
    func = {"pearson": pearsonr, "spearman": spearmanr}[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        value = float(func(list(golds), list(preds))[0])
    return 0.0 if math.isnan(value) else value


def dataset_score(metric: str, preds: Sequence[str], golds: Sequence[str]) -> float:
    """The dataset-level value of `metric` over (post-processed) predictions and (normalised) golds."""
    if len(preds) != len(golds):
        raise ValueError(f"{len(preds)} predictions but {len(golds)} golds")
    if metric == "exact_match":
        return sum(exact_match(p, g) for p, g in zip(preds, golds, strict=True)) / len(preds)
    if metric == "char_f1":
        return mean(char_f1(p, g) for p, g in zip(preds, golds, strict=True))
    if metric in ("pearson", "spearman"):
        return correlation(metric, [float(g) for g in golds], [parse_float(p) for p in preds])
    raise ValueError(f"unknown metric {metric!r}; llm-jp-eval 1.1 uses exact_match, char_f1, pearson, spearman")
