"""Load a training source's rows from local files or from the hub's parquet conversion."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib import hub
from stxlib.config import SourceSection

LOCAL_FORMATS = {".jsonl": "JSON lines", ".json": "JSON (a list of records, or JSON lines)", ".parquet": "parquet"}


class DataSourceError(RuntimeError):
    """A source cannot be loaded; the message says which source and how to fix it."""


@dataclass
class SourceRows:
    """The raw records of one source, in file order, and where they came from.

    `train_where` / `validation_where` name each record's place (`file:line` for JSON lines), for errors;
    None where unknown.
    """

    name: str
    train: list[dict[str, Any]]
    validation: list[dict[str, Any]] | None
    origin: dict[str, Any] = field(default_factory=dict)
    train_where: list[str] | None = None
    validation_where: list[str] | None = None


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Records of one local file: `.jsonl`, `.json` (list of records or JSON lines) or `.parquet`."""
    return [record for record, _ in read_located(path)]


def read_located(path: str | Path) -> list[tuple[dict[str, Any], str]]:
    """`read_records` with each record's place: `file:line` (JSON lines), `file, record N` (a JSON list, from
    0) or `file, row N` (parquet, from 0). An empty file is an error."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a data file; name the file itself (.jsonl, .json or .parquet)")
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        located = [(row, f"{path}, row {i}") for i, row in enumerate(pq.read_table(path).to_pylist())]
        return _check_records(located, path)
    if suffix not in LOCAL_FORMATS:
        kinds = ", ".join(f"{k} ({v})" for k, v in LOCAL_FORMATS.items())
        raise ValueError(f"{path}: unsupported file type {suffix!r}; use one of {kinds}")
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as err:
            if text.lstrip().startswith("["):  # a JSON list that does not parse: its own error, in full
                raise ValueError(f"{path}: not valid JSON ({err})") from None
            loaded = None  # JSON lines in a .json file, as the JGLUE repository ships them
        if isinstance(loaded, list):
            return _check_records([(row, f"{path}, record {i}") for i, row in enumerate(loaded)], path)
        if isinstance(loaded, dict):
            raise ValueError(f"{path}: expected a list of records or JSON lines, found one JSON object")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append((json.loads(line), f"{path}:{number}"))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not valid JSON ({err})") from None
    return _check_records(rows, path)


def _check_records(rows: list[tuple[Any, str]], path: Path) -> list[tuple[dict[str, Any], str]]:
    if not rows:
        raise ValueError(f"{path} is empty: it holds no records")
    for row, where in rows:
        if not isinstance(row, dict):
            raise ValueError(f"{where}: the record is a {type(row).__name__}, expected an object")
    return rows


def read_many(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    return [record for record, _ in read_many_located(paths)]


def read_many_located(paths: Sequence[str | Path]) -> list[tuple[dict[str, Any], str]]:
    rows: list[tuple[dict[str, Any], str]] = []
    for path in paths:
        rows.extend(read_located(path))
    return rows


def load_source(name: str, section: SourceSection, cache_dir: str | None = None) -> SourceRows:
    """Rows of one source: local files when `train_files` is set, else the hub parquet export."""
    key = f"data.sources.{name}"
    if section.train_files:
        try:
            train = read_many_located(section.train_files)
            validation = read_many_located(section.validation_files) if section.validation_files else None
        except (FileNotFoundError, ValueError) as err:
            raise DataSourceError(f"source {name!r}: {err} (check {key}.train_files / validation_files)") from None
        origin = {"kind": "local", "train_files": section.train_files, "validation_files": section.validation_files}
        return SourceRows(
            name,
            [r for r, _ in train],
            None if validation is None else [r for r, _ in validation],
            origin,
            [w for _, w in train],
            None if validation is None else [w for _, w in validation],
        )
    return _load_from_hub(name, section, cache_dir)


def _load_from_hub(name: str, section: SourceSection, cache_dir: str | None) -> SourceRows:
    key = f"data.sources.{name}"
    assert section.hub_id is not None
    configs = section.configs or ["default"]
    train: list[dict[str, Any]] = []
    validation: list[dict[str, Any]] | None = [] if section.validation_split else None
    try:
        for config in configs:
            train.extend(_hub_rows(section, config, section.train_split, cache_dir))
            if validation is not None and section.validation_split:
                validation.extend(_hub_rows(section, config, section.validation_split, cache_dir))
    except hub.HubUnavailableError as err:
        raise DataSourceError(
            f"source {name!r}: {err}.\n"
            f"To run offline, point the source at local files in the same schema, e.g.\n"
            f"  {key}.train_files: [path/to/train.jsonl]   (JSON lines, JSON or parquet)\n"
            f"  {key}.validation_files: [path/to/validation.jsonl]\n"
            f"or on the command line: --set {key}.train_files=[...]"
        ) from None
    except FileNotFoundError as err:
        raise DataSourceError(f"source {name!r}: {err} (check {key}.configs and the split names)") from None
    origin = {"kind": "hub", "hub_id": section.hub_id, "configs": configs, "revision": section.revision}
    return SourceRows(name, train, validation, origin)


def _hub_rows(section: SourceSection, config: str, split: str, cache_dir: str | None) -> list[dict[str, Any]]:
    assert section.hub_id is not None
    paths = hub.download_parquet_split(section.hub_id, config, split, section.revision, cache_dir)
    return read_many(paths)
