"""The tokenizer stage: params section, checks, `run_stage` and its files in the run folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import FIXTURES

from stxlib.config import ParamsError, load_params
from stxlib.io import read_json
from stxlib.paths import RunPaths
from stxlib.stages import get_stage
from stxlib.tokenizer import check_config, run_stage
from stxlib.tokenizer.efficiency import RESULT_KEYS

TOK = FIXTURES / "tokenizer"


def write_params(folder: Path, tokenizer: dict, **sections) -> Path:
    params = {"run": {"name": "tok", "output_root": "results", "stages": ["tokenizer"]}, "tokenizer": tokenizer}
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params | sections, allow_unicode=True))
    return path


def smoke_block(fixtures: str) -> dict:
    return {
        "tokenizers": [{"name": "base", "label": "stx-tiny"}],
        "corpora": [
            {"name": "ja-heldout", "path": f"{fixtures}/ja_heldout.jsonl", "lang": "ja"},
            {"name": "en", "path": f"{fixtures}/en.jsonl", "lang": "en", "limit": 12},
        ],
        "extension": {
            "enabled": True,
            "corpus": {"name": "ja-train", "path": f"{fixtures}/ja_train.jsonl"},
            "vocab_size": 1000,
            "min_frequency": 2,
        },
    }


def test_stage_writes_efficiency_before_and_after(tmp_path: Path, one_cpu_thread) -> None:
    (tmp_path / "fx").symlink_to(TOK)  # relative paths in a params file are relative to that file
    config = load_params(write_params(tmp_path, smoke_block("fx")))
    assert config.tokenizer.corpora[0].path == str((tmp_path / "fx" / "ja_heldout.jsonl").resolve())
    paths = RunPaths.for_config(config, tmp_path / "run")
    result = run_stage(config, paths)
    payload = read_json(paths.root / "tokenizer" / "efficiency.json")
    rows = payload["results"]
    assert all(list(row) == list(RESULT_KEYS) for row in rows)
    assert [(r["tokenizer"], r["corpus"]) for r in rows] == [
        ("stx-tiny", "ja-heldout"), ("extended", "ja-heldout"), ("stx-tiny", "en"), ("extended", "en"),
    ]  # fmt: skip
    by = {(r["tokenizer"], r["corpus"]): r for r in rows}
    assert by[("extended", "ja-heldout")]["chars_per_token"] > by[("stx-tiny", "ja-heldout")]["chars_per_token"]
    assert by[("stx-tiny", "en")]["documents"] == 12 and by[("stx-tiny", "ja-heldout")]["documents"] == 18
    assert {c["name"]: c["lang"] for c in payload["corpora"]} == {"ja-heldout": "ja", "en": "en"}
    assert payload["tokenizers"][1] == {"label": "extended", "name_or_path": str(paths.root / "tokenizer" / "extended")}
    summary = read_json(paths.root / "tokenizer" / "extension.json")
    assert summary["embedding_rows"] % 64 == 0 and summary["added"] == len(summary["added_tokens"]) > 0
    assert (paths.plots / "tokenizer_efficiency.png").stat().st_size > 10_000
    assert get_stage("tokenizer").missing_outputs(paths, config) == []
    assert result.base_label == "stx-tiny" and result.extended_label == "extended"
    assert set(result.tokenizers) == {"stx-tiny", "extended"}


def test_extension_base_joins_the_table_when_not_listed(tmp_path: Path, tiny_model_dir: Path) -> None:
    block = smoke_block(str(TOK))
    block["tokenizers"] = []
    block["extension"]["resize_model"] = False
    block["extension"]["label"] = "tiny+ja"
    config = load_params(write_params(tmp_path, block))
    paths = RunPaths.for_config(config, tmp_path / "run")
    result = run_stage(config, paths)
    assert list(result.names) == ["stx-tiny", "tiny+ja"] and result.base_label == "stx-tiny"
    assert not (paths.root / "tokenizer" / "extended" / "config.json").exists()
    assert get_stage("tokenizer").missing_outputs(paths, config) == []


def test_without_extension_only_efficiency(tmp_path: Path) -> None:
    block = smoke_block(str(TOK))
    block["extension"] = {"enabled": False}
    config = load_params(write_params(tmp_path, block))
    outputs = get_stage("tokenizer").outputs(RunPaths(tmp_path / "run"), config)
    assert [p.name for p in outputs] == ["efficiency.json"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"corpora": [{"name": "c", "path": "a.jsonl", "limit": 0}]}, r"tokenizer\.corpora\.0\.limit"),
        ({"corpora": [{"name": "c"}]}, "needs `path`"),
        ({"tokenizers": [{"name": "a"}, {"name": "b", "label": "a"}]}, "labels must be unique, a repeats"),
        ({"extension": {"enabled": True}}, "extension is enabled but has no `corpus`"),
        ({"extension": {"skip": "numbers"}}, r"tokenizer\.extension\.skip"),
        ({"corpus": []}, r"tokenizer\.corpus: unknown key \(did you mean 'tokenizer\.corpora'\?\)"),
    ],
)
def test_bad_params_name_the_key(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        load_params(write_params(tmp_path, change))


def test_check_config(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ParamsError, match=r"tokenizer\.corpora is empty"):
        check_config(load_params(write_params(tmp_path, {})))
    missing = {"corpora": [{"name": "c", "path": "nope.jsonl"}]}
    with pytest.raises(ParamsError, match=r"tokenizer\.corpora\.0\.path: file not found: .*nope\.jsonl"):
        check_config(load_params(write_params(tmp_path, missing)))
    monkeypatch.setenv("STX_CACHE", str(tmp_path / "empty-cache"))
    block = smoke_block(str(TOK)) | {"tokenizers": [{"name": "base"}, {"name": "stx-mistral-tokenizer"}]}
    with pytest.raises(ParamsError, match=r"tokenizer\.tokenizers\.1\.name: stx-mistral-tokenizer .*make venv"):
        check_config(load_params(write_params(tmp_path, block)))
