"""Local file formats and the hub parquet path (only the hub calls are replaced)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stxlib import hub
from stxlib.config import SourceSection
from stxlib.data.sources import DataSourceError, load_source, read_records

ROWS = [
    {
        "id": "1",
        "passage_text": "富士山は日本一高い山である。",
        "question_text": "日本一高い山は？",
        "answers": {"text": ["富士山"], "start_byte": [0], "limit_byte": [9]},
    },
    {
        "id": "2",
        "passage_text": "琵琶湖は滋賀県にある。",
        "question_text": "琵琶湖はどこ？",
        "answers": {"text": ["滋賀県"], "start_byte": [12], "limit_byte": [21]},
    },
]


def write_all_formats(tmp_path: Path) -> dict[str, Path]:
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), encoding="utf-8")
    json_list = tmp_path / "rows.json"
    json_list.write_text(json.dumps(ROWS, ensure_ascii=False), encoding="utf-8")
    json_lines = tmp_path / "lines.json"  # JSON lines in a .json file, as the JGLUE repository ships
    json_lines.write_text(jsonl.read_text(encoding="utf-8"), encoding="utf-8")
    parquet = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), parquet)
    return {"jsonl": jsonl, "json": json_list, "json-lines": json_lines, "parquet": parquet}


def test_every_local_format_gives_the_same_records(tmp_path: Path) -> None:
    for kind, path in write_all_formats(tmp_path).items():
        assert read_records(path) == ROWS, kind


def test_local_file_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="data file not found"):
        read_records(tmp_path / "nope.jsonl")
    bad = tmp_path / "rows.csv"
    bad.write_text("a,b\n")
    with pytest.raises(ValueError, match=r"unsupported file type '\.csv'"):
        read_records(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"a": 1}\n{oops\n')
    with pytest.raises(ValueError, match=r"broken\.jsonl:2: not valid JSON"):
        read_records(broken)
    obj = tmp_path / "obj.json"
    obj.write_text('{"data": []}')
    with pytest.raises(ValueError, match="found one JSON object"):
        read_records(obj)


def section(**kw) -> SourceSection:
    base = {
        "hub_id": "khalidalt/tydiqa-goldp",
        "configs": ["japanese"],
        "template": "{passage_text}",
        "target": "answers.text.0",
    }
    base.update(kw)
    return SourceSection(**base)


def test_load_source_local_names_the_key_on_error(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"source 'tydiqa'.*data.sources.tydiqa.train_files"):
        load_source("tydiqa", section(train_files=[str(tmp_path / "missing.jsonl")]))


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        (
            [
                "japanese/train/0000.parquet",
                "japanese/train/0001.parquet",
                "japanese/validation/0000.parquet",
                "english/train/0000.parquet",
            ],
            ["japanese/train/0000.parquet", "japanese/train/0001.parquet"],
        ),
        (
            ["japanese/tydiqa-goldp-train.parquet", "japanese/tydiqa-goldp-validation.parquet"],
            ["japanese/tydiqa-goldp-train.parquet"],
        ),
        (
            ["japanese/xlsum-train-00000-of-00002.parquet", "japanese/xlsum-train-00001-of-00002.parquet"],
            ["japanese/xlsum-train-00000-of-00002.parquet", "japanese/xlsum-train-00001-of-00002.parquet"],
        ),
        (["english/train/0000.parquet"], []),
    ],
)
def test_parquet_layouts(listing: list[str], expected: list[str]) -> None:
    assert hub.select_parquet_files(listing, "japanese", "train") == expected


def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, list[dict]]) -> list[tuple]:
    """Replace the two hub calls with a local folder holding `files` (repo path -> rows)."""
    calls: list[tuple] = []
    for name, rows in files.items():
        target = tmp_path / "hub" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), target)

    def list_repo_files(repo_id, repo_type=None, revision=None):
        calls.append(("list", repo_id, repo_type, revision))
        return sorted(files)

    def hf_hub_download(repo_id, filename, repo_type=None, revision=None, cache_dir=None):
        calls.append(("download", repo_id, filename, repo_type, revision))
        return str(tmp_path / "hub" / filename)

    monkeypatch.setattr(hub, "list_repo_files", list_repo_files)
    monkeypatch.setattr(hub, "hf_hub_download", hf_hub_download)
    return calls


def test_hub_source_reads_the_parquet_conversion(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = fake_hub(
        monkeypatch,
        tmp_path,
        {
            "japanese/tydiqa-goldp-train.parquet": ROWS,
            "japanese/tydiqa-goldp-validation.parquet": ROWS[:1],
        },
    )
    rows = load_source("tydiqa", section())
    assert rows.train == ROWS and rows.validation == ROWS[:1]
    assert rows.origin == {
        "kind": "hub",
        "hub_id": "khalidalt/tydiqa-goldp",
        "configs": ["japanese"],
        "revision": "refs/convert/parquet",
    }
    assert ("list", "khalidalt/tydiqa-goldp", "dataset", "refs/convert/parquet") in calls
    assert (
        "download",
        "khalidalt/tydiqa-goldp",
        "japanese/tydiqa-goldp-train.parquet",
        "dataset",
        "refs/convert/parquet",
    ) in calls


def test_hub_source_concatenates_configs_without_validation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_hub(monkeypatch, tmp_path, {"snow_t15/train/0000.parquet": ROWS, "snow_t23/train/0000.parquet": ROWS[:1]})
    rows = load_source("snow", section(hub_id="SNOW-NLP/snow", configs=["snow_t15", "snow_t23"], validation_split=None))
    assert rows.train == ROWS + ROWS[:1] and rows.validation is None


def test_hub_missing_config_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_hub(monkeypatch, tmp_path, {"english/train/0000.parquet": ROWS})
    with pytest.raises(DataSourceError, match=r"no parquet files for config 'japanese'.*configs there: english"):
        load_source("tydiqa", section())


def test_offline_hub_says_how_to_use_local_files(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'huggingface.co'")

    monkeypatch.setattr(hub, "list_repo_files", offline)
    with pytest.raises(DataSourceError) as info:
        load_source("xlsum", section(hub_id="csebuetnlp/xlsum"))
    message = str(info.value)
    assert "cannot list csebuetnlp/xlsum@refs/convert/parquet" in message
    assert "data.sources.xlsum.train_files" in message and "offline" in message
