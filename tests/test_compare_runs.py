"""`scripts/compare_runs.py`: two small synthetic run folders, equal where the contract says, different where not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import REPO

SCRIPT = REPO / "scripts" / "compare_runs.py"
RESULTS = {"jnli-1.1-0.3": {"acc": 0.3, "acc_stderr": 0.15, "acc_norm": 0.3, "acc_norm_stderr": 0.15}}


def write(path: Path, obj: object, lines: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in obj) if lines else json.dumps(obj, indent=2)
    path.write_text(text, encoding="utf-8")


def make_run(root: Path, checkout: str, runtime: float) -> Path:
    write(root / "data" / "train.jsonl", [{"source": "snow", "input": "入力", "output": "出力"}], lines=True)
    write(root / "data" / "validation.jsonl", [{"source": "xlsum", "input": "記事", "output": "要約"}], lines=True)
    write(root / "data" / "mix_stats.json", {"totals": {"train": 1}, "files": [f"{checkout}/tests/fixtures/a.jsonl"]})
    history = [
        {"loss": 8.012, "grad_norm": 0.11, "learning_rate": 0.002, "epoch": 0.5, "step": 1},
        {"eval_loss": 7.9, "eval_runtime": runtime, "eval_samples_per_second": 9.1 * runtime, "step": 1},
        {"train_runtime": runtime * 10, "train_steps_per_second": 0.3 / runtime, "train_loss": 7.93, "step": 1},
    ]
    write(root / "train" / "log_history.json", history)
    write(root / "eval" / "base" / "results.json", {"results": RESULTS, "config": {"model_path": checkout}})
    samples = [{"doc_id": 0, "prompt": "前提", "loglikelihoods": [-1.25, -2.5], "prediction": 0, "acc": 1}]
    write(root / "eval" / "base" / "samples_jnli-1.1-0.3.jsonl", samples, lines=True)
    return root


def compare(base: Path, new: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), str(base), str(new)], capture_output=True, text=True)


def test_runs_that_differ_only_in_paths_and_timing_are_the_same(tmp_path: Path) -> None:
    base = make_run(tmp_path / "base", "/work/main", runtime=2.75)
    new = make_run(tmp_path / "new", "/home/me/stx", runtime=3.5)
    result = compare(base, new)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    for name in (
        "data/train.jsonl",
        "data/validation.jsonl",
        "data/mix_stats.json",
        "train/log_history.json",
        "eval/base/results.json",
        "eval/base/samples_jnli-1.1-0.3.jsonl",
    ):
        assert any(line.startswith(f"PASS {name} (") for line in lines), name
    assert lines[-1].startswith("SAME")


def test_each_kind_of_difference_is_a_named_failure(tmp_path: Path) -> None:
    base = make_run(tmp_path / "base", "/work/main", runtime=2.75)
    new = make_run(tmp_path / "new", "/work/main", runtime=2.75)
    history = json.loads((new / "train" / "log_history.json").read_text())
    history[0]["loss"] = 8.0125
    write(new / "train" / "log_history.json", history)
    write(new / "data" / "train.jsonl", [{"source": "snow", "input": "入力", "output": "出力!"}], lines=True)
    write(new / "data" / "mix_stats.json", {"totals": {"train": 1}, "files": ["/work/main/tests/fixtures/b.jsonl"]})
    (new / "eval" / "base" / "samples_jnli-1.1-0.3.jsonl").unlink()
    write(new / "eval" / "other" / "results.json", {"results": RESULTS})
    result = compare(base, new)
    assert result.returncode == 1
    out = result.stdout
    assert "FAIL train/log_history.json: [0].loss: 8.012 != 8.0125" in out
    assert "FAIL data/train.jsonl: line 1 differs" in out and "PASS data/validation.jsonl" in out
    assert "FAIL data/mix_stats.json: .files[0]: '<abs>/a.jsonl' != '<abs>/b.jsonl'" in out
    assert "FAIL eval/base/samples_jnli-1.1-0.3.jsonl: missing in NEW" in out
    assert "FAIL eval/other/results.json: missing in BASE" in out and "PASS eval/base/results.json" in out
    assert out.splitlines()[-1].startswith("DIFFERENT")


def test_sample_values_and_missing_folders(tmp_path: Path) -> None:
    base = make_run(tmp_path / "base", "/a", runtime=1.0)
    new = make_run(tmp_path / "new", "/a", runtime=1.0)
    samples = [{"doc_id": 0, "prompt": "前提", "loglikelihoods": [-1.25, -2.5000001], "prediction": 0, "acc": 1}]
    write(new / "eval" / "base" / "samples_jnli-1.1-0.3.jsonl", samples, lines=True)
    result = compare(base, new)
    assert result.returncode == 1
    assert "FAIL eval/base/samples_jnli-1.1-0.3.jsonl: rows[0].loglikelihoods[1]: -2.5 != -2.5000001" in result.stdout
    tolerant = subprocess.run(
        [sys.executable, str(SCRIPT), str(base), str(new), "--rel-tol", "1e-6"], capture_output=True, text=True
    )
    assert tolerant.returncode == 0, tolerant.stdout
    missing = compare(base, tmp_path / "nowhere")
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
