"""The llm-jp-eval run path through the engine's Backend protocol, with a deterministic backend:
requests, files in llm-jp-eval's formats, limits, resume after an interrupt, the stage and its errors."""

from __future__ import annotations

import json

import pytest
from engine_doubles import BackendFactory, ScriptedBackend

from stxlib.config import ParamsError, load_params
from stxlib.engine import LocalModelSpec
from stxlib.io import read_json, read_jsonl
from stxlib.llm_jp_eval.data import fixtures_dir
from stxlib.llm_jp_eval.files import read_output_eval
from stxlib.llm_jp_eval.prompts import render_prompt
from stxlib.llm_jp_eval.runner import RunSettings, evaluate_model
from stxlib.llm_jp_eval.scoring import score_output
from stxlib.llm_jp_eval.stage import check_config, model_specs, run_stage
from stxlib.modeling import ModelLoadError
from stxlib.paths import RunPaths

SPEC = LocalModelSpec("stx-tiny")


def test_requests_follow_1_1(tmp_path) -> None:
    factory = BackendFactory()
    settings = RunSettings(datasets=("jsts", "niilc"), limit=3, batch_size=5)
    result = evaluate_model("m", SPEC, settings, tmp_path, backend_factory=factory, progress=False)
    ((spec, batch_size, backend),) = factory.opened
    assert (spec, batch_size, backend.closed) == (SPEC, 5, True)
    assert [r.max_new_tokens for r in backend.requests] == [3, 3, 3, 180, 180, 180]
    assert all(r.stop == ("\n",) and r.greedy and r.add_special_tokens is False for r in backend.requests)
    output = result.output
    assert list(output) == ["jsts", "niilc"] and [len(v) for v in output.values()] == [3, 3]
    first = output["jsts"][0]
    assert list(first) == ["prompt", "input", "pred", "gold"]
    assert backend.requests[0].prompt == render_prompt(first["prompt"], first["input"])
    assert first["pred"] == "4.6"  # the scripted answer, cut at its newline
    samples = json.loads((fixtures_dir() / "jsts.json").read_text(encoding="utf-8"))["samples"]
    assert [r["gold"] for r in output["jsts"]] == [s["output"] for s in samples[:3]]


def test_files_are_llm_jp_evals_and_score_from_disk(tmp_path) -> None:
    result = evaluate_model("m", SPEC, RunSettings(limit=2), tmp_path, backend_factory=BackendFactory(), progress=False)
    on_disk = read_output_eval(tmp_path / "output_eval.json")
    assert on_disk == result.output and len(on_disk) == 10
    score_eval = read_json(tmp_path / "score_eval.json")
    assert score_eval == score_output(on_disk).score_eval() and "AVR" in score_eval
    assert (tmp_path / "score_eval.json").read_text(encoding="utf-8") == json.dumps(
        score_eval, ensure_ascii=False, indent=4
    )
    per_sample = read_jsonl(tmp_path / "per_sample.jsonl")
    assert len(per_sample) == 20 and per_sample[0] == {"dataset": "jamp", "index": 0, "exact_match": 1}
    info = read_json(tmp_path / "run_info.json")
    assert info["data_is_fixture"] and "fixture" in info["warnings"][0]
    assert info["generated_samples"] == 20 and info["backend"] == "scripted" and info["limit"] == 2
    assert info["label"] == "m" and info["decoding"] == "pipeline" and info["loaded"] is None
    # a text-only backend cannot be decoded 1.1's way: its text is used, and the run says so per dataset
    assert read_json(tmp_path / "parts" / "jamp.json")["decoding"] == "text-only backend"
    assert sum("returned text only" in w for w in info["warnings"]) == 10
    # the scripted answer is the first shot's ("entailment"); the first two golds: entailment, contradiction
    assert result.scores.values["jamp_exact_match"] == 0.5


def test_stopping_at_a_newline_leaves_pred_unchanged(tmp_path) -> None:
    settings = RunSettings(datasets=("jamp", "niilc"), limit=3)
    cut = evaluate_model("m", SPEC, settings, tmp_path / "a", backend_factory=BackendFactory(), progress=False)
    whole = evaluate_model(
        "m", SPEC, settings, tmp_path / "b", backend_factory=BackendFactory(honour_stop=False), progress=False
    )
    assert read_json(tmp_path / "b" / "parts" / "jamp.json")["raw_outputs"][0].count("\n") == 3
    assert cut.output == whole.output


def test_interrupted_run_resumes_without_regenerating(tmp_path) -> None:
    settings = RunSettings(datasets=("jamp", "jnli", "jsquad"), limit=2)
    with pytest.raises(KeyboardInterrupt):
        evaluate_model(
            "m", SPEC, settings, tmp_path, backend_factory=BackendFactory(interrupt_on_call=2), progress=False
        )
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["jamp.json"]
    assert not (tmp_path / "output_eval.json").exists() and not list(tmp_path.glob("parts/.*"))
    factory = BackendFactory()
    result = evaluate_model("m", SPEC, settings, tmp_path, backend_factory=factory, progress=False)
    backend = factory.opened[0][2]
    assert backend.calls == 2 and {r.max_new_tokens for r in backend.requests} == {3, 25}  # jnli, jsquad only
    assert result.run_info["reused"] == ["jamp"] and result.run_info["generated"] == ["jnli", "jsquad"]
    # everything present: no backend is opened at all
    again = BackendFactory()
    evaluate_model("m", SPEC, settings, tmp_path, backend_factory=again, progress=False)
    assert again.opened == []


