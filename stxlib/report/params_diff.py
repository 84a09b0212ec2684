"""Which params differ between runs: flatten each run's merged params to dotted keys and compare."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ABSENT = "(absent)"


def flatten_params(params: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """`{"train": {"max_steps": 5}}` -> `{"train.max_steps": 5}`; lists of mappings are indexed
    (`eval.models.0.label`), lists of scalars stay one value."""
    flat: dict[str, Any] = {}
    for key, value in (params or {}).items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, dotted + "."))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, item in enumerate(value):
                flat.update(flatten_params(item, f"{dotted}.{index}."))
        else:
            flat[dotted] = value
    return flat


def differing_params(runs: Sequence[Mapping[str, Any] | None]) -> list[tuple[str, list[Any]]]:
    """(dotted key, value per run) for every key whose value is not the same in all runs, in the
    order the keys first appear; a key a run lacks has the value `ABSENT`."""
    flats = [flatten_params(p) for p in runs]
    keys: list[str] = []
    seen: set[str] = set()
    for flat in flats:
        for key in flat:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    rows = []
    for key in keys:
        values = [flat.get(key, ABSENT) for flat in flats]
        if any(v != values[0] for v in values[1:]):
            rows.append((key, values))
    return rows
