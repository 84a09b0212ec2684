"""`stx train --nproc-per-node 2`: torchrun, two CPU processes (gloo, DDP), one adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SMOKE, run_stx

from stxlib.io import read_json
from stxlib.paths import RunPaths

pytestmark = pytest.mark.slow


def test_two_processes_train_one_adapter(tmp_path: Path, tiny_model_dir) -> None:
    """Two gloo ranks train; rank 0 writes one adapter, which `stx merge` then exports."""
    from stxlib.config import load_params
    from stxlib.data import run_stage as run_data_stage

    paths = RunPaths(tmp_path / "run")
    run_data_stage(load_params(SMOKE), paths)
    result = run_stx(
        "train",
        str(SMOKE),
        "--run-dir",
        str(paths.root),
        "--nproc-per-node",
        "2",
        "--set",
        "train.max_steps=4",
        "--set",
        "train.eval_steps=2",
        "--set",
        "train.save_steps=2",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = read_json(paths.train_summary)
    assert summary["processes"] == 2 and summary["effective_batch_size"] == 2 * 4 * 2
    assert summary["epochs"] == pytest.approx(4 * 16 / 120, abs=1e-3)  # each step saw 16 sequences
    checkpoint = paths.checkpoints / "checkpoint-4"
    assert (checkpoint / "rng_state_0.pth").is_file() and (checkpoint / "rng_state_1.pth").is_file()
    per_rank = [json.loads((checkpoint / f"stx_tokens_rank{r}.json").read_text()) for r in (0, 1)]
    assert all(counts["target"] > 0 for counts in per_rank)  # both ranks ran forward/backward passes
    assert summary["tokens_seen"] == sum(counts["padded"] for counts in per_rank)
    adapters = sorted(p.parent for p in paths.train_dir.rglob("adapter_model.safetensors"))
    assert [p for p in adapters if "checkpoints" not in p.parts] == [paths.best_adapter]
    assert read_json(paths.best_adapter / "stx_best.json")["step"] == summary["best_step"]
    history = read_json(paths.log_history)
    assert [r["step"] for r in history if "eval_loss" in r] == [2, 4]

    merged = run_stx("merge", str(SMOKE), "--run-dir", str(paths.root), "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stderr[-3000:]
    config = json.loads((tmp_path / "merged" / "config.json").read_text())
    assert config["dtype"] == "bfloat16" and "quantization_config" not in config
    assert (tmp_path / "merged" / "tokenizer_config.json").is_file()
