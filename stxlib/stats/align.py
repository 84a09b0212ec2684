"""Pair two models' per-item scores by item id, refusing item sets that differ."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stxlib.io import iter_json_objects

_SHOWN = 5  # ids listed in an error message


class AlignmentError(ValueError):
    """Two samples files do not cover the same items (or a file is unreadable); the message says which."""


@dataclass(frozen=True)
class Aligned:
    """Values of the same items in the same order: `base[i]` and `new[i]` belong to `ids[i]`."""

    ids: list[Hashable]
    base: np.ndarray
    new: np.ndarray


def align_items(
    base: Mapping[Hashable, Any],
    new: Mapping[Hashable, Any],
    *,
    base_name: str = "base",
    new_name: str = "new",
) -> Aligned:
    """Pair `base[id]` with `new[id]`; the two must hold exactly the same ids.

    Raises AlignmentError naming how many ids each side lacks and the first few of them: a paired comparison
    of different item sets (e.g. a `--limit` run against a full one) would not be paired at all.
    """
    only_base = [k for k in base if k not in new]
    only_new = [k for k in new if k not in base]
    if only_base or only_new:
        parts = []
        if only_base:
            parts.append(f"{len(only_base)} only in {base_name} ({_preview(only_base)})")
        if only_new:
            parts.append(f"{len(only_new)} only in {new_name} ({_preview(only_new)})")
        raise AlignmentError(
            f"{base_name} and {new_name} do not hold the same items ({len(base)} vs {len(new)}): "
            + "; ".join(parts)
            + ". Evaluate both models on the same documents (same tasks, limit and data) to compare them."
        )
    ids = _sorted_ids(base)
    return Aligned(ids, np.asarray([base[k] for k in ids]), np.asarray([new[k] for k in ids]))


def read_item_values(
    path: str | Path,
    *,
    id_key: str,
    value_key: str,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[Hashable, float]:
    """`{row[id_key]: row[value_key]}` from a JSON-lines file; rows failing `keep` are left out.

    Every problem names the file and line: unreadable JSON, a missing key, a value that is not a finite
    number, an id seen twice.
    """
    values: dict[Hashable, float] = {}
    seen: dict[Hashable, int] = {}
    for number, row in iter_json_objects(path, AlignmentError, "samples file"):
        where = f"{path}:{number}"
        if keep is not None and not keep(row):
            continue
        for key in (id_key, value_key):
            if key not in row:
                raise AlignmentError(f"{where}: no {key!r} field (fields: {', '.join(row)})")
        item = _hashable(row[id_key], where, id_key)
        if item in seen:
            raise AlignmentError(f"{where}: {id_key} {item!r} already appeared on line {seen[item]}")
        seen[item] = number
        values[item] = _number(row[value_key], where, value_key)
    return values


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AlignmentError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def _hashable(value: Any, where: str, key: str) -> Hashable:
    if isinstance(value, list | dict):
        raise AlignmentError(f"{where}: {key} must be a string or a number, got {value!r}")
    return value


def _sorted_ids(mapping: Mapping[Hashable, Any]) -> list[Hashable]:
    try:
        return sorted(mapping)  # type: ignore[type-var]
    except TypeError:  # mixed id types: keep the base file's order
        return list(mapping)


def _preview(ids: list[Hashable]) -> str:
    shown = ", ".join(repr(i) for i in _sorted_ids(dict.fromkeys(ids))[:_SHOWN])
    return shown + (", ..." if len(ids) > _SHOWN else "")
