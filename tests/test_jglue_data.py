"""JGLUE data: the raw v1.1 layout (real and fixture files), the hub parquet path, shot pools, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import FIXTURES

import stxlib.hub as hub
from stxlib.config.evaluation import EvalSection
from stxlib.jglue import prepare_tasks
from stxlib.jglue.data import (
    JGlueDataError,
    JGlueDataNotFoundError,
    data_checks,
    load_split,
    read_raw_split,
)

FIXTURE_JGLUE = FIXTURES / "jglue"


def real(shared: Path) -> Path:
    return shared / "data" / "jglue-v1.1"


def test_real_v11_files_in_hf_order(shared: Path) -> None:
    jsquad = load_split("jsquad", "validation", real(shared)).rows
    assert len(jsquad) == 4442
    raw = json.loads((real(shared) / "jsquad-v1.1" / "valid-v1.1.json").read_text(encoding="utf-8"))
    first = raw["data"][0]["paragraphs"][0]
    assert jsquad[0]["id"] == first["qas"][0]["id"] and jsquad[0]["context"] == first["context"]
    assert jsquad[0]["title"] == raw["data"][0]["title"] and " [SEP] " in jsquad[0]["context"]
    assert set(jsquad[0]["answers"]) == {"text", "answer_start"}

    jnli = load_split("jnli", "validation", real(shared)).rows
    checks = data_checks("jnli", "validation", jnli)
    assert checks["full_v1.1_size"] and checks["v1.1_labels"]  # neutral 1,347 / contradiction 734 / entailment 353
    assert checks["label_counts"] == {"entailment": 353, "contradiction": 734, "neutral": 1347}

    jcqa = load_split("jcommonsenseqa", "validation", real(shared)).rows
    assert len(jcqa) == 1119 and all(isinstance(r["label"], int) for r in jcqa)


def test_fixture_marc_labels_become_class_ids() -> None:
    rows = load_split("marc_ja", "validation", FIXTURE_JGLUE).rows
    raw = [json.loads(line) for line in (FIXTURE_JGLUE / "marc_ja-v1.1" / "valid-v1.1.json").read_text().splitlines()]
    assert [r["label"] for r in rows] == [{"positive": 0, "negative": 1}[r["label"]] for r in raw]


def test_missing_file_names_the_path_and_the_layout(tmp_path: Path) -> None:
    with pytest.raises(JGlueDataNotFoundError) as info:
        load_split("jnli", "validation", tmp_path)
    message = str(info.value)
    assert str(tmp_path / "jnli-v1.1" / "valid-v1.1.json") in message
    assert "JSON lines" in message and "--data-dir" in message


def test_malformed_rows_are_reported_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "valid-v1.1.json"
    path.write_text('{"sentence1": "a", "sentence2": "b", "label": "neutral"}\n{"sentence1": "a", "label": "x"}\n')
    with pytest.raises(JGlueDataError, match=r"valid-v1.1.json:2: missing field\(s\) sentence2"):
        read_raw_split(path, "jnli", "validation")
    path.write_text('{"sentence1": "a", "sentence2": "b", "label": "unknown"}\n')
    with pytest.raises(JGlueDataError, match=r":1: label 'unknown' is not one of entailment, contradiction, neutral"):
        read_raw_split(path, "jnli", "validation")
    path.write_text('{"data": [{"title": "t"}]}')
    with pytest.raises(JGlueDataError, match="is not a JSQuAD file"):
        read_raw_split(path, "jsquad", "validation")


def test_train_is_required_unless_a_stand_in_is_asked_for(shared: Path) -> None:
    settings = dict(tasks=["jnli"], num_fewshot=[3], data_dir=str(real(shared)), limit=5)
    with pytest.raises(JGlueDataNotFoundError) as info:
        prepare_tasks(EvalSection(**settings))
    message = str(info.value)
    assert "jnli-v1.1/train-v1.1.json" in message and "--shots-from auto" in message and "--shots-dir" in message

    (auto,) = prepare_tasks(EvalSection(**settings, shots_from="auto"))
    assert auto.detail["shot_pool"]["split"] == "validation" and not auto.jp_stable_prompts
    assert "NOT the exact jp-stable prompts" in auto.warning
    assert all(d.doc_id not in d.shot_ids for d in auto.docs)

    (fixture_shots,) = prepare_tasks(EvalSection(**settings, shots_dir=str(FIXTURE_JGLUE)))
    assert fixture_shots.detail["shot_pool"] == {
        "split": "train",
        "origin": str(FIXTURE_JGLUE / "jnli-v1.1" / "train-v1.1.json"),
        "rows": 15,
    }
    assert "shots_dir" in fixture_shots.warning


def test_jcqa_real_run_is_exact_offline(shared: Path) -> None:
    (jcqa,) = prepare_tasks(EvalSection(tasks=["jcommonsenseqa"], num_fewshot=[3], data_dir=str(real(shared))))
    assert jcqa.jp_stable_prompts and jcqa.warning is None
    assert jcqa.detail["data_checks"]["train"]["full_v1.1_size"] and len(jcqa.docs) == 1119


# ------------------------------------------------------------------ hub (mocked at the hub boundary only)


def _fake_hub(monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def list_repo_files(repo_id: str, repo_type: str, revision: str) -> list[str]:
        calls.append(("list", f"{repo_id}@{revision}"))
        return [*files, "README.md"]

    def hf_hub_download(repo_id: str, filename: str, repo_type: str, revision: str, cache_dir: str | None) -> str:
        calls.append(("download", filename))
        return str(files[filename])

    monkeypatch.setattr(hub, "list_repo_files", list_repo_files)
    monkeypatch.setattr(hub, "hf_hub_download", hf_hub_download)
    return calls


def test_hub_parquet_rows_in_both_layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    squad = tmp_path / "jsquad.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["q1", "q2"],
                "title": ["t", "t"],
                "context": ["t [SEP] 文脈一", "t [SEP] 文脈二"],
                "question": ["問一", "問二"],
                "answers": [{"text": ["a", "a"], "answer_start": [1, 1]}, {"text": ["b"], "answer_start": [2]}],
                "is_impossible": [False, False],
            }
        ),
        squad,
    )
    marc = tmp_path / "marc.parquet"
    pq.write_table(pa.table({"sentence": ["良い", "悪い"], "label": [0, 1], "review_id": ["R1", "R2"]}), marc)
    calls = _fake_hub(monkeypatch, {"JSQuAD/validation/0000.parquet": squad, "MARC-ja/jglue-validation.parquet": marc})
    rows = load_split("jsquad", "validation", None, revision="abc123").rows
    assert rows[0]["answers"] == {"text": ["a", "a"], "answer_start": [1, 1]} and rows[1]["question"] == "問二"
    marc_split = load_split("marc_ja", "validation", None, revision="abc123")
    assert [r["label"] for r in marc_split.rows] == [0, 1]
    assert marc_split.origin == "hub:shunk031/JGLUE@abc123/MARC-ja/validation"
    assert ("list", "shunk031/JGLUE@abc123") in calls
    with pytest.raises(JGlueDataNotFoundError, match="no parquet files for config 'JNLI'"):
        load_split("jnli", "train", None)


def test_hub_offline_error_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object, **kwargs: object) -> list[str]:
        raise OSError("Network is unreachable")

    monkeypatch.setattr(hub, "list_repo_files", offline)
    with pytest.raises(hub.HubUnavailableError, match=r"cannot list shunk031/JGLUE@refs/convert/parquet"):
        load_split("jcommonsenseqa", "validation", None)
