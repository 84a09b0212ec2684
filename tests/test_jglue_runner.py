"""One model over JGLUE into results.json + samples (fixtures, tiny model): contract, resume, adapters, 4-bit."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURES, SMOKE, make_adapter

import stxlib.jglue.scoring as scoring
from stxlib.config import load_params
from stxlib.config.evaluation import EvalSection
from stxlib.config.model import QuantizationSection
from stxlib.engine import LocalModelSpec
from stxlib.io import read_json, read_jsonl, write_json
from stxlib.jglue import ModelSpec, evaluate, model_specs, open_backend, prepare_tasks, run_stage
from stxlib.jglue.compare import headline_scores
from stxlib.jglue.results import PARTIAL_FILE
from stxlib.jglue.scoring import score_task
from stxlib.modeling import ModelLoadError
from stxlib.paths import RunPaths
from stxlib.published import CARD_METRICS

FIXTURE_JGLUE = str(FIXTURES / "jglue")
MC_FIELDS = {"doc_id", "prompt", "choices", "loglikelihoods", "prediction", "gold", "acc", "acc_norm"}
JSQUAD_FIELDS = {"doc_id", "prompt", "prediction", "gold", "exact_match", "f1"}


pytestmark = pytest.mark.usefixtures("one_cpu_thread")


def settings(**kwargs) -> EvalSection:
    base = dict(
        tasks=["jsquad", "jcommonsenseqa", "jnli", "marc_ja"],
        num_fewshot=[2, 3, 3, 3],
        data_dir=FIXTURE_JGLUE,
        limit=3,
        batch_size=3,
    )
    return EvalSection(**{**base, **kwargs})


def spec(label: str, model: str, **kwargs) -> ModelSpec:
    return ModelSpec(label, LocalModelSpec(model, **kwargs))


TASKS = ["jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3"]


def test_results_and_samples_follow_the_contract_and_resume(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = spec("base", str(tiny_model_dir))
    results = evaluate(base, settings(), tmp_path)
    assert read_json(tmp_path / "results.json") == results
    assert set(results["results"]) == set(results["versions"]) == set(results["headline"]) == set(TASKS)
    assert set(results["results"]["jsquad-1.1-0.3"]) == {"exact_match", "f1"}
    assert set(results["results"]["jnli-1.1-0.3"]) == {"acc", "acc_stderr", "acc_norm", "acc_norm_stderr"}
    assert set(results["versions"].values()) == {1.1}
    config = results["config"]
    assert config["jp_stable_prompts"] and config["warnings"] == [] and not config["full_jglue_v1.1_data"]
    assert config["max_length"] == 2048 and config["engine"] == "fast" and config["num_fewshot"] == [2, 3, 3, 3]
    for task in TASKS:
        samples = read_jsonl(tmp_path / f"samples_{task}.jsonl")
        assert len(samples) == 3 and [s["doc_id"] for s in samples] == sorted({s["doc_id"] for s in samples})
        fields = JSQUAD_FIELDS if task.startswith("jsquad") else MC_FIELDS
        assert fields <= set(samples[0])
    squad = read_jsonl(tmp_path / "samples_jsquad-1.1-0.3.jsonl")
    assert all(s["exact_match"] in (0, 100) and 0 <= s["f1"] <= 100 and "\n" not in s["prediction"] for s in squad)
    mean_em = sum(s["exact_match"] for s in squad) / 3
    assert results["results"]["jsquad-1.1-0.3"]["exact_match"] == pytest.approx(mean_em)
    jnli = read_jsonl(tmp_path / "samples_jnli-1.1-0.3.jsonl")
    assert results["results"]["jnli-1.1-0.3"]["acc"] == pytest.approx(sum(s["acc"] for s in jnli) / 3)
    assert headline_scores({"base": results})["base"]["jsquad-1.1-0.3"] == pytest.approx(mean_em / 100)
    for task, entry in results["headline"].items():  # the report's contract: metric x scale, the card's convention
        assert (entry["metric"], entry["scale"]) == CARD_METRICS[task]
        assert entry["value"] == results["results"][task][entry["metric"]] * entry["scale"]
    assert not (tmp_path / PARTIAL_FILE).exists()

    # complete and same request: returned without loading the model
    def no_load(*args, **kwargs) -> None:
        raise AssertionError("the model must not be loaded again")

    monkeypatch.setattr("stxlib.jglue.results.open_backend", no_load)
    assert evaluate(base, settings(), tmp_path) == results

    # interrupted run: finished tasks are kept, only the missing one is scored again
    monkeypatch.undo()
    (tmp_path / "results.json").unlink()
    (tmp_path / "samples_jnli-1.1-0.3.jsonl").unlink()
    kept = ["jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "marc_ja-1.1-0.3"]
    done = {t: {"metrics": results["results"][t], "detail": config["task_details"][t]} for t in kept}
    write_json(tmp_path / PARTIAL_FILE, {"fingerprint": config["fingerprint"], "lm_info": {}, "tasks": done})
    scored: list[str] = []

    def counting_score_task(backend, inputs, *args, **kwargs):
        scored.append(inputs.task)
        return score_task(backend, inputs, *args, **kwargs)

    monkeypatch.setattr(scoring, "score_task", counting_score_task)
    resumed = evaluate(base, settings(), tmp_path)
    assert scored == ["jnli-1.1-0.3"]
    assert resumed["results"] == results["results"]


def test_real_files_run_is_complete_and_engine_matches_reference(
    tiny_model_dir: Path, shared: Path, tmp_path: Path
) -> None:
    """The tiny model over the real v1.1 files with --limit: complete outputs from both paths, same numbers."""
    real = settings(
        tasks=["jsquad", "jcommonsenseqa", "jnli"],
        num_fewshot=[2, 3, 3],
        data_dir=str(shared / "data" / "jglue-v1.1"),
        shots_from="auto",  # train for JCQA; validation stand-in for JSQuAD and JNLI (no train split shipped)
        limit=5,
        batch_size=5,
    )
    tiny = spec("tiny", str(tiny_model_dir), dtype="float32")
    fast = evaluate(tiny, real, tmp_path / "fast")
    reference = evaluate(tiny, real.model_copy(update={"engine": "reference"}), tmp_path / "reference")
    config = fast["config"]
    assert not config["jp_stable_prompts"] and len(config["warnings"]) == 2
    assert config["task_details"]["jcommonsenseqa-1.1-0.3"]["jp_stable_prompts"]
    assert config["task_details"]["jnli-1.1-0.3"]["shot_pool"]["split"] == "validation"
    assert config["task_details"]["jsquad-1.1-0.3"]["n_validation"] == 4442
    for task in fast["config"]["tasks"]:
        a = read_jsonl(tmp_path / "fast" / f"samples_{task}.jsonl")
        b = read_jsonl(tmp_path / "reference" / f"samples_{task}.jsonl")
        assert len(a) == len(b) == 5 and [s["prompt"] for s in a] == [s["prompt"] for s in b]
        assert [s["prediction"] for s in a] == [s["prediction"] for s in b]
        for x, y in zip(a, b, strict=True):
            if "loglikelihoods" in x:
                assert x["loglikelihoods"] == pytest.approx(y["loglikelihoods"], abs=1e-4)
    assert fast["results"] == reference["results"]  # same predictions, same metrics


def test_stage_needs_the_best_adapter(tiny_model_dir: Path, tmp_path: Path) -> None:
    """`adapter: best` is this run's train/best_adapter; without it the stage fails before evaluating anything.

    The stage's full run (base and finetuned) is tested through the notebook (test_jglue_notebook.py).
    """
    config = load_params(SMOKE)
    paths = RunPaths(tmp_path)
    with pytest.raises(ModelLoadError) as info:
        run_stage(config, paths)
    message = str(info.value)
    assert str(paths.best_adapter) in message and "train stage" in message and "eval.models" in message
    assert not paths.eval_root.exists()
    make_adapter(tiny_model_dir, paths.best_adapter)
    base, tuned = model_specs(config, paths.root)
    assert (base.label, base.local.adapter, base.local.model) == ("base", None, config.model.name_or_path)
    assert (tuned.label, tuned.local.adapter, tuned.local.model) == (
        "finetuned",
        str(paths.best_adapter),
        config.model.name_or_path,
    )
    only_base = load_params(SMOKE, ["eval.models=[{label: base}]"])
    assert [s.label for s in model_specs(only_base, tmp_path / "other")] == ["base"]


def test_4bit_model_runs_and_both_paths_agree(tiny_model_dir: Path) -> None:
    import bitsandbytes as bnb

    quant = QuantizationSection(load_in_4bit=True, compute_dtype="float32")
    section = settings(tasks=["jcommonsenseqa"], num_fewshot=[3], limit=4, batch_size=4)
    backend = open_backend(spec("q", str(tiny_model_dir), quantization=quant), section)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in backend.lm.model.modules()) and backend.info["load_in_4bit"]
    (inputs,) = prepare_tasks(section)
    _, fast, _ = score_task(backend, inputs)
    backend.mode = "reference"
    _, ref, _ = score_task(backend, inputs)
    assert [s["prediction"] for s in fast] == [s["prediction"] for s in ref]
    for a, b in zip(fast, ref, strict=True):
        assert a["loglikelihoods"] == pytest.approx(b["loglikelihoods"], abs=1e-3)


def test_missing_model_or_adapter_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model path not found"):
        evaluate(spec("x", str(tmp_path / "nope")), settings(), tmp_path / "out")
    with pytest.raises(ModelLoadError, match=r"has no adapter_config\.json"):
        evaluate(spec("x", "stx-tiny", adapter=str(tmp_path)), settings(), tmp_path / "out")
    assert not (tmp_path / "out").exists()
