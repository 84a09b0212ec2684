"""llm-jp-eval's evaluation files: `{instruction, output_length, metrics, few_shots, samples}`, one per dataset.

A data folder holds `<dataset>.json` or `test/<dataset>.json`: llm-jp-eval 1.1's preprocessing writes
`<output-dir>/<version>/evaluation/test/<dataset>.json` (pass that `test` folder, or the `evaluation` folder above
it). Without a folder, stx uses its own small invented files (`tests/fixtures/llm_jp_eval/`): plumbing only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.llm_jp_eval.datasets import DATASETS, METRICS, VERSION
from stxlib.paths import repo_root

FIELDS: dict[str, type] = {
    "instruction": str,
    "output_length": int,
    "metrics": list,
    "few_shots": list,
    "samples": list,
}
_KIND_NAMES = {str: "a string", int: "an integer", list: "a list"}


class LlmJpEvalDataError(ValueError):
    """An evaluation file is missing or malformed; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class Sample:
    input: str
    output: str


@dataclass(frozen=True)
class EvalFile:
    name: str
    path: Path
    instruction: str
    output_length: int
    metrics: tuple[str, ...]
    few_shots: tuple[Sample, ...]
    samples: tuple[Sample, ...]
    sha256: str

    def differences_from_release(self) -> list[str]:
        """How this file's budget and metrics differ from llm-jp-eval 1.1.1's (empty when they agree)."""
        info = DATASETS[self.name]
        notes = []
        if self.output_length != info.output_length:
            notes.append(
                f"{self.name}: output_length {self.output_length} (llm-jp-eval {VERSION}: {info.output_length})"
            )
        if self.metrics != info.metrics:
            notes.append(f"{self.name}: metrics {list(self.metrics)} (llm-jp-eval {VERSION}: {list(info.metrics)})")
        return notes


def fixtures_dir() -> Path:
    """stx's invented evaluation files in llm-jp-eval's shape (the offline default; scores mean nothing)."""
    return repo_root() / "tests" / "fixtures" / "llm_jp_eval"


def find_eval_file(data_dir: str | Path, name: str) -> Path:
    base = Path(data_dir).expanduser()
    if not base.is_dir():
        raise LlmJpEvalDataError(
            f"llm-jp-eval data folder not found: {base} (give the folder of llm-jp-eval's evaluation files, "
            "e.g. <dataset_dir>/1.1.0/evaluation/test from its preprocess_dataset.py)"
        )
    candidates = [base / f"{name}.json", base / "test" / f"{name}.json"]
    for path in candidates:
        if path.is_file():
            return path
    raise LlmJpEvalDataError(
        f"no evaluation file for {name} in {base}: looked for {candidates[0].name} and test/{candidates[1].name}. "
        f"Run llm-jp-eval {VERSION}'s preprocessing for {name}, or leave it out of the datasets"
    )


def load_eval_file(path: str | Path, name: str) -> EvalFile:
    """Read and check one evaluation file (every field present, with the right type)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LlmJpEvalDataError(f"{path}: cannot read it as UTF-8 JSON ({err})") from None
    if not isinstance(data, dict):
        raise LlmJpEvalDataError(f"{path}: expected a JSON object with {', '.join(FIELDS)}")
    for field, kind in FIELDS.items():
        if field not in data:
            raise LlmJpEvalDataError(f"{path}: missing field {field!r} (an evaluation file has {', '.join(FIELDS)})")
        if not isinstance(data[field], kind) or (kind is int and isinstance(data[field], bool)):
            raise LlmJpEvalDataError(
                f"{path}: field {field!r} must be {_KIND_NAMES[kind]}, got {type(data[field]).__name__}"
            )
    if data["output_length"] < 1:
        raise LlmJpEvalDataError(f"{path}: output_length must be at least 1, got {data['output_length']}")
    metrics = tuple(str(m) for m in data["metrics"])
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise LlmJpEvalDataError(
            f"{path}: metrics {list(metrics)}: llm-jp-eval {VERSION}'s ten datasets use {', '.join(METRICS)}"
        )
    return EvalFile(
        name=name,
        path=path,
        instruction=data["instruction"],
        output_length=data["output_length"],
        metrics=metrics,
        few_shots=_samples(data["few_shots"], path, "few_shots"),
        samples=_samples(data["samples"], path, "samples"),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _samples(items: list[Any], path: Path, field: str) -> tuple[Sample, ...]:
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise LlmJpEvalDataError(f"{path}: {field}[{index}] must be an object with input and output")
        for key in ("input", "output"):
            if key not in item:
                raise LlmJpEvalDataError(f"{path}: {field}[{index}] is missing field {key!r}")
            if not isinstance(item[key], str):
                raise LlmJpEvalDataError(f"{path}: {field}[{index}].{key} must be a string")
        out.append(Sample(item["input"], item["output"]))
    return tuple(out)


def load_datasets(data_dir: str | Path, names: list[str]) -> list[EvalFile]:
    """Every named dataset's evaluation file, all checked before any model is loaded."""
    return [load_eval_file(find_eval_file(data_dir, name), name) for name in names]
