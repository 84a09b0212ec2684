"""jp-stable 0.3 prompts: golden contexts, the real JCQA v1.1 shot list, few-shot sampling rules, task names."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from helpers import SMOKE

from stxlib.config import ParamsError, load_params
from stxlib.jglue import check_config, task_plan
from stxlib.jglue.data import load_split, read_raw_split
from stxlib.jglue.fewshot import plan_documents
from stxlib.jglue.prompts import build_context, prepare_documents
from stxlib.jglue.tasks import (
    DESCRIPTION,
    TASK_NAMES,
    UnknownTaskError,
    get_task,
    parse_fewshot,
    prompt_block,
    resolve_task_name,
    resolve_tasks,
)


def golden(shared: Path, name: str) -> dict:
    return json.loads((shared / "data" / "golden" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("task", TASK_NAMES)
def test_golden_context_requests_and_gold(shared: Path, task: str) -> None:
    inputs = golden(shared, "jglue-0.3-inputs.json")[task]
    expected = golden(shared, "jglue-0.3-prompts.json")[task]
    docs = prepare_documents(task, inputs["validation"], inputs["train"], inputs["k"])
    assert len(docs) == 1
    doc = docs[0]
    assert doc.context == expected["context"]  # character for character
    assert doc.requests() == expected["requests"]
    assert doc.gold_text() == expected["gold"]
    assert doc.context.endswith("### 応答:\n") and doc.context.count(DESCRIPTION) == 1


def test_real_jcqa_v11_shot_list(shared: Path) -> None:
    ref = golden(shared, "jglue-0.3-jcqa-v1.1-fewshot.json")
    data_dir = shared / "data" / "jglue-v1.1"
    train = load_split("jcommonsenseqa", "train", data_dir).rows
    valid = load_split("jcommonsenseqa", "validation", data_dir).rows
    assert (len(train), len(valid)) == (ref["n_train"], ref["n_validation"]) == (8939, 1119)
    docs = prepare_documents("jcommonsenseqa-1.1-0.3", valid, train, ref["k"], seed=ref["seed"])
    assert len(docs) == len(ref["docs"])
    got = [
        {"position": d.position, "q_id": valid[d.doc_id]["q_id"], "shot_q_ids": [train[i]["q_id"] for i in d.shot_ids]}
        for d in docs
    ]
    assert got == ref["docs"]
    assert docs[0].context == ref["first_context"]
    assert list(docs[0].choices) == ref["first_choices"]
    assert docs[0].gold_text() == ref["first_gold"]


def test_sampling_on_rows_equals_sampling_on_indices(shared: Path) -> None:
    """The planner samples index lists; CPython's shuffle/sample on the row lists pick the same rows."""
    data_dir = shared / "data" / "jglue-v1.1" / "jcommonsenseqa-v1.1"
    train = read_raw_split(data_dir / "train-v1.1.json", "jcommonsenseqa", "train")
    valid = read_raw_split(data_dir / "valid-v1.1.json", "jcommonsenseqa", "validation")
    rng = random.Random(42)
    docs = list(valid)
    rng.shuffle(docs)
    direct = [(doc["q_id"], [s["q_id"] for s in rng.sample(train, 3)]) for doc in docs[:50]]
    planned = plan_documents(valid, train, 3, limit=50)
    assert [(valid[p.doc_id]["q_id"], [train[i]["q_id"] for i in p.shot_ids]) for p in planned] == direct


def test_limit_keeps_the_first_documents_with_their_full_run_shots() -> None:
    rows = [{"x": i} for i in range(40)]
    pool = [{"y": i} for i in range(30)]
    full = plan_documents(rows, pool, 3)
    assert plan_documents(rows, pool, 3, limit=7) == full[:7]
    assert sorted(p.doc_id for p in full) == list(range(40))  # every document once
    assert [p.position for p in full] == list(range(40))


