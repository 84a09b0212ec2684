"""Notebook 01 through papermill, as `stx run` executes it: it calls the data stage and shows its results."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMOKE, code_outputs, execute_notebook

from stxlib.config import load_params
from stxlib.data import build_mix
from stxlib.io import read_json, read_jsonl
from stxlib.paths import RunPaths


@pytest.mark.slow
def test_notebook_01_writes_the_mix_stats_and_chart(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    paths.root.mkdir(parents=True)
    nb = execute_notebook(
        "01_data_mixing",
        paths.root / "01_data_mixing.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides="data.eval_size=12",
    )
    config = load_params(SMOKE, ["data.eval_size=12"])
    stats = read_json(paths.mix_stats)  # what the stage recorded, not what the notebook printed
    n = config.data.samples_per_source
    assert stats["totals"] == {"train": 3 * n, "validation": 12, "discarded": 0}
    assert {name: info["train"] for name, info in stats["sources"].items()} == {"snow": n, "tydiqa": n, "xlsum": n}
    assert stats["tokenizer"] == config.model.tokenizer_name and stats["lengths"]["train"]["all"]["rows"] == 3 * n
    mix = build_mix(config.data, config.run.seed)  # the same rows as the library makes them
    assert read_jsonl(paths.train_file) == mix.train and read_jsonl(paths.validation_file) == mix.validation
    assert (paths.plots / "data_mix.png").is_file() and (paths.plots / "data_mix.svg").is_file()
    outputs = code_outputs(nb)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the stage's chart, shown from plots/data_mix.png
    tables = [o for o in outputs if "text/html" in o.get("data", {}) and "<table" in o["data"]["text/html"]]
    assert len(tables) == 4  # templates, examples, rows per source, truncation
