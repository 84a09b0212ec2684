"""Language leakage ("% JA"): how much of a model's Japanese answers is written in Japanese.

Two measures (see docs/mt_bench.md and specs/shisa.md §4):

- `legacy_pct_ja`: the Shisa JA MT-Bench scoreboard's metric exactly (`shisa-ai/shisa-v2`
  `eval/percentage_ja.py`): a character is acceptable if it is hiragana (U+3040–309F), katakana (U+30A0–30FF),
  CJK unified (U+4E00–9FFF), in ASCII `string.punctuation` or `str.isdigit()`;
  `%JA = 100 - 100 * non_acceptable / total_chars`, 100 for an empty text. Whitespace, newlines, Japanese
  punctuation and full-width forms count as non-Japanese, so even GPT-4's answers score about 82-84.
- `letters_pct_ja`: counts letters only (`unicodedata.category(c)[0] == "L"`); U+3000–303F (Japanese
  punctuation, 々, 〆) and U+FF00–FFEF (full-width and half-width forms) are neutral; Japanese letters are
  kana (with the phonetic extensions) and CJK ideographs (unified, extension A, compatibility). None when a text
  has no counted letter.

`foreign_runs` finds runs of Latin, Hangul or Cyrillic letters: consecutive letters of those scripts, where
spaces, digits and ASCII punctuation between them do not break a run but any other letter (kana, kanji) or
character does. A run of at least `k` letters flags an answer (an English sentence, a Korean phrase).
"""

from __future__ import annotations

import statistics
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

_ASCII_PUNCTUATION = frozenset(string.punctuation)
DEFAULT_RUN_LENGTH = 20  # letters; an assumption (about four English words in a row), see docs/mt_bench.md


def _legacy_japanese(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x309F or 0x30A0 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF


def legacy_pct_ja(text: str) -> float:
    """Shisa's `percentage_ja.py` on one (concatenated) text, unrounded."""
    total = len(text)
    if total == 0:
        return 100.0
    acceptable = sum(_legacy_japanese(c) or c in _ASCII_PUNCTUATION or c.isdigit() for c in text)
    return 100 - (total - acceptable) / total * 100


def _neutral(char: str) -> bool:
    code = ord(char)
    return 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF


def _japanese_letter(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x31F0 <= code <= 0x31FF  # katakana phonetic extensions
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
    )


def letter_counts(text: str) -> tuple[int, int]:
    """(Japanese letters, all counted letters) of `text` under the improved metric."""
    japanese = counted = 0
    for char in text:
        if _neutral(char) or unicodedata.category(char)[0] != "L":
            continue
        counted += 1
        japanese += _japanese_letter(char)
    return japanese, counted


def letters_pct_ja(text: str) -> float | None:
    japanese, counted = letter_counts(text)
    return 100 * japanese / counted if counted else None


def script_of(char: str) -> str | None:
    """`latin`, `hangul` or `cyrillic` for a letter of those scripts, else None."""
    if unicodedata.category(char)[0] != "L" or _neutral(char):
        return None
    name = unicodedata.name(char, "")
    for script in ("LATIN", "HANGUL", "CYRILLIC"):
        if name.startswith(script):
            return script.lower()
    return None


@dataclass(frozen=True)
class ForeignRun:
    script: str  # the script of the run's first letter (latin, hangul, cyrillic)
    letters: int
    start: int  # character offsets in the text
    end: int
    text: str


def foreign_runs(text: str, min_letters: int = 1) -> list[ForeignRun]:
    """Runs of Latin/Hangul/Cyrillic letters with at least `min_letters` letters, in text order."""
    runs: list[ForeignRun] = []
    start: int | None = None
    last = letters = 0
    first_script = ""

    def close() -> None:
        if start is not None and letters >= min_letters:
            runs.append(ForeignRun(first_script, letters, start, last + 1, text[start : last + 1]))

    for index, char in enumerate(text):
        script = script_of(char)
        if script is not None:
            if start is None:
                start, letters, first_script = index, 0, script
            letters += 1
            last = index
        elif start is not None and (char.isspace() or char.isdigit() or char in _ASCII_PUNCTUATION):
            continue  # separators inside a run of foreign words
        else:
            close()
            start = None
    close()
    return runs


@dataclass(frozen=True)
class AnswerLeakage:
    """One answer (one turn of one choice) of one question."""

    question_id: Any
    choice: int
    turn: int
    chars: int
    legacy_pct_ja: float
    letters_pct_ja: float | None
    longest_foreign_run: int
    flagged: bool  # a foreign run of at least `k` letters


def answer_leakage(
    question_id: Any, choice: int, turn: int, text: str, run_length: int = DEFAULT_RUN_LENGTH
) -> AnswerLeakage:
    runs = foreign_runs(text)
    longest = max((r.letters for r in runs), default=0)
    return AnswerLeakage(
        question_id=question_id,
        choice=choice,
        turn=turn,
        chars=len(text),
        legacy_pct_ja=legacy_pct_ja(text),
        letters_pct_ja=letters_pct_ja(text),
        longest_foreign_run=longest,
        flagged=longest >= run_length,
    )


def answer_texts(rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, int, int, str]]:
    """(question_id, choice index, turn number, text) for every turn of every choice of FastChat answer rows."""
    out = []
    for row in rows:
        for position, choice in enumerate(row["choices"]):
            for turn, text in enumerate(choice["turns"], 1):
                out.append((row["question_id"], int(choice.get("index", position)), turn, text))
    return out


def _distribution(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "min": None, "p10": None, "median": None, "max": None}
    ordered = sorted(values)
    p10 = ordered[0] if len(ordered) < 2 else statistics.quantiles(ordered, n=10, method="inclusive")[0]
    return {
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "p10": p10,
        "median": statistics.median(ordered),
        "max": ordered[-1],
    }


def model_leakage(rows: Iterable[Mapping[str, Any]], run_length: int = DEFAULT_RUN_LENGTH) -> dict[str, Any]:
    """% JA of one model's answers: the legacy and the letters metric over all turns of all choices concatenated
    (as `percentage_ja.py` does), the per-answer distribution and the flagged answers."""
    texts = answer_texts(rows)
    joined = "".join(t for *_, t in texts)
    answers = [answer_leakage(q, c, t, text, run_length) for q, c, t, text in texts]
    letters = [a.letters_pct_ja for a in answers if a.letters_pct_ja is not None]
    return {
        "legacy_pct_ja": legacy_pct_ja(joined),
        "letters_pct_ja": letters_pct_ja(joined),
        "run_length": run_length,
        "n_answers": len(answers),
        "n_flagged": sum(a.flagged for a in answers),
        "per_answer_legacy": _distribution([a.legacy_pct_ja for a in answers]),
        "per_answer_letters": _distribution(letters),
        "answers": [asdict(a) for a in answers],
    }
