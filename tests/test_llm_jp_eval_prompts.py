"""llm-jp-eval 1.1 prompts: byte-identical to the prompts logged by llm-jp-eval for three models."""

from __future__ import annotations

import json

import pytest

from stxlib.llm_jp_eval.data import LlmJpEvalDataError, Sample, load_datasets
from stxlib.llm_jp_eval.datasets import DATASET_NAMES
from stxlib.llm_jp_eval.prompts import HEADER, dataset_template, prompt_template, render_prompt

# model log -> whether it was made with Shisa's literal-<s> patch
LOGS = {"shisa-mega-dpo-7b-v1.1": True, "mistral-7b-v0.1": False, "calm2-7b-chat": False}


@pytest.fixture(scope="module")
def test_files(shared):
    return {f.name: f for f in load_datasets(shared / "data" / "llm-jp-eval-1.1" / "test", list(DATASET_NAMES))}


@pytest.mark.parametrize("model", LOGS)
def test_prompts_equal_the_logged_prompts(shared, test_files, model) -> None:
    log = json.loads((shared / "data" / "golden" / "llm-jp-eval-1.1-logs" / model / "output_eval.json").read_bytes())
    assert list(log) == list(DATASET_NAMES)
    compared = 0
    for name, records in log.items():
        data = test_files[name]
        template = dataset_template(data, 4, shisa_bos=LOGS[model])
        assert len(records) == len(data.samples) == 100
        for record, sample in zip(records, data.samples, strict=True):
            assert record["prompt"] == template  # llm-jp-eval logged the template, `{input}` included
            assert record["input"] == sample.input
            compared += 1
    assert compared == 1000


def test_shisa_patch_puts_a_literal_bos_after_the_instruction_header(test_files) -> None:
    data = test_files["jnli"]
    plain = dataset_template(data)
    patched = dataset_template(data, shisa_bos=True)
    assert patched == plain.replace("### 指示\n", "### 指示\n<s>", 1)
    assert patched.count("<s>") == 1 and not patched.startswith("<s>")


def test_rendered_prompt_layout() -> None:
    shots = [Sample("質問：一？", "1"), Sample("質問：二？", "2")]
    template = prompt_template("数字で答えてください。", shots)
    text = render_prompt(template, "質問：三？")
    assert text == (
        f"{HEADER}\n### 指示\n数字で答えてください。\n"
        "\n### 入力：\n質問：一？\n### 回答：\n1\n"
        "\n### 入力：\n質問：二？\n### 回答：\n2"
        "\n\n### 入力：\n質問：三？\n### 回答：\n"
    )
    # the input itself is not parsed as a template: braces in it are kept as they are
    assert render_prompt(template, "{x} {{y}}").endswith("### 入力：\n{x} {{y}}\n### 回答：\n")


def test_zero_shots_keep_1_1s_layout() -> None:
    # 1.1's zero-shot branch never ran (it compared the list of shots with 0): the join is just empty
    template = prompt_template("答えてください。", [])
    assert template == f"{HEADER}\n### 指示\n答えてください。\n\n\n### 入力：\n{{input}}\n### 回答：\n"


def test_fewer_shots_take_the_first_ones(test_files) -> None:
    data = test_files["jamp"]
    two = dataset_template(data, 2)
    assert data.few_shots[1].input in two and data.few_shots[2].input not in two


def test_too_many_shots_is_a_clear_error(test_files) -> None:
    with pytest.raises(LlmJpEvalDataError, match=r"jamp\.json: 5 few-shots asked for but the file has 4"):
        dataset_template(test_files["jamp"], 5)


def test_braces_in_an_instruction_fail_as_langchain_would(test_files, tmp_path) -> None:
    data = test_files["jamp"]
    broken = type(data)(**{**data.__dict__, "instruction": "{label} で答えてください"})
    with pytest.raises(LlmJpEvalDataError, match="braces"):
        dataset_template(broken)
    doubled = type(data)(**{**data.__dict__, "instruction": "{{label}} で答えてください"})
    assert "### 指示\n{label} で答えてください" in render_prompt(dataset_template(doubled), "x")
