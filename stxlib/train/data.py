"""The data stage's JSON lines as Trainer datasets, with qlora's `length` column (characters)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stxlib.io import read_jsonl
from stxlib.paths import RunPaths
from stxlib.training.checkpoints import hash_files
from stxlib.training.errors import TrainSetupError

LENGTH_COLUMN = "length"


def check_data_files(paths: RunPaths) -> None:
    """The data stage's outputs must exist."""
    missing = [p for p in (paths.train_file, paths.validation_file) if not p.is_file()]
    if missing:
        raise TrainSetupError(
            f"no training data: {', '.join(str(p) for p in missing)} missing. Run the data stage first "
            f"(stx run PARAMS --stages data, or stx mix PARAMS --run-dir {paths.root})"
        )


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
    return hash_files([paths.train_file, paths.validation_file])
