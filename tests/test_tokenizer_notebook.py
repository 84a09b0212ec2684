"""notebooks/05_tokenizer.ipynb through papermill on the Shisa smoke tokenizer block (tiny base extended, the real
Mistral-7B-v0.1 tokenizer measured beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import FIXTURES, code_outputs, execute_notebook

from stxlib.io import read_json
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
    nb = execute_notebook(
        "05_tokenizer",
        tmp_path / "05_tokenizer.ipynb",
        params_file=str(params_file),
        run_dir=str(run),
        overrides="tokenizer.batch_size=8",
    )
    rows = {(r["tokenizer"], r["corpus"]): r for r in read_json(run / "tokenizer" / "efficiency.json")["results"]}
    assert len(rows) == 6
    assert rows[("mistral-7b-v0.1", "ja-heldout")]["vocab_size"] == 32000
    assert rows[("extended", "ja-heldout")]["chars_per_token"] > rows[("stx-tiny", "ja-heldout")]["chars_per_token"]
    assert (run / "tokenizer" / "extended" / "config.json").is_file()
    outputs = code_outputs(nb)
    html = "\n".join(str(out.get("data", {}).get("text/html", "")) for out in outputs)
    assert "tokens saved" in html and "trained_vocab_size" in html  # before/after and the extension summary
    assert "▁みどり町の図書館" in html and "&lt;0xE5&gt;" in html  # how the example sentence splits
    assert [o for o in outputs if "image/png" in o.get("data", {})], "the chart is shown"
