"""llm-jp-eval 1.1's post-processing and metrics: every value of three logged score_eval.json files."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
from rapidfuzz import fuzz

from stxlib.llm_jp_eval.datasets import DATASETS
from stxlib.llm_jp_eval.files import dumps_llm_jp, read_output_eval
from stxlib.llm_jp_eval.metrics import (
    char_f1,
    correlation,
    dataset_score,
    parse_float,
    postprocess,
    token_sort_ratio,
)
from stxlib.llm_jp_eval.scoring import add_categories, score_output

LOGS = ("shisa-mega-dpo-7b-v1.1", "mistral-7b-v0.1", "calm2-7b-chat")


@pytest.mark.parametrize("model", LOGS)
def test_scores_reproduce_every_logged_value(shared, model) -> None:
    folder = shared / "data" / "golden" / "llm-jp-eval-1.1-logs" / model
    logged = json.loads((folder / "score_eval.json").read_text(encoding="utf-8"))
    scores = score_output(read_output_eval(folder / "output_eval.json")).score_eval()
    assert scores == logged  # every key and string value, csv_line included
    assert list(scores) == list(logged)  # in llm-jp-eval's order
    assert dumps_llm_jp(scores).encode() == (folder / "score_eval.json").read_bytes()  # and byte for byte


def test_shisa_headline_numbers(shared) -> None:
    folder = shared / "data" / "golden" / "llm-jp-eval-1.1-logs" / "shisa-mega-dpo-7b-v1.1"
    scores = score_output(read_output_eval(folder / "output_eval.json"))
    assert scores.has_categories
    assert f"{scores.values['AVR']:.4f}" == "0.7480" and f"{scores.values['jsquad_char_f1']:.4f}" == "0.8825"
    assert len(scores.per_sample) == 1000
    jsts = [row for row in scores.per_sample if row["dataset"] == "jsts"]
    assert set(jsts[0]) == {"dataset", "index", "gold_value", "pred_value"}
    squad = [row["char_f1"] for row in scores.per_sample if row["dataset"] == "jsquad"]
    assert sum(squad) / len(squad) == pytest.approx(scores.values["jsquad_char_f1"])


def test_output_eval_is_written_in_llm_jp_evals_bytes(shared) -> None:
    path = shared / "data" / "golden" / "llm-jp-eval-1.1-logs" / "calm2-7b-chat" / "output_eval.json"
    assert dumps_llm_jp(read_output_eval(path)).encode() == path.read_bytes()


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("ABC", "abc", 100),  # lower-cased
        ("東京都。", "東京都", 100),  # punctuation becomes a space, then stripped
        ("W-CDMA, CDMA", "CDMA,W-CDMA", 100),  # tokens sorted
        ("", "", 100),
        ("abc", "", 0),
        ("é", "e", 0),  # U+0080–U+00FF deleted (fuzzywuzzy's force_ascii): one side empty
        ("東京", "東京都", 80),  # 2 * LCS 2 / 5 characters
        ("abcdefgh", "aijklmno", 12),  # 12.5 rounds half to even, as Python's round
        ("abcdefgh", "abcijklm", 38),  # 37.5 -> 38
    ],
)
def test_token_sort_ratio_matches_fuzzywuzzy(pred, gold, expected) -> None:
    assert token_sort_ratio(pred, gold) == expected


def test_plain_rapidfuzz_differs() -> None:
    # the reason for the re-implementation: rapidfuzz's own token_sort_ratio keeps case and punctuation
    assert fuzz.token_sort_ratio("ABC", "abc") != token_sort_ratio("ABC", "abc")
    assert char_f1("東京都。", "東京都") == 1.0


def test_postprocess_keeps_the_first_line_unstripped() -> None:
    assert postprocess(" ｅｎｔａｉｌｍｅｎｔ\nneutral") == " entailment"  # NFKC, no strip
    assert postprocess("\nentailment") == ""


def test_parse_float() -> None:
    assert parse_float("3.0") == 3.0
    assert parse_float("約3.5点") == 3.5
    assert parse_float("abc") == -2.0
    assert parse_float("1.2.3") == -2.0
    assert parse_float("") == -2.0


def test_correlations_undefined_become_zero() -> None:
    assert correlation("pearson", [1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0  # constant input: NaN -> 0.0
    assert correlation("spearman", [1.0], [1.0]) == 0.0  # one sample: undefined -> 0.0
    assert correlation("spearman", [1.0, 2.0, 3.0], [1.0, 5.0, 9.0]) == pytest.approx(1.0)
    # "x" does not parse: -2.0; by hand r = 2 / sqrt(2 * 114 / 9)
    assert dataset_score("pearson", ["1", "x", "3"], ["1.0", "2.0", "3.0"]) == pytest.approx(2 / (2 * 114 / 9) ** 0.5)


def test_exact_match_is_accuracy() -> None:
    assert dataset_score("exact_match", ["a", "b", "c"], ["a", "b", "x"]) == 2 / 3
    with pytest.raises(ValueError, match="unknown metric"):
        dataset_score("bleu", ["a"], ["a"])


def test_avr_is_plain_float_arithmetic() -> None:
    values = {f"{n}_exact_match": 0.48600000000000004 for n in ("jamp", "janli", "jnli", "jsem", "jsick")}
    values |= {"jemhopqa_char_f1": 0.5403, "niilc_char_f1": 0.5403, "jsquad_char_f1": 0.8123}
    values |= {"jcommonsenseqa_exact_match": 0.7, "jsts_pearson": 0.5, "jsts_spearman": 0.5}
    out = add_categories(values)
    assert f"{out['AVR']:.4f}" == "0.6346"  # statistics.mean of the four would give 0.6347
    assert list(out)[:5] == ["AVR", "MC", "NLI", "QA", "RC"]


def test_categories_only_for_all_ten() -> None:
    output = {"jamp": [{"pred": "neutral", "gold": "neutral"}], "jsquad": [{"pred": "東京", "gold": "東京都"}]}
    scores = score_output(output)
    assert not scores.has_categories
    assert scores.score_eval() == {
        "jamp_exact_match": "1.0000",
        "jsquad_char_f1": "0.8000",
        "csv_line": "1.0000,0.8000",
    }
    assert set(DATASETS["jsts"].metrics) == {"pearson", "spearman"}


def test_stopping_at_a_newline_cannot_change_pred() -> None:
    """NFKC never creates a newline and never composes across one, so cutting the raw output at its first
    newline before post-processing gives the same prediction as post-processing the whole output."""
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        normal = unicodedata.normalize("NFKC", c)
        assert c == "\n" or "\n" not in normal, hex(code)
        assert unicodedata.normalize("NFKC", c + "\n") == normal + "\n", hex(code)
        assert unicodedata.normalize("NFKC", "\n" + c) == "\n" + normal, hex(code)
    raw = "ｅｎｔａｉｌｍｅｎｔ\u0301\n\u0301neutral"
    assert postprocess(raw) == postprocess(raw.split("\n")[0])