def test_changed_settings_regenerate(tmp_path) -> None:
    settings = RunSettings(datasets=("jamp",), limit=2)
    evaluate_model("m", SPEC, settings, tmp_path, backend_factory=BackendFactory(), progress=False)
    for changed in (
        RunSettings(datasets=("jamp",), limit=3),
        RunSettings(datasets=("jamp",), limit=3, shisa_bos=True),
        RunSettings(datasets=("jamp",), limit=3, shisa_bos=True, add_special_tokens=True),
        RunSettings(datasets=("jamp",), limit=3, shisa_bos=True, add_special_tokens=True, decoding="new_tokens"),
    ):
        factory = BackendFactory()
        result = evaluate_model("m", SPEC, changed, tmp_path, backend_factory=factory, progress=False)
        assert result.run_info["generated"] == ["jamp"]
    assert "<s>" in result.output["jamp"][0]["prompt"] and factory.opened[0][2].requests[0].add_special_tokens
    forced = BackendFactory()
    evaluate_model("m", SPEC, changed, tmp_path, backend_factory=forced, force=True, progress=False)
    assert len(forced.opened) == 1


# ------------------------------------------------------------------ the stage


def _config(tmp_path, *overrides: str):
    return load_params(None, [f"run.output_root={tmp_path}", "llm_jp_eval.limit=2", *overrides])


def _adapter(folder) -> None:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}", encoding="utf-8")


def test_stage_evaluates_every_model_into_its_folder(tmp_path) -> None:
    config = _config(tmp_path, "llm_jp_eval.datasets=[jamp, jsquad]")
    paths = RunPaths.for_config(config)
    _adapter(paths.root / "train" / "best_adapter")
    factory = BackendFactory()
    results = run_stage(config, paths, backend_factory=factory)
    assert list(results) == ["base", "finetuned"]
    assert [o[0].adapter for o in factory.opened] == [None, str(paths.root / "train" / "best_adapter")]
    from stxlib.stages import get_stage

    assert get_stage("llm_jp_eval").missing_outputs(paths, config) == []
    info = read_json(paths.root / "llm_jp_eval" / "finetuned" / "run_info.json")
    assert info["adapter"] == str(paths.root / "train" / "best_adapter") and info["model"] == "stx-tiny"
    assert read_json(paths.root / "llm_jp_eval" / "base" / "run_info.json")["adapter"] is None


def test_stage_refuses_a_missing_run_adapter_before_generating(tmp_path) -> None:
    config = _config(tmp_path, "llm_jp_eval.models=[{label: base}, {label: tuned, adapter: dpo}]")
    factory = BackendFactory()
    with pytest.raises(ModelLoadError, match=r"adapter 'dpo' = .*dpo/best_adapter, which does not exist yet"):
        run_stage(config, RunPaths.for_config(config), backend_factory=factory)
    assert factory.opened == []
    config = _config(tmp_path, f"llm_jp_eval.models=[{{label: x, adapter: {tmp_path / 'nowhere'}}}]")
    with pytest.raises(ModelLoadError, match=r"llm_jp_eval\.models\.0 \('x'\): .*nowhere"):
        run_stage(config, RunPaths.for_config(config), backend_factory=factory)
    assert factory.opened == []


def test_model_specs_use_the_runs_base_and_4bit_settings(tmp_path) -> None:
    config = _config(
        tmp_path,
        "model.tokenizer=tok",
        "llm_jp_eval.models=[{label: a, load_in_4bit: true}, {label: b, model: other/model}]",
    )
    specs = model_specs(config, RunPaths.for_config(config))
    assert list(specs) == ["a", "b"]
    a, b = specs.values()
    assert (a.model, a.tokenizer, a.quantization.quant_type) == ("stx-tiny", "tok", "nf4")
    assert (b.model, b.tokenizer, b.quantization) == ("other/model", None, None)


def test_check_config_names_the_key(tmp_path) -> None:
    with pytest.raises(ParamsError, match=r"llm_jp_eval\.datasets 'jglue' is not an llm-jp-eval 1\.1 dataset"):
        check_config(_config(tmp_path, "llm_jp_eval.datasets=[jamp, jglue]"))
    with pytest.raises(ParamsError, match=r"llm_jp_eval\.data_dir: folder not found"):
        check_config(_config(tmp_path, f"llm_jp_eval.data_dir={tmp_path / 'missing'}"))
    with pytest.raises(ParamsError, match="model labels must be unique"):
        _config(tmp_path, "llm_jp_eval.models=[{label: a}, {label: a}]")
    check_config(_config(tmp_path))


def test_scripted_backend_honours_the_protocol() -> None:
    from stxlib.engine import Backend

    assert isinstance(ScriptedBackend(), Backend)
