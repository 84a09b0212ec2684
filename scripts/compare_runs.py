#!/usr/bin/env python3
"""Are two smoke runs the same run? `python scripts/compare_runs.py BASE_RUN NEW_RUN`

Compares the results of two run folders (e.g. before and after a refactor) and prints PASS/FAIL per file:

  data/*.jsonl                   byte-identical
  data/mix_stats.json            equal, absolute paths compared by file name only (checkouts differ)
  train/log_history.json         every value equal except timing (`*_runtime`, `*_per_second`)
  eval/<label>/results.json      the "results" object equal
  eval/<label>/samples_*.jsonl   equal row by row

A file present in one run only is a FAIL; a kind of file present in neither is a SKIP. Exit status 0 when
everything compared is equal, 1 on any difference, 2 on bad arguments. Standard library only, so it runs
from any checkout. `--rel-tol` allows a relative difference in numbers (default 0: exact).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMING = re.compile(r"(^|_)(runtime|samples_per_second|steps_per_second)$")


def first_difference(a: Any, b: Any, where: str = "", rel_tol: float = 0.0) -> str | None:
    """`None` when equal, else where and how the first difference shows (`[3].loss: 8.01 != 8.02`)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{where}.{key}: only in {'BASE' if key in a else 'NEW'}"
            found = first_difference(a[key], b[key], f"{where}.{key}", rel_tol)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{where}[{index}]", rel_tol)
            if found:
                return found
        return None if len(a) == len(b) else f"{where}: {len(a)} items != {len(b)} items"
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if numbers and (a == b or math.isclose(a, b, rel_tol=rel_tol) or (math.isnan(a) and math.isnan(b))):
        return None
    if not numbers and type(a) is type(b) and a == b:
        return None
    return f"{where or '(top)'}: {a!r} != {b!r}"


def without_paths(obj: Any) -> Any:
    """Absolute paths (strings starting with "/") reduced to `<abs>/<file name>`."""
    if isinstance(obj, dict):
        return {k: without_paths(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [without_paths(v) for v in obj]
    if isinstance(obj, str) and obj.startswith("/"):
        return "<abs>/" + Path(obj).name
    return obj


def without_timing(history: Any) -> Any:
    if not isinstance(history, list):
        return history
    return [{k: v for k, v in r.items() if not TIMING.search(k)} if isinstance(r, dict) else r for r in history]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


Check = Callable[[Path, Path, float], str | None]  # None when equal, else the difference


def same_bytes(a: Path, b: Path, rel_tol: float) -> str | None:
    if a.read_bytes() == b.read_bytes():
        return None
    rows_a, rows_b = a.read_text(encoding="utf-8").splitlines(), b.read_text(encoding="utf-8").splitlines()
    for number, (x, y) in enumerate(zip(rows_a, rows_b, strict=False), 1):
        if x != y:
            return f"line {number} differs"
    return f"{len(rows_a)} lines != {len(rows_b)} lines" if len(rows_a) != len(rows_b) else "bytes differ"


def same_json(transform: Callable[[Any], Any]) -> Check:
    def check(a: Path, b: Path, rel_tol: float) -> str | None:
        return first_difference(transform(read_json(a)), transform(read_json(b)), rel_tol=rel_tol)

    return check


def same_rows(a: Path, b: Path, rel_tol: float) -> str | None:
    return first_difference(read_jsonl(a), read_jsonl(b), "rows", rel_tol)


def results_only(obj: Any) -> Any:
    return obj.get("results") if isinstance(obj, dict) else obj


# (glob relative to the run folder, what equal means, the check)
RULES: list[tuple[str, str, Check]] = [
    ("data/*.jsonl", "byte-identical", same_bytes),
    ("data/mix_stats.json", "equal but for absolute paths", same_json(without_paths)),
    ("train/log_history.json", "values equal but for timing", same_json(without_timing)),
    ("eval/*/results.json", "results equal", same_json(results_only)),
    ("eval/*/samples_*.jsonl", "rows equal", same_rows),
]


def compare_runs(base: Path, new: Path, rel_tol: float = 0.0, out: Callable[[str], None] = print) -> bool:
    """Print one PASS/FAIL/SKIP line per file; True when nothing differs."""
    ok = True
    for pattern, meaning, check in RULES:
        names = sorted({str(p.relative_to(run)) for run in (base, new) for p in run.glob(pattern) if p.is_file()})
        if not names:
            out(f"SKIP {pattern}: in neither run")
            continue
        for name in names:
            a, b = base / name, new / name
            if not (a.is_file() and b.is_file()):
                problem = f"missing in {'NEW' if a.is_file() else 'BASE'}"
            else:
                try:
                    problem = check(a, b, rel_tol)
                except (OSError, ValueError) as err:
                    problem = f"cannot read ({type(err).__name__}: {err})"
            ok = ok and problem is None
            out(f"PASS {name} ({meaning})" if problem is None else f"FAIL {name}: {problem}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", type=Path, metavar="BASE_RUN")
    parser.add_argument("new", type=Path, metavar="NEW_RUN")
    parser.add_argument("--rel-tol", type=float, default=0.0, help="relative tolerance for numbers (default 0)")
    args = parser.parse_args(argv)
    for run in (args.base, args.new):
        if not run.is_dir():
            print(f"compare_runs: error: {run} is not a folder (give two run folders)", file=sys.stderr)
            return 2
    same = compare_runs(args.base, args.new, args.rel_tol)
    print("SAME: every compared file matches" if same else "DIFFERENT: see the FAIL lines above")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
