"""What notebook 03 displays, from results.json and samples files written here (no model): the card
comparison, full metrics, wrong answers, models, prompts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURES

from stxlib.config.evaluation import EvalSection
from stxlib.engine import LocalModelSpec
from stxlib.io import write_jsonl
from stxlib.jglue import ModelSpec, prepare_tasks
from stxlib.jglue.compare import comparison_frame, headline_scores, results_frame
from stxlib.jglue.results import headline
from stxlib.jglue.views import first_prompts, models_frame, result_folders, stand_in_banner, wrong_answers_frame

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
    text = first_prompts(inputs)
    assert text.startswith(f"=== marc_ja-1.1-0.3  doc_id={inputs[0].docs[0].doc_id}  gold=")
    assert inputs[0].docs[0].context in text and stand_in_banner(inputs) == ""
    stand_in = prepare_tasks(section.model_copy(update={"shots_from": "validation"}))
    assert stand_in_banner(stand_in).startswith("### ⚠️ NOT the exact jp-stable prompts")


def test_result_folders_name_each_models_folder(tmp_path: Path) -> None:
    assert result_folders(tmp_path / "eval", ["base", "finetuned"]) == (
        f"base: {tmp_path / 'eval' / 'base'}\nfinetuned: {tmp_path / 'eval' / 'finetuned'}"
    )