def test_zero_shots_do_not_consume_the_generator() -> None:
    rows = [{"x": i} for i in range(20)]
    order = list(range(20))
    random.Random(42).shuffle(order)
    assert [p.doc_id for p in plan_documents(rows, [], 0)] == order
    task = get_task("jnli")
    doc = {"sentence1": "a", "sentence2": "b", "label": 0}
    assert build_context(task, [], doc) == DESCRIPTION + prompt_block(task.instruction(doc), "前提：a\n仮説：b")


def test_validation_stand_in_pool_excludes_the_document() -> None:
    rows = [{"x": i} for i in range(6)]
    planned = plan_documents(rows, rows, 3, pool="validation")
    for p in planned:
        assert p.doc_id not in p.shot_ids
        assert 2 <= len(p.shot_ids) <= 3  # sample(k + 1), drop the document, keep k
    assert any(len(p.shot_ids) == 3 for p in planned)
    # the harness's fallback: sample(k + 1) from the shuffled generator, first k after dropping the document
    rng = random.Random(42)
    order = list(range(6))
    rng.shuffle(order)
    expected = [[i for i in rng.sample(range(6), 4) if i != d][:3] for d in order]
    assert [list(p.shot_ids) for p in planned] == expected


def test_task_names_short_names_and_errors() -> None:
    assert resolve_task_name("jsquad") == "jsquad-1.1-0.3"
    assert resolve_task_name("marc_ja-1.1-0.3") == "marc_ja-1.1-0.3"
    assert resolve_tasks("jsquad,jnli") == ["jsquad-1.1-0.3", "jnli-1.1-0.3"]
    with pytest.raises(UnknownTaskError, match=r"unknown JGLUE task 'jsquad-1.2-0.3'.*jsquad-1.1-0.3"):
        resolve_task_name("jsquad-1.2-0.3")
    with pytest.raises(UnknownTaskError, match="listed twice"):
        resolve_tasks(["jnli", "jnli-1.1-0.3"])
    four = resolve_tasks("jsquad,jcommonsenseqa,jnli,marc_ja")
    assert parse_fewshot("2,3,3,3", four) == [2, 3, 3, 3]
    assert parse_fewshot(None, ["jnli-1.1-0.3", "jsquad-1.1-0.3"]) == [3, 2]  # each task's own default
    with pytest.raises(ValueError, match=r"3 few-shot count.*4 task.*leave the counts out"):
        parse_fewshot("2,3,3", four)
    with pytest.raises(ValueError, match="integers"):
        parse_fewshot("2,x", four[:2])
    with pytest.raises(ValueError, match=">= 0"):
        parse_fewshot([-1], four[:1])


def test_eval_params_validate_tasks_counts_and_paths(tmp_path: Path) -> None:
    """Task names are the stage's check (`check_config`, run before any stage); the rest is the config's."""
    cfg = load_params(SMOKE, ["eval.tasks=[jnli, jsquad]", "eval.num_fewshot=[3, 2]", "eval.shots_dir=./shots"])
    check_config(cfg)
    assert task_plan(cfg.eval) == [("jnli-1.1-0.3", 3), ("jsquad-1.1-0.3", 2)]
    assert Path(cfg.eval.shots_dir).is_absolute()
    with pytest.raises(ParamsError, match=r"eval.tasks: unknown JGLUE task 'jglue'"):
        check_config(load_params(SMOKE, ["eval.tasks=[jglue]", "eval.num_fewshot=[1]"]))
    with pytest.raises(ParamsError, match="num_fewshot has 3 entries but tasks has 4"):
        load_params(SMOKE, ["eval.num_fewshot=[2, 3, 3]"])
    # A task subset without counts takes each task's own default (jp-stable: jsquad 2, the others 3).
    assert load_params(SMOKE, ["eval.tasks=[jnli]"]).eval.num_fewshot == [3]
    assert load_params(SMOKE, ["eval.tasks=[marc_ja, jsquad-1.1-0.3]"]).eval.num_fewshot == [3, 2]
    assert load_params(SMOKE).eval.num_fewshot == [2, 3, 3, 3]
    with pytest.raises(ParamsError, match=r"eval\.shots_from"):
        load_params(SMOKE, ["eval.shots_from=test"])
    assert load_params(SMOKE).eval.data_dir.endswith("tests/fixtures/jglue")
