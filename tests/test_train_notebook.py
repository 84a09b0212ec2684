"""notebooks/02_qlora_training.ipynb through papermill (the real kernel) on the smoke params: the values the
stage and the notebook recorded (train_summary.json, log_history.json, best_adapter_check.json, closed_qa.json)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMOKE, code_outputs, execute_notebook

from stxlib.config import load_params
from stxlib.data import run_stage
from stxlib.history import best_eval, eval_records, read_log_history, train_records
from stxlib.io import read_json
from stxlib.paths import RunPaths

pytestmark = pytest.mark.slow


def test_training_notebook(tmp_path: Path, tiny_model_dir) -> None:
    paths = RunPaths(tmp_path / "run")
    run_stage(load_params(SMOKE), paths)  # the data stage
    nb = execute_notebook(
        "02_qlora_training",
        tmp_path / "02_qlora_training.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides="train.max_steps=10; train.eval_steps=5; train.save_steps=5",
    )
    dirs = paths.training("train")
    summary = read_json(dirs.train_summary)
    assert summary["steps"] == 10 and (dirs.best_adapter / "adapter_model.safetensors").is_file()
    assert summary["trainable_parameters"] == 20_480  # the model and LoRA summary the notebook showed
    history = read_log_history(dirs.log_history)
    assert [r["step"] for r in train_records(history)] == list(range(1, 11))  # a loss at every step
    assert [r["step"] for r in eval_records(history)] == [5, 10]
    best = best_eval(history)
    assert (summary["best_step"], summary["best_eval_loss"]) == (best.step, best.eval_loss)

    check = read_json(dirs.root / "best_adapter_check.json")  # the best adapter, reloaded and re-scored
    assert check["step"] == best.step and check["logged_eval_loss"] == best.eval_loss
    assert check["reloaded_eval_loss"] == pytest.approx(check["logged_eval_loss"], abs=1e-6)
    answers = read_json(dirs.root / "closed_qa.json")  # closed QA on validation examples
    assert "名古屋城はだれのために築かれた？" in [a["question"] for a in answers]
    assert all(isinstance(a["answer"], str) and a["gold"] for a in answers) and len(answers) == 2

    images = [o for o in code_outputs(nb) if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the loss plot
