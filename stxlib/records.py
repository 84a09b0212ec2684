"""Rows of training data for the Shisa stages: a local JSON-lines, JSON or parquet file, one file of a hub dataset
repository, or a hub dataset's split through its parquet conversion (`RecordsRef`). The hub is reached only
through `stxlib.hub` (tests replace its functions); files are read whole (these sets are small: ~150k SFT rows).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from stxlib.config.stage_training import RecordsRef
from stxlib.io import iter_json_objects

T = TypeVar("T")


class RecordsError(ValueError):
    """A training data file is missing, unreadable or has a row of the wrong shape; the message names it."""


def local_files(ref: RecordsRef, cache_dir: str | None = None) -> list[Path]:
    """The local file(s) of `ref`, downloading hub files first (`stxlib.hub`)."""
    from stxlib import hub

    if ref.path:
        path = Path(ref.path).expanduser()
        if not path.is_file():
            raise RecordsError(f"{path}: training data file not found (fix the `path`, or use `hub_id`)")
        return [path]
    assert ref.hub_id is not None
    if ref.hub_file:
        try:
            local = hub.hf_hub_download(
                ref.hub_id, ref.hub_file, repo_type="dataset", revision=ref.revision, cache_dir=cache_dir
            )
        except Exception as err:  # offline, gated, missing file: one message
            raise hub.HubUnavailableError(
                f"cannot download {ref.hub_id}/{ref.hub_file} from the Hugging Face Hub ({type(err).__name__}: "
                f"{str(err).strip()[:200]}); log in / accept the dataset's terms, or give a local `path`"
            ) from err
        return [Path(local)]
    revision = ref.revision or hub.PARQUET_REVISION
    return hub.download_parquet_split(ref.hub_id, ref.hub_config, ref.hub_split, revision=revision, cache_dir=cache_dir)


def _format(ref: RecordsRef, path: Path) -> str:
    if ref.format != "auto":
        return ref.format
    name = path.name.lower()
    for suffix, fmt in ((".jsonl", "jsonl"), (".parquet", "parquet"), (".json", "json")):
        if name.endswith(suffix):
            return fmt
    raise RecordsError(f"{path}: cannot tell the format from the suffix; set `format` (jsonl, json or parquet)")


def read_file(path: Path, fmt: str) -> list[tuple[str, dict[str, Any]]]:
    """(place, row) for every row: `file:line` for JSON lines, `file row N` otherwise."""
    if fmt == "jsonl":
        return [(f"{path}:{n}", row) for n, row in iter_json_objects(path, RecordsError, "training data file")]
    if fmt == "json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise RecordsError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise RecordsError(f"{path}: expected a JSON list of objects (or use JSON lines)")
        return [(f"{path} row {i}", row) for i, row in enumerate(data)]
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as err:
        raise RecordsError(f"{path}: not a readable parquet file ({type(err).__name__}: {err})") from None
    return [(f"{path} row {i}", row) for i, row in enumerate(rows)]


def load_records(ref: RecordsRef, cache_dir: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(place, row) for the rows of `ref` (the first `limit`), with each row's place for error messages."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for path in local_files(ref, cache_dir):
        rows.extend(read_file(path, _format(ref, path)))
        if ref.limit is not None and len(rows) >= ref.limit:
            break
    return rows[: ref.limit] if ref.limit is not None else rows


def load_all(refs: Iterable[RecordsRef], key: str, cache_dir: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every ref's rows in order; no refs is an error naming `key`."""
    refs = list(refs)
    if not refs:
        raise RecordsError(f"{key} is empty: list at least one data file (a local `path` or a `hub_id`)")
    rows: list[tuple[str, dict[str, Any]]] = []
    for ref in refs:
        rows.extend(load_records(ref, cache_dir))
    return rows


def refs_fingerprint(refs: Iterable[RecordsRef]) -> str:
    """A hash of the local files' contents (hub refs: their id, file, split and revision)."""
    digest = hashlib.sha256()
    for ref in refs:
        if ref.path and Path(ref.path).is_file():
            digest.update(Path(ref.path).read_bytes())
        digest.update(ref.model_dump_json().encode())
    return digest.hexdigest()[:16]


def held_out_split(rows: Sequence[T], eval_size: int, seed: int, what: str, key: str) -> tuple[list[T], list[T]]:
    """(train, eval): a seeded shuffle, the first `eval_size` held out; at least one row must be left to train.
    `what` names the rows and `key` the setting in the error."""
    if len(rows) <= eval_size:
        raise RecordsError(
            f"{len(rows)} {what} but {key}={eval_size} holds out that many or more; add rows or lower {key}"
        )
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    return [rows[i] for i in order[eval_size:]], [rows[i] for i in order[:eval_size]]
