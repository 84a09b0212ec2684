"""Atomic writes leave either the old complete file or the new one, never a partial one."""

from __future__ import annotations

from pathlib import Path

import pytest

from stxlib.io import atomic_dir, atomic_path, iter_json_objects, read_json, read_jsonl, write_json, write_jsonl


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("interrupted")
    assert read_json(target) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_jsonl_round_trip_keeps_japanese_unescaped(tmp_path: Path) -> None:
    rows = [{"source": "snow", "input": "元の日本語：\nこんにちは", "output": "やあ"}]
    assert write_jsonl(tmp_path / "r.jsonl", rows) == 1
    assert "元の日本語" in (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    assert read_jsonl(tmp_path / "r.jsonl") == rows


def test_atomic_dir_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "adapter"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("one")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("two")
        raise RuntimeError("interrupted")
    assert (target / "a.txt").read_text() == "one"
    with atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("three")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter"]


class RowError(Exception):
    pass


def test_json_object_lines_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    assert list(iter_json_objects(path)) == [(1, {"a": 1}), (3, {"a": 2})]  # blank lines skipped, numbers kept
    path.write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(RowError, match=rf"{path}:2: expected a JSON object per line, got list"):
        list(iter_json_objects(path, RowError))
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(RowError, match=rf"{path}:2: not valid JSON"):
        list(iter_json_objects(path, RowError))
    with pytest.raises(RowError, match=rf"{tmp_path / 'none.jsonl'}: votes file not found"):
        list(iter_json_objects(tmp_path / "none.jsonl", RowError, "votes file"))
