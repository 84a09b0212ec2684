"""The data stage's JSON lines as Trainer datasets, with qlora's `length` column (characters)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from stxlib.io import read_jsonl
from stxlib.paths import RunPaths
from stxlib.train.checks import check_data_files
from stxlib.train.errors import TrainSetupError

LENGTH_COLUMN = "length"


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows with `input` and `output` strings (other keys kept)."""
    rows = read_jsonl(path)
    for number, row in enumerate(rows, 1):
        if not isinstance(row.get("input"), str) or not isinstance(row.get("output"), str):
            raise TrainSetupError(
                f"{path}:{number}: a row needs string `input` and `output` fields (re-run the data stage)"
            )
    return rows


def to_dataset(rows: list[dict[str, str]]) -> Any:
    """A `datasets.Dataset` of input/output plus qlora's `length` = len(input) + len(output) in characters."""
    from datasets import Dataset

    return Dataset.from_dict(
        {
            "input": [r["input"] for r in rows],
            "output": [r["output"] for r in rows],
            LENGTH_COLUMN: [len(r["input"]) + len(r["output"]) for r in rows],
        }
    )


def load_datasets(paths: RunPaths) -> tuple[Any, Any]:
    """(train, validation) datasets from `data/`; a clear error when the data stage has not run."""
    check_data_files(paths)
    return to_dataset(read_rows(paths.train_file)), to_dataset(read_rows(paths.validation_file))


def data_fingerprint(paths: RunPaths) -> str:
    """Hash of the train and validation files (a resumed run must see the same data)."""
    digest = hashlib.sha256()
    for path in (paths.train_file, paths.validation_file):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
