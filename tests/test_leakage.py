"""% JA: Shisa's legacy metric exactly, the letters-only metric, foreign-letter runs."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from stxlib.io import read_jsonl
from stxlib.leakage import answer_leakage, foreign_runs, legacy_pct_ja, letters_pct_ja, model_leakage


def shisa_percentage_ja(text: str) -> float:
    """`shisa-ai/shisa-v2` eval/percentage_ja.py, spelled out from specs/shisa.md §4 for comparison."""
    ok = 0
    for c in text:
        japanese = 0x3040 <= ord(c) <= 0x309F or 0x30A0 <= ord(c) <= 0x30FF or 0x4E00 <= ord(c) <= 0x9FFF
        ok += japanese or c in string.punctuation or c.isdigit()
    non = len(text) - ok
    return 100 - ((non / len(text)) * 100 if text else 0)


def test_legacy_counts_whitespace_and_ja_punctuation_as_non_japanese() -> None:
    assert legacy_pct_ja("日本語です") == 100
    assert legacy_pct_ja("日本語です。") == pytest.approx(100 - 100 / 6)  # 。 (U+3002) is not acceptable
    assert legacy_pct_ja("はい、 2つ!") == pytest.approx(100 - 100 * 2 / 7)  # 、 and the space
    assert legacy_pct_ja("Hello") == 0
    assert legacy_pct_ja("") == 100  # percentage_ja.py: 0 % non-Japanese for an empty text
    assert legacy_pct_ja("١٢٣") == 100  # str.isdigit() is true for Arabic-Indic digits


def test_letters_metric_ignores_punctuation_and_full_width_forms() -> None:
    assert letters_pct_ja("日本語です。") == 100
    assert letters_pct_ja("ＡＢＣ、です") == 100  # full-width Latin is neutral
    assert letters_pct_ja("Pythonで書く") == pytest.approx(100 * 3 / 9)
    assert letters_pct_ja("123 !?") is None  # no letter at all
    assert letters_pct_ja("안녕 です") == pytest.approx(100 * 2 / 4)


def test_foreign_runs_span_words_but_not_japanese() -> None:
    runs = foreign_runs("これはHello, world 123 testです。안녕하세요")
    assert [(r.script, r.letters, r.text) for r in runs] == [
        ("latin", 14, "Hello, world 123 test"),
        ("hangul", 5, "안녕하세요"),
    ]
    assert [r.text for r in foreign_runs("JSONとPython", 5)] == ["Python"]
    assert foreign_runs("Привет мир", 1)[0].script == "cyrillic"
    flagged = answer_leakage(1, 0, 1, "答え: This is an English sentence here.", run_length=20)
    assert flagged.flagged and flagged.longest_foreign_run == 27
    assert not answer_leakage(1, 0, 1, "答えはJSONです。", run_length=20).flagged


def test_model_leakage_on_published_answers(shared: Path) -> None:
    """Over every turn of every choice concatenated, as percentage_ja.py; GPT-4 scores about 82-84 (spec §4)."""
    rows = read_jsonl(shared / "data" / "japanese-mt-bench" / "model_answer" / "gpt-4.jsonl")
    result = model_leakage(rows, run_length=20)
    joined = "".join(t for r in rows for c in r["choices"] for t in c["turns"])
    assert result["legacy_pct_ja"] == pytest.approx(shisa_percentage_ja(joined), abs=1e-12)
    assert 82 < result["legacy_pct_ja"] < 84
    assert result["letters_pct_ja"] > result["legacy_pct_ja"]
    assert result["n_answers"] == sum(len(c["turns"]) for r in rows for c in r["choices"]) == len(result["answers"])
    assert result["n_flagged"] == sum(a["flagged"] for a in result["answers"]) > 0
    dist = result["per_answer_letters"]
    assert dist["min"] <= dist["p10"] <= dist["median"] <= dist["max"] <= 100
    first = result["answers"][0]
    assert (first["question_id"], first["choice"], first["turn"]) == (rows[0]["question_id"], 0, 1)
