"""notebooks/09_llm_jp_eval.ipynb through papermill, reading the files the stage wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_doubles import BackendFactory
from helpers import SMOKE, code_outputs, execute_notebook

from stxlib.config import load_params
from stxlib.io import read_json
from stxlib.llm_jp_eval.stage import run_stage
from stxlib.paths import RunPaths

pytestmark = pytest.mark.slow

OVERRIDES = ["llm_jp_eval.limit=2", "llm_jp_eval.datasets=[jamp, jsquad, jsts]"]


def _execute(paths: RunPaths, tmp_path: Path, overrides: list[str]) -> str:
    nb = execute_notebook(
        "09_llm_jp_eval",
        tmp_path / "09_llm_jp_eval.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides=";".join(overrides),
    )
    outputs = code_outputs(nb)
    return "\n".join(str(out.get("data", {}).get("text/html", "")) + str(out.get("text", "")) for out in outputs)


def test_notebook_shows_a_resumed_run(tmp_path) -> None:
    """Generation done beforehand (scripted backend, as after an interrupt): the notebook resumes without
    opening a model, rescores, draws and shows everything from the files."""
    paths = RunPaths(tmp_path / "run")
    adapter = paths.root / "train" / "best_adapter"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}", encoding="utf-8")
    config = load_params(SMOKE, OVERRIDES)
    run_stage(config, paths, backend_factory=BackendFactory())
    for label in ("base", "finetuned"):
        (paths.root / "llm_jp_eval" / label / "score_eval.json").unlink()
    text = _execute(paths, tmp_path, OVERRIDES)
    for label in ("base", "finetuned"):
        folder = paths.root / "llm_jp_eval" / label
        info = read_json(folder / "run_info.json")
        assert info["reused"] == ["jamp", "jsquad", "jsts"] and info["generated"] == []
        assert set(read_json(folder / "score_eval.json")) == {
            "jamp_exact_match",
            "jsquad_char_f1",
            "jsts_pearson",
            "jsts_spearman",
            "csv_line",
        }
    assert (paths.plots / "llm_jp_eval.png").stat().st_size > 5_000
    assert "### 指示" in text and "jsquad_char_f1" in text and "NLI" in text
    assert "文章：" in text  # a wrong jsquad answer, with its input


def test_notebook_with_the_tiny_model(tmp_path) -> None:
    """The real engine backend on the tiny model, through the notebook."""
    paths = RunPaths(tmp_path / "run")
    overrides = [*OVERRIDES, "llm_jp_eval.models=[{label: base}]", "llm_jp_eval.cpu_threads=1"]
    text = _execute(paths, tmp_path, overrides)
    info = read_json(paths.root / "llm_jp_eval" / "base" / "run_info.json")
    assert info["generated"] == ["jamp", "jsquad", "jsts"] and info["generated_samples"] == 6
    output = read_json(paths.root / "llm_jp_eval" / "base" / "output_eval.json")
    assert all("\n" not in r["pred"] for records in output.values() for r in records)
    assert "jamp_exact_match" in text
