"""llm-jp-eval evaluation files: layouts, the shipped fixtures, clear errors."""

from __future__ import annotations

import json
import shutil

import pytest

from stxlib.llm_jp_eval.data import LlmJpEvalDataError, find_eval_file, fixtures_dir, load_datasets, load_eval_file
from stxlib.llm_jp_eval.datasets import DATASET_NAMES, DATASETS, UnknownDatasetError, resolve_datasets


def test_fixtures_have_llm_jp_evals_shape_and_1_1s_settings() -> None:
    files = load_datasets(fixtures_dir(), list(DATASET_NAMES))
    assert [f.name for f in files] == list(DATASET_NAMES)
    for data in files:
        raw = json.loads(data.path.read_text(encoding="utf-8"))
        assert list(raw) == ["instruction", "output_length", "metrics", "few_shots", "samples"]
        assert len(data.few_shots) == 4 and len(data.samples) >= 5
        assert data.differences_from_release() == []
        assert all(set(s) == {"input", "output"} for s in raw["few_shots"] + raw["samples"])
    jcqa = next(f for f in files if f.name == "jcommonsenseqa")
    assert all(s.output in "01234" for s in jcqa.samples)


def test_real_test_files_match_the_release(shared) -> None:
    for data in load_datasets(shared / "data" / "llm-jp-eval-1.1" / "test", list(DATASET_NAMES)):
        assert data.differences_from_release() == [] and len(data.samples) == 100


def test_both_layouts_are_found(tmp_path) -> None:
    flat = tmp_path / "flat"
    nested = tmp_path / "evaluation" / "test"
    for folder in (flat, nested):
        folder.mkdir(parents=True)
        shutil.copy(fixtures_dir() / "jamp.json", folder / "jamp.json")
    assert find_eval_file(flat, "jamp") == flat / "jamp.json"
    assert find_eval_file(tmp_path / "evaluation", "jamp") == nested / "jamp.json"
    with pytest.raises(LlmJpEvalDataError, match=r"no evaluation file for jnli in .*jnli\.json and test/jnli\.json"):
        find_eval_file(flat, "jnli")
    with pytest.raises(LlmJpEvalDataError, match="data folder not found"):
        find_eval_file(tmp_path / "nowhere", "jamp")


@pytest.mark.parametrize("field", ["instruction", "output_length", "metrics", "few_shots", "samples"])
def test_a_missing_field_names_the_file_and_the_field(tmp_path, field) -> None:
    data = json.loads((fixtures_dir() / "jnli.json").read_text(encoding="utf-8"))
    del data[field]
    path = tmp_path / "jnli.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LlmJpEvalDataError, match=rf"jnli\.json: missing field '{field}'"):
        load_eval_file(path, "jnli")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(output_length="3"), "field 'output_length' must be an integer, got str"),
        (lambda d: d.update(metrics=["bleu_ja"]), r"metrics \['bleu_ja'\]"),
        (lambda d: d["samples"][2].pop("output"), r"samples\[2\] is missing field 'output'"),
        (lambda d: d["few_shots"][0].update(input=5), r"few_shots\[0\]\.input must be a string"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path, change, message) -> None:
    data = json.loads((fixtures_dir() / "jnli.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "jnli.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LlmJpEvalDataError, match=message):
        load_eval_file(path, "jnli")


def test_not_json_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "jamp.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LlmJpEvalDataError, match="cannot read it as UTF-8 JSON"):
        load_eval_file(path, "jamp")


def test_dataset_names() -> None:
    assert resolve_datasets("jnli, jamp") == ["jamp", "jnli"]  # 1.1's order
    assert resolve_datasets(None) == list(DATASET_NAMES) == sorted(DATASETS)
    with pytest.raises(UnknownDatasetError, match=r"'jsnli' is not an llm-jp-eval 1\.1 dataset; choose from jamp, "):
        resolve_datasets(["jamp", "jsnli"])
