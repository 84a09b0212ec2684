"""JSQuAD EM/F1 (jasquad normalisation, MeCab tokens) and multiple-choice accuracy, against the spec's cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from stxlib.jglue.metrics import (
    aggregate_multiple_choice,
    answer_tokens,
    argmax,
    choice_scores,
    jsquad_corpus,
    jsquad_scores,
    mean_stderr,
    normalize_answer,
)


def metric_examples(shared: Path) -> dict:
    return json.loads((shared / "data" / "golden" / "jsquad-metric-examples.json").read_text(encoding="utf-8"))


def test_all_jsquad_cases(shared: Path) -> None:
    cases = metric_examples(shared)["cases"]
    assert len(cases) == 13
    for case in cases:
        pred = case["prediction"]
        assert normalize_answer(pred) == case["normalized_prediction"], pred
        assert answer_tokens(pred) == case["prediction_tokens"], pred
        em, f1 = jsquad_scores(pred, case["golds"])
        assert em == case["exact_match"], pred
        assert f1 == pytest.approx(case["f1"], abs=1e-6), pred


def test_corpus_example(shared: Path) -> None:
    example = metric_examples(shared)["corpus_example"]
    questions = example["questions"]
    got = jsquad_corpus([q["prediction"] for q in questions], [q["golds"] for q in questions])
    assert got["exact_match"] == pytest.approx(example["expected"]["exact_match"])
    assert got["f1"] == pytest.approx(example["expected"]["f1"])
    assert got == pytest.approx({"exact_match": 50.0, "f1": 250 / 3})


def test_missing_prediction_counts_zero_and_lengths_must_match() -> None:
    assert jsquad_corpus([None, "信濃川"], [["信濃川"], ["信濃川"]]) == {"exact_match": 50.0, "f1": 50.0}
    with pytest.raises(ValueError, match="2 predictions for 1 questions"):
        jsquad_corpus(["a", "b"], [["a"]])


def test_multiple_choice_acc_norm_uses_characters_and_first_index_wins_ties() -> None:
    # acc picks index 0 (-4 > -5); per character: -4/1 = -4 vs -5/5 = -1, so acc_norm picks index 1
    assert choice_scores([-4.0, -5.0], ["あ", "いいいいい"], gold=1) == {"prediction": 0, "acc": 0, "acc_norm": 1}
    assert argmax([1.0, 3.0, 3.0]) == 1
    assert choice_scores([-2.0, -2.0], ["a", "b"], gold=1)["acc"] == 0


def test_aggregation_uses_sample_stderr() -> None:
    acc = [1, 0, 1, 1]
    agg = aggregate_multiple_choice(acc, [0, 0, 1, 1])
    assert agg["acc"] == 0.75 and agg["acc_norm"] == 0.5
    assert agg["acc_stderr"] == pytest.approx(math.sqrt(0.25) / 2)  # sample variance 1/4 (n - 1 = 3)
    assert mean_stderr([1]) is None
