"""notebooks/08_dpo.ipynb through papermill on params/shisa_smoke.yaml (as `stx run` runs it), cut down to two
DPO steps on a fresh adapter (the other Shisa training notebooks share its structure; test_notebooks_clean checks
them)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import REPO, code_outputs, execute_notebook

from stxlib.io import read_json

pytestmark = pytest.mark.slow


def test_dpo_notebook_trains_and_shows_the_rewards(tmp_path: Path, tiny_model_dir: Path) -> None:
    run = tmp_path / "run"
    overrides = (
        "tokenizer.extension.enabled=false; dpo.start_from=null; dpo.max_steps=2; dpo.eval_steps=2; "
        "dpo.save_steps=2; dpo.warmup_ratio=0.0; dpo.max_length=96"
    )
    nb = execute_notebook(
        "08_dpo",
        tmp_path / "08_dpo.ipynb",
        params_file=str(REPO / "params" / "shisa_smoke.yaml"),
        run_dir=str(run),
        overrides=overrides,
    )
    outputs = code_outputs(nb)
    history = read_json(run / "dpo" / "log_history.json")
    assert abs(history[0]["loss"] - math.log(2)) < 1e-3
    assert (run / "dpo" / "best_adapter" / "adapter_config.json").is_file()
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "rewards/margins" in html and "last evaluation" in html and "frozen copy" not in html
    assert "the base with the adapter disabled" in html  # the reference of a fresh adapter
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # loss curves and the rewards
