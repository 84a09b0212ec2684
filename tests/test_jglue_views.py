"""What notebook 03 displays, from results.json and samples files written here (no model): the card
comparison, full metrics, wrong answers, models, prompts."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from helpers import FIXTURES

from stxlib.config.evaluation import EvalSection
from stxlib.engine import LocalModelSpec
from stxlib.io import write_jsonl
from stxlib.jglue import ModelSpec, prepare_tasks
from stxlib.jglue.compare import comparison_frame, headline_scores, results_frame
from stxlib.jglue.data import JNLI_V11_VALIDATION_LABELS, data_warnings
from stxlib.jglue.results import headline
from stxlib.jglue.views import (
    first_prompt_html,
    models_frame,
    result_folders,
    results_banner,
    samples_links,
    stand_in_banner,
    wrong_answers_frame,
)

SQUAD, JCQA = "jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3"


def results_file(em: float, acc: float) -> dict:
    results = {SQUAD: {"exact_match": em, "f1": em + 5}, JCQA: {"acc": acc, "acc_stderr": 0.1, "acc_norm": acc}}
    return {"results": results, "headline": headline(results), "config": {"task_details": {}}}


def test_comparison_shows_the_card_convention_beside_the_card() -> None:
    runs = {"base": results_file(70.0, 0.8), "finetuned": results_file(80.0, 0.75)}
    assert headline_scores(runs)["finetuned"] == {SQUAD: pytest.approx(0.8), JCQA: 0.75}
    old = {"results": runs["base"]["results"]}  # a results.json written before `headline` existed
    assert headline_scores({"x": old}) == headline_scores({"x": runs["base"]})
    frame = comparison_frame(runs)
    assert list(frame.index) == [SQUAD, JCQA] and frame.loc[SQUAD, "metric"] == "exact_match / 100"
    assert frame.loc[SQUAD, "finetuned (card: lightblue/openorca_stx)"] == 0.836
    assert frame.loc[SQUAD, "Δ finetuned"] == pytest.approx(0.8 - 0.836)
    assert frame.loc[JCQA, "metric"] == "acc"
    full = results_frame(runs)
    assert full.loc[(JCQA, "acc_stderr"), "base"] == 0.1 and full.loc[(SQUAD, "f1"), "finetuned"] == 85.0


def test_wrong_answers_of_every_model_and_task(tmp_path: Path) -> None:
    prompt = "…### 入力:\n質問です\n\n### 応答:\n"
    squad = [
        {"doc_id": 0, "prompt": prompt, "prediction": "a", "gold": ["b", "b"], "exact_match": 0, "f1": 0.0},
        {"doc_id": 1, "prompt": prompt, "prediction": "c", "gold": ["c"], "exact_match": 100, "f1": 100.0},
    ]
    choice = {"prompt": prompt, "choices": ["x", "y"], "loglikelihoods": [-1.0, -2.0], "gold": 1, "acc_norm": 0}
    jcqa = [{**choice, "doc_id": i, "prediction": 0, "acc": 0} for i in range(5)]
    for label in ("base", "finetuned"):
        write_jsonl(tmp_path / label / f"samples_{SQUAD}.jsonl", squad)
        write_jsonl(tmp_path / label / f"samples_{JCQA}.jsonl", jcqa)
    frame = wrong_answers_frame(tmp_path, ["base", "finetuned"], ["jsquad", "jcommonsenseqa"], n=3)
    assert len(frame) == 2 * (1 + 3)  # the one JSQuAD miss, three of the five JCQA misses, per model
    row = frame.loc[("base", SQUAD, 0)]
    assert (row["input"], row["prediction"], row["gold"]) == ("質問です", "a", "b")
    assert frame.loc[("finetuned", JCQA, 2), "loglikelihoods"] == "x: -1.00, y: -2.00"
    with pytest.raises(FileNotFoundError, match=r"evaluate jnli-1\.1-0\.3 first"):
        wrong_answers_frame(tmp_path, ["base"], ["jnli"])


def test_models_and_prompts() -> None:
    specs = [ModelSpec("base", LocalModelSpec("stx-tiny")), ModelSpec("ft", LocalModelSpec("stx-tiny", adapter="/a"))]
    assert models_frame(specs).loc["ft", "adapter"] == "/a"
    section = EvalSection(tasks=["marc_ja"], num_fewshot=[3], data_dir=str(FIXTURES / "jglue"), limit=2)
    inputs = prepare_tasks(section)
    text = first_prompt_html(inputs)
    assert text.startswith(f"<details><summary>First prompt of marc_ja-1.1-0.3 (doc_id {inputs[0].docs[0].doc_id}")
    assert html.escape(inputs[0].docs[0].context) in text and text.count("<details>") == 1
    # The fixtures are not the full v1.1 splits: said once per task, under its own title.
    banner = stand_in_banner(inputs)
    assert banner.startswith("### ⚠️ Not the JGLUE v1.1 data of the card") and "NOT the exact" not in banner
    assert "marc_ja-1.1-0.3: not the JGLUE v1.1 sizes (validation" in banner
    stand_in = prepare_tasks(section.model_copy(update={"shots_from": "validation"}))
    assert stand_in_banner(stand_in).startswith("### ⚠️ NOT the exact jp-stable prompts")


def test_jnli_labels_of_a_later_release_are_flagged() -> None:
    v11 = {"validation": {"rows": 2434, "v1.1_rows": 2434, "full_v1.1_size": True}}
    relabelled = {"entailment": 349, "contradiction": 735, "neutral": 1350}
    later = {"validation": {**v11["validation"], "label_counts": relabelled, "v1.1_labels": False}}
    assert data_warnings({"jnli-1.1-0.3": {"data_checks": v11}}) == []
    (line,) = data_warnings({"jnli-1.1-0.3": {"data_checks": later}})
    assert "validation labels are not v1.1's (entailment 349" in line and "eval.hub_revision" in line
    assert f"neutral {JNLI_V11_VALIDATION_LABELS['neutral']:,}" in line
    results = {"base": {"config": {"warnings": [], "data_warnings": [line]}}, "ft": {"config": {}}}
    assert results_banner(results).endswith(f"- base: {line}")
    assert results_banner({"base": {"config": {"warnings": []}}}) == ""


def test_samples_links_are_relative_to_the_rendered_notebook(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "eval" / "base" / f"samples_{SQUAD}.jsonl", [{"doc_id": 0}])
    text = samples_links(tmp_path, tmp_path / "eval", ["base", "finetuned"], ["jsquad", "jnli"])
    assert f'<a href="eval/base/samples_{SQUAD}.jsonl">samples_{SQUAD}.jsonl</a>' in text
    assert "samples_jnli" not in text and "<li>finetuned: no files yet</li>" in text


def test_result_folders_name_each_models_folder(tmp_path: Path) -> None:
    assert result_folders(tmp_path / "eval", ["base", "finetuned"]) == (
        f"base: {tmp_path / 'eval' / 'base'}\nfinetuned: {tmp_path / 'eval' / 'finetuned'}"
    )
