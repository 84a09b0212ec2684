"""The files of one evaluated model, `llm_jp_eval/<label>/`:

- `output_eval.json`, `score_eval.json`: llm-jp-eval 1.1's own files, byte for byte its format
  (`json.dump(..., ensure_ascii=False, indent=4)`, no final newline);
- `per_sample.jsonl`: per-sample metric values (see `scoring`), for paired comparisons;
- `run_info.json`: what was evaluated and how (model, adapter, data, settings, timing);
- `parts/<dataset>.json`: each dataset's records as soon as it is generated (the resume cache).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stxlib.io import atomic_write_text, read_json, write_json, write_jsonl
from stxlib.llm_jp_eval.scoring import RECORD_KEYS, Scores

OUTPUT_EVAL = "output_eval.json"
SCORE_EVAL = "score_eval.json"
PER_SAMPLE = "per_sample.jsonl"
RUN_INFO = "run_info.json"
PARTS = "parts"

Output = dict[str, list[dict[str, str]]]


class OutputEvalError(ValueError):
    """An output_eval.json that is not in llm-jp-eval's shape; the message names the place."""


def dumps_llm_jp(obj: Any) -> str:
    """JSON exactly as llm-jp-eval wrote its files."""
    return json.dumps(obj, ensure_ascii=False, indent=4)


def write_llm_jp(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, dumps_llm_jp(obj))


def read_output_eval(path: str | Path) -> Output:
    """Read and check an output_eval.json: dataset -> list of records with string `pred` and `gold`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputEvalError(f"output_eval.json not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise OutputEvalError(f"{path}: cannot read it as UTF-8 JSON ({err})") from None
    if not isinstance(data, dict) or not data:
        raise OutputEvalError(f"{path}: expected an object mapping each dataset to its list of records")
    for name, records in data.items():
        if not isinstance(records, list) or not records:
            raise OutputEvalError(f"{path}: dataset {name!r} must map to a non-empty list of records")
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                raise OutputEvalError(f"{path}: {name}[{index}] must be an object with {', '.join(RECORD_KEYS)}")
            for key in ("pred", "gold"):
                if not isinstance(record.get(key), str):
                    problem = "is missing" if key not in record else "must be a string"
                    raise OutputEvalError(f"{path}: {name}[{index}] field {key!r} {problem}")
    return data


def write_results(out_dir: Path, output: Output, scores: Scores, run_info: dict[str, Any] | None = None) -> None:
    """The model's result files; score_eval.json last, so that its presence means the set is complete."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_llm_jp(out_dir / OUTPUT_EVAL, output)
    write_jsonl(out_dir / PER_SAMPLE, scores.per_sample)
    if run_info is not None:
        write_json(out_dir / RUN_INFO, run_info)
    write_llm_jp(out_dir / SCORE_EVAL, scores.score_eval())


def read_part(out_dir: Path, name: str) -> dict[str, Any] | None:
    path = out_dir / PARTS / f"{name}.json"
    if not path.is_file():
        return None
    try:
        part = read_json(path)
    except (OSError, json.JSONDecodeError):
        return None  # a damaged cache entry is regenerated
    return part if isinstance(part, dict) else None


def write_part(out_dir: Path, name: str, part: dict[str, Any]) -> None:
    write_json(out_dir / PARTS / f"{name}.json", part)
