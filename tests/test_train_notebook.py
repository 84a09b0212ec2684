"""notebooks/02_qlora_training.ipynb through papermill (the real kernel) on the smoke params."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from helpers import REPO, SMOKE

from stxlib.io import read_json
from stxlib.paths import RunPaths

pytestmark = pytest.mark.slow


def test_training_notebook(tmp_path: Path, tiny_model_dir) -> None:
    import papermill

    from stxlib.config import load_params
    from stxlib.data import run_data_stage
    from stxlib.runner.kernel import ensure_kernel

    paths = RunPaths(tmp_path / "run")
    run_data_stage(load_params(SMOKE), paths)
    output = tmp_path / "02_qlora_training.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "02_qlora_training.ipynb"),
        str(output),
        parameters={
            "params_file": str(SMOKE),
            "run_dir": str(paths.root),
            "overrides": "train.max_steps=10; train.eval_steps=5; train.save_steps=5",
        },
        kernel_name=ensure_kernel(),
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    summary = read_json(paths.train_summary)
    assert summary["steps"] == 10 and (paths.best_adapter / "adapter_model.safetensors").is_file()
    assert [r["step"] for r in read_json(paths.log_history) if "eval_loss" in r] == [5, 10]

    nb = nbformat.read(output, as_version=4)
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) + str(o.get("data", {}).get("text/html", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "trainable parameters" in text and "20,480" in text  # the model and LoRA summary
    assert re.search(r"10/10 \[.*loss=", text)  # the Trainer's tqdm bar, loss in its postfix
    assert "step 10/10: eval_loss" in text  # one line per evaluation
    assert "◀ best" in text  # the eval-loss table marks the best step
    logged, reloaded = re.search(r"logged best eval_loss ([\d.]+) .*reloaded adapter ([\d.]+)", text).groups()
    assert logged == reloaded
    assert "名古屋城はだれのために築かれた？" in text  # closed QA on validation examples
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the loss plot
