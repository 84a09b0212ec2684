"""The grid of a sweep: `--grid key=v1,v2` options expanded into named points, each a list of `--set` overrides.

Values are YAML scalars split at top-level commas (`lora.r=8,16`, `train.learning_rate=1e-4,2e-4`); a value
that holds a comma itself goes in brackets or quotes (`data.mix=[a,b],[c]`). Points are the Cartesian product
in the order given (the last key varies fastest); a point's name joins `<key>-<value>` for every key with `__`
(`max_steps-2__r-16`), the key shortened to its last part unless two keys share it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stxlib.config import ParamsError
from stxlib.config.params import parse_override


@dataclass(frozen=True)
class Axis:
    key: str  # dotted params key
    values: tuple[str, ...]  # the values as written (YAML text)


@dataclass(frozen=True)
class Point:
    name: str  # the run folder's name
    overrides: tuple[str, ...]  # `key=value` for `stx run --set`


def split_values(text: str) -> list[str]:
    """`a,b,[c,d],"e,f"` -> `["a", "b", "[c,d]", '"e,f"']`: commas inside brackets or quotes do not split."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return parts


def parse_axis(option: str) -> Axis:
    """One `--grid key=v1,v2` option; errors name the option and the fix."""
    key, sep, values = option.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ParamsError(f"--grid {option!r}: write KEY=V1,V2 (e.g. --grid train.max_steps=20,40)")
    parsed = split_values(values)
    if any(not v for v in parsed):
        raise ParamsError(f"--grid {option!r}: an empty value; separate values with single commas")
    if len(set(parsed)) != len(parsed):
        raise ParamsError(f"--grid {option!r}: a value is repeated")
    for value in parsed:
        parse_override(f"{key}={value}")  # a YAML error names the value
    return Axis(key, tuple(parsed))


def parse_grid(options: Sequence[str]) -> list[Axis]:
    if not options:
        raise ParamsError("a sweep needs at least one --grid KEY=V1,V2")
    axes = [parse_axis(option) for option in options]
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ParamsError(f"--grid: each key once, got {', '.join(keys)}")
    return axes


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_") or "_"


def expand(axes: Sequence[Axis]) -> list[Point]:
    """Every combination of the axes' values, named for its run folder."""
    last = [a.key.rsplit(".", 1)[-1] for a in axes]
    short = [name if last.count(name) == 1 else a.key.replace(".", "-") for a, name in zip(axes, last, strict=True)]
    points = []
    for combination in itertools.product(*(a.values for a in axes)):
        name = "__".join(f"{_label(s)}-{_label(v)}" for s, v in zip(short, combination, strict=True))
        overrides = tuple(f"{a.key}={v}" for a, v in zip(axes, combination, strict=True))
        points.append(Point(name, overrides))
    names = [p.name for p in points]
    if len(set(names)) != len(names):
        raise ParamsError(f"--grid: values that differ only in punctuation give the same folder name ({names})")
    return points
