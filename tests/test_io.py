"""Atomic writes leave either the old complete file or the new one, never a partial one."""

from __future__ import annotations

from pathlib import Path

import pytest

from stxlib.io import atomic_dir, atomic_path, read_json, read_jsonl, write_json, write_jsonl


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
