"""The content checks behind `stx run`'s skips: each output type parses, a cut file does not, and a file that
parses but was changed no longer has the hash the manifest recorded."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from stxlib.runner.check import file_hash, hashes, output_problem, parse_problem


def safetensors(path: Path, payload: bytes = b"\0" * 16, declared: int = 16) -> Path:
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, declared]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + payload)
    return path


@pytest.mark.parametrize(
    ("name", "good", "bad", "says"),
    [
        ("results.json", '{"results": {"jnli": {"acc": 0.5}}}', '{"results": {"jnli": {"acc": 0.', "does not parse"),
        ("train.jsonl", '{"a": 1}\n{"a": 2}\n', '{"a": 1}\n{"a": \n', "line 2 is not JSON"),
        ("params.yaml", "run:\n  name: x\n", "run: [unclosed\n", "does not parse"),
        ("report.html", "<html><body></body></html>\n", "<html><body><table>", "cut short"),
    ],
)
def test_text_outputs(tmp_path: Path, name: str, good: str, bad: str, says: str) -> None:
    path = tmp_path / name
    path.write_text(good)
    assert parse_problem(path) is None
    path.write_text(bad)
    assert says in (parse_problem(path) or "")


def test_binary_outputs(tmp_path: Path) -> None:
    assert parse_problem(safetensors(tmp_path / "a.safetensors")) is None
    assert parse_problem(safetensors(tmp_path / "b.safetensors", payload=b"\0" * 8)) == "safetensors data cut short"
    (tmp_path / "c.safetensors").write_bytes(b"\x01")
    assert parse_problem(tmp_path / "c.safetensors") == "shorter than a safetensors header"
    (tmp_path / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n....")
    assert parse_problem(tmp_path / "p.png") is None
    (tmp_path / "q.png").write_bytes(b"GIF89a")
    assert parse_problem(tmp_path / "q.png") == "not a PNG image"
    (tmp_path / "r.json").write_bytes(b"\xff\xfe{}")
    assert "not UTF-8" in (parse_problem(tmp_path / "r.json") or "")


def test_recorded_hash_missing_and_changed(tmp_path: Path) -> None:
    path = tmp_path / "eval" / "results.json"
    path.parent.mkdir()
    path.write_text('{"acc": 0.5}')
    recorded = hashes(tmp_path, [path, tmp_path / "absent.json"])
    assert recorded == {"eval/results.json": file_hash(path)}
    assert output_problem(path, recorded["eval/results.json"]) is None
    path.write_text('{"acc": 0.9}')
    assert output_problem(path, recorded["eval/results.json"]) == "changed since the stage wrote it"
    assert output_problem(path, None) is None  # a manifest from before the hashes: parse check only
    assert output_problem(tmp_path / "absent.json", None) == "missing"
