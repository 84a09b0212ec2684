"""`stx run params/smoke.yaml` over every stage (what `make demo` promises), as a subprocess into a fresh run
folder, checked against the run-folder contract of ../shared/design.md."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest
from helpers import PNG_MAGIC, SMOKE, check_self_contained, run_stx

from stxlib.config import load_params
from stxlib.io import read_json, read_jsonl
from stxlib.paths import RunPaths
from stxlib.stages import select_stages

pytestmark = pytest.mark.slow

CONFIG = load_params(SMOKE)
STAGES = select_stages(CONFIG.run.stages)
MC_FIELDS = {"doc_id", "prompt", "choices", "loglikelihoods", "prediction", "gold", "acc", "acc_norm"}
JSQUAD_FIELDS = {"doc_id", "prompt", "prediction", "gold", "exact_match", "f1"}
MC_METRICS = {"acc", "acc_stderr", "acc_norm", "acc_norm_stderr"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("e2e") / "smoke"
    result = run_stx("run", str(SMOKE), "--run-dir", str(folder), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"report: {folder / 'report.html'}" in result.stdout
    return folder


def test_manifest_records_params_code_environment_and_every_stage(run: Path) -> None:
    manifest = read_json(run / "manifest.json")
    assert manifest["params"] == CONFIG.to_dict() and manifest["params_file"] == str(SMOKE)
    assert manifest["overrides"] == [] and manifest["stx_version"]
    assert set(manifest["git"]) == {"commit", "dirty", "branch"}
    assert manifest["packages"]["torch"].startswith("2.13") and manifest["packages"]["transformers"]
    assert manifest["hardware"]["cpu_count"] >= 1 and "cuda_available" in manifest["hardware"]
    assert list(manifest["stages"]) == [s.name for s in STAGES] == ["data", "train", "eval", "contamination", "report"]
    for stage in STAGES:
        entry = manifest["stages"][stage.name]
        assert entry["status"] == "done" and entry["error"] is None and entry["seconds"] > 0, stage.name
        assert entry["started"] <= entry["ended"] and entry["fingerprint"] == CONFIG.fingerprint(stage.keys)
        assert entry["notebook"] == f"{stage.notebook}.ipynb" and entry["html"] == f"{stage.notebook}.html"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_each_stage_leaves_its_executed_notebook_and_html(run: Path, stage) -> None:
    executed = nbformat.read(run / f"{stage.notebook}.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.get("output_type") == "error"]
    assert executed.metadata["papermill"]["parameters"]["params_file"] == str(run / "params.yaml")
    html = (run / f"{stage.notebook}.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and f"stage {stage.name}: run 'smoke'" in html
    assert stage.missing_outputs(RunPaths(run), CONFIG) == []


def test_data_rows_and_mix_stats(run: Path) -> None:
    sources = set(CONFIG.data.enabled_sources)
    train, validation = read_jsonl(run / "data" / "train.jsonl"), read_jsonl(run / "data" / "validation.jsonl")
    for row in train + validation:
        assert set(row) == {"source", "input", "output"} and row["source"] in sources
        assert all(isinstance(row[k], str) and row[k] for k in ("input", "output"))
    assert len(train) == CONFIG.data.samples_per_source * len(sources) and len(validation) == CONFIG.data.eval_size
    stats = read_json(run / "data" / "mix_stats.json")
    assert stats["totals"]["train"] == len(train) and stats["totals"]["validation"] == len(validation)
    assert set(stats["sources"]) == sources


def test_training_outputs(run: Path) -> None:
    train = run / "train"
    assert sorted(p.name for p in (train / "checkpoints").glob("checkpoint-*"))
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        assert (train / "best_adapter" / name).stat().st_size > 0
    history = read_json(train / "log_history.json")
    assert isinstance(history, list) and all("step" in record for record in history)
    evals = [(r["step"], r["eval_loss"]) for r in history if "eval_loss" in r]
    assert [s for s, _ in evals] == list(
        range(CONFIG.train.eval_steps, CONFIG.train.max_steps + 1, CONFIG.train.eval_steps)
    )
    assert all(math.isfinite(r["loss"]) for r in history if "loss" in r)
    summary = read_json(train / "train_summary.json")
    best = min(loss for _, loss in evals)
    assert summary["best_eval_loss"] == best and (summary["best_step"], best) in evals
    assert summary["steps"] == CONFIG.train.max_steps


@pytest.mark.parametrize("label", [m.label for m in CONFIG.eval.models])
def test_eval_results_and_samples(run: Path, label: str) -> None:
    folder = run / "eval" / label
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert set(results) >= {"results", "config"} and list(results["results"]) == CONFIG.eval.tasks
    for task, metrics in results["results"].items():
        rows = read_jsonl(folder / f"samples_{task}.jsonl")
        assert [r["doc_id"] for r in rows] and len(rows) == CONFIG.eval.limit
        if task.startswith("jsquad"):
            assert set(metrics) == {"exact_match", "f1"} and all(0 <= v <= 100 for v in metrics.values())
            for row in rows:
                assert set(row) >= JSQUAD_FIELDS and isinstance(row["gold"], list)
                assert row["exact_match"] in (0, 100) and 0 <= row["f1"] <= 100 and "\n" not in row["prediction"]
            assert metrics["f1"] == pytest.approx(sum(r["f1"] for r in rows) / len(rows))
        else:
            assert set(metrics) == MC_METRICS and 0 <= metrics["acc"] <= 1 and 0 <= metrics["acc_norm"] <= 1
            for row in rows:
                assert set(row) >= MC_FIELDS and len(row["choices"]) == len(row["loglikelihoods"])
                assert (
                    row["acc"] in (0, 1) and row["acc_norm"] in (0, 1) and 0 <= row["prediction"] < len(row["choices"])
                )
            assert metrics["acc"] == pytest.approx(sum(r["acc"] for r in rows) / len(rows))


def test_plots_and_report(run: Path) -> None:
    for name in ("loss_curves.png", "jglue_comparison.png", "data_mix.png"):
        assert (run / "plots" / name).read_bytes()[:8] == PNG_MAGIC, name
    check_self_contained(run / "report.html")
    page = (run / "report.html").read_text(encoding="utf-8")
    for stage in STAGES:
        if stage.name != "report":
            assert f'href="{stage.notebook}.html"' in page
