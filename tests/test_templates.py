"""The card's templates, character for character, and field access into both answer schemas."""

from __future__ import annotations

import pytest

from stxlib.config.sections import SNOW_TEMPLATE, TYDIQA_TEMPLATE, XLSUM_TEMPLATE, default_sources
from stxlib.data.templates import TemplateError, get_field, render_template, template_fields, to_example

FULLWIDTH_COLON = "\uff1a"


def test_template_literals_are_the_cards() -> None:
    assert SNOW_TEMPLATE == "元の日本語" + FULLWIDTH_COLON + "\n{original_ja}\n\nシンプルな日本語" + FULLWIDTH_COLON
    assert TYDIQA_TEMPLATE == "{passage_text}\n\n{question_text}"
    assert XLSUM_TEMPLATE == "記事" + FULLWIDTH_COLON + "\n{text}\n\n要約" + FULLWIDTH_COLON
    assert ":" not in SNOW_TEMPLATE + XLSUM_TEMPLATE  # never the ASCII colon
    assert default_sources()["tydiqa"].target == "answers.text.0"


def test_rendered_examples_exactly() -> None:
    snow = {
        "ID": "1",
        "original_ja": "彼は昨日、図書館を訪れた。",
        "simplified_ja": "彼はきのう、図書館に行った。",
        "original_en": "x",
    }
    assert to_example("snow", SNOW_TEMPLATE, "simplified_ja", snow) == {
        "source": "snow",
        "input": "元の日本語：\n彼は昨日、図書館を訪れた。\n\nシンプルな日本語：",
        "output": "彼はきのう、図書館に行った。",
    }
    tydiqa = {
        "passage_text": "東京は日本の首都である。",
        "question_text": "日本の首都はどこ？",
        "answers": {"text": ["東京"], "start_byte": [0], "limit_byte": [6]},
    }
    assert to_example("tydiqa", TYDIQA_TEMPLATE, "answers.text.0", tydiqa) == {
        "source": "tydiqa",
        "input": "東京は日本の首都である。\n\n日本の首都はどこ？",
        "output": "東京",
    }
    xlsum = {"id": "a", "url": "u", "title": "t", "summary": "要約文。", "text": "本文。"}
    assert to_example("xlsum", XLSUM_TEMPLATE, "summary", xlsum)["input"] == "記事：\n本文。\n\n要約："


def test_get_field_handles_hf_and_raw_answer_layouts() -> None:
    hf = {"answers": {"text": ["a", "b"], "start_byte": [1, 2]}}
    raw = {"answers": [{"text": "a", "start_byte": 1}, {"text": "b", "start_byte": 2}]}
    assert get_field(hf, "answers.text.0") == get_field(raw, "answers.text.0") == "a"
    assert get_field(raw, "answers.text") == ["a", "b"]


def test_errors_name_the_field() -> None:
    with pytest.raises(TemplateError, match=r"\{passage\}"):
        render_template("{passage}", {"passage_text": "x"})
    with pytest.raises(TemplateError, match="no field 'summry'"):
        get_field({"summary": "x"}, "summry")
    with pytest.raises(TemplateError, match="out of range"):
        get_field({"answers": {"text": []}}, "answers.text.0")
    with pytest.raises(TemplateError, match="expected text"):
        to_example("s", "{a}", "b", {"a": "x", "b": 3})
    with pytest.raises(TemplateError, match="not a valid format string"):
        template_fields("{unclosed")
