"""notebooks/05_tokenizer.ipynb through papermill on the Shisa smoke tokenizer block (tiny base extended, the real
Mistral-7B-v0.1 tokenizer measured beside it)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest
import yaml
from conftest import FIXTURES, REPO

from stxlib.io import read_json
from stxlib.runner.kernel import ensure_kernel
from stxlib.tokenizer.offline import is_installed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not is_installed(), reason="stx-mistral-tokenizer is not in the stx cache: run `make venv`"),
]


def test_notebook_measures_and_extends(tmp_path: Path) -> None:
    fx = str(FIXTURES / "tokenizer")
    params = {
        "run": {"name": "tok-nb", "stages": ["tokenizer"]},
        "model": {"name_or_path": "stx-tiny"},
        "tokenizer": {
            "tokenizers": [
                {"name": "base", "label": "stx-tiny"},
                {"name": "stx-mistral-tokenizer", "label": "mistral-7b-v0.1"},
            ],
            "corpora": [
                {"name": "ja-heldout", "path": f"{fx}/ja_heldout.jsonl", "lang": "ja"},
                {"name": "en", "path": f"{fx}/en.jsonl", "lang": "en"},
            ],
            "extension": {
                "enabled": True,
                "corpus": {"name": "ja-train", "path": f"{fx}/ja_train.jsonl"},
                "vocab_size": 1000,
                "min_frequency": 2,
            },
        },
    }
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params, allow_unicode=True))
    run = tmp_path / "run"
    output = tmp_path / "05_tokenizer.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "05_tokenizer.ipynb"),
        str(output),
        parameters={"params_file": str(params_file), "run_dir": str(run), "overrides": "tokenizer.batch_size=8"},
        kernel_name=ensure_kernel(),
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    rows = {(r["tokenizer"], r["corpus"]): r for r in read_json(run / "tokenizer" / "efficiency.json")["results"]}
    assert len(rows) == 6
    assert rows[("mistral-7b-v0.1", "ja-heldout")]["vocab_size"] == 32000
    assert rows[("extended", "ja-heldout")]["chars_per_token"] > rows[("stx-tiny", "ja-heldout")]["chars_per_token"]
    assert (run / "tokenizer" / "extended" / "config.json").is_file()
    html = "\n".join(
        str(out.get("data", {}).get("text/html", ""))
        for cell in nbformat.read(output, as_version=4).cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert "tokens saved" in html and "trained_vocab_size" in html  # before/after and the extension summary
    assert "▁みどり町の図書館" in html and "&lt;0xE5&gt;" in html  # how the example sentence splits
    images = [
        o
        for c in nbformat.read(output, as_version=4).cells
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert images, "the chart is shown"
