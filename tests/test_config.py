"""Params: defaults, merging, overrides, path resolution and every error path."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CARD, SMOKE

from stxlib.config import ParamsError, StxConfig, load_params
from stxlib.config.params import parse_override, suggest_key


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None, overrides: list[str] | None = None) -> str:
    with pytest.raises(ParamsError) as info:
        load_params(path, overrides)
    return str(info.value)


def test_defaults_are_the_card_recipe() -> None:
    cfg = StxConfig()
    assert (cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout) == (64, 16, 0.05)
    assert cfg.train.per_device_train_batch_size == 8
    assert cfg.train.gradient_accumulation_steps == 2
    assert cfg.train.per_device_eval_batch_size == 16
    assert cfg.train.learning_rate == 2e-4 and cfg.train.lr_scheduler_type == "constant"
    assert cfg.train.apply_warmup is False and cfg.train.warmup_ratio == 0.03
    assert (cfg.train.max_steps, cfg.train.eval_steps, cfg.train.save_steps) == (1000, 50, 50)
    assert cfg.train.max_grad_norm == 0.3 and cfg.train.adam_beta2 == 0.999 and cfg.train.weight_decay == 0.0
    assert cfg.model.quantization.quant_type == "nf4" and cfg.model.quantization.double_quant
    assert cfg.data.samples_per_source == 4389
    assert cfg.eval.num_fewshot == [2, 3, 3, 3]


def test_card_params_file() -> None:
    cfg = load_params(CARD)
    assert cfg.model.name_or_path == "Open-Orca/OpenOrcaxOpenChat-Preview2-13B"  # a hub id stays a hub id
    assert cfg.data.samples_per_source * len(cfg.data.enabled_sources) == 13167
    assert cfg.model.quantization.compute_dtype == "bfloat16"
    assert cfg.train.optim == "paged_adamw_32bit"
    assert cfg.eval.tasks == ["jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3"]
    # the card's templates, literally, in the card's params file
    assert cfg.data.sources["snow"].template == "元の日本語：\n{original_ja}\n\nシンプルな日本語："
    assert cfg.data.sources["tydiqa"].template == "{passage_text}\n\n{question_text}"
    assert cfg.data.sources["xlsum"].template == "記事：\n{text}\n\n要約："


def test_smoke_paths_resolve_relative_to_the_params_file() -> None:
    cfg = load_params(SMOKE)
    snow = Path(cfg.data.sources["snow"].train_files[0])
    assert snow.is_absolute() and snow.is_file()
    assert Path(cfg.run.output_root) == SMOKE.parent.parent.resolve() / "results"


def test_override_types_and_cwd_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_params(
        SMOKE,
        [
            "train.max_steps=7",
            "train.bf16=false",
            "eval.num_fewshot=[0,1,1,1]",
            "run.output_root=out",
            "eval.models.1.adapter=./adapters/x",
            "model.name_or_path=some-org/some-model",
        ],
    )
    assert cfg.train.max_steps == 7 and cfg.train.bf16 is False
    assert cfg.eval.num_fewshot == [0, 1, 1, 1]
    assert cfg.run.output_root == str(tmp_path / "out")
    assert cfg.eval.models[1].adapter == str(tmp_path / "adapters" / "x")
    assert cfg.model.name_or_path == "some-org/some-model"


def test_overrides_as_one_string() -> None:
    cfg = load_params(SMOKE, "train.max_steps=3; train.eval_steps=1")
    assert (cfg.train.max_steps, cfg.train.eval_steps) == (3, 1)


def test_unknown_key_names_it_and_suggests(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, "train:\n  max_stpes: 10\n"))
    assert "train.max_stpes: unknown key" in msg and "did you mean 'train.max_steps'" in msg
    msg = error_of(write(tmp_path, "data:\n  sources:\n    snow:\n      tempalte: x\n"))
    assert "data.sources.snow.tempalte: unknown key" in msg and "data.sources.snow.template" in msg
    msg = error_of(write(tmp_path, "trian:\n  max_steps: 1\n"))
    assert "trian: unknown key" in msg and "did you mean 'train'" in msg
    assert suggest_key(["eval", "models", "0", "adaptor"]) == "eval.models.0.adapter"


def test_wrong_types_and_values_name_the_key(tmp_path: Path) -> None:
    cases = {
        "train:\n  max_steps: ten\n": "train.max_steps: Input should be a valid integer",
        "train:\n  max_steps: '10'\n": "train.max_steps",
        "train:\n  max_steps: 0\n": "train.max_steps: Input should be greater than or equal to 1 (got 0)",
        "train:\n  learning_rate: -1.0\n": "train.learning_rate: Input should be greater than 0",
        "train:\n  warmup_ratio: 1.5\n": "train.warmup_ratio: Input should be less than 1 (got 1.5)",
        "data:\n  split: C\n": "data.split: Input should be 'A' or 'B'",
        "data:\n  samples_per_source: some\n": "data.samples_per_source",
        "run:\n  name: a/b\n": "run.name: names a folder in the run",
        "eval:\n  models: [{label: ../x}]\n": "eval.models.0.label: names a folder",
        "eval:\n  num_fewshot: [2, -1, 3, 3]\n": "eval.num_fewshot.1: Input should be greater than or equal to 0",
        "data:\n  eval_size: 0\n": "data.eval_size: Input should be greater than or equal to 1",
        "run:\n  seed: 1.5\n": "run.seed",
        "model:\n  quantization:\n    quant_type: int3\n": "model.quantization.quant_type",
        "eval:\n  num_fewshot: [1, 2]\n": "give one few-shot count per task",
        "eval:\n  models: [{label: a}, {label: a}]\n": "model labels must be unique",
        "eval:\n  models: [{adapter: best}]\n": "eval.models.0.label: required key is missing",
        "data:\n  sources:\n    snow: {enabled: false}\n    tydiqa: {enabled: false}\n"
        "    xlsum: {enabled: false}\n": "every source is disabled",
        "data:\n  sources:\n    extra: {template: '{x}', target: y}\n": "needs `train_files` (local) or `hub_id`",
    }
    for text, expected in cases.items():
        assert expected in error_of(write(tmp_path, text)), text


def test_file_level_errors(tmp_path: Path) -> None:
    assert "params file not found" in error_of(tmp_path / "missing.yaml")
    assert "not valid YAML" in error_of(write(tmp_path, "train: [unclosed\n"))
    assert "must hold a mapping" in error_of(write(tmp_path, "- a\n- b\n"))


def test_override_errors() -> None:
    assert "not of the form key.path=value" in error_of(SMOKE, ["train.max_steps"])
    assert "empty key part" in error_of(SMOKE, ["train..max_steps=1"])
    assert "is a value, not a section" in error_of(SMOKE, ["train.max_steps.x=1"])
    assert "use a number" in error_of(SMOKE, ["eval.models.first.label=x"])
    assert "past the end" in error_of(SMOKE, ["eval.models.5.label=x"])
    msg = error_of(SMOKE, ["train.max_stepz=3"])
    assert "--set train.max_stepz=3" in msg and "did you mean 'train.max_steps'" in msg


def test_parse_override_reads_yaml_scalars() -> None:
    assert parse_override("a.b=5") == (["a", "b"], 5)
    assert parse_override("a.b=null") == (["a", "b"], None)
    assert parse_override("a=[x, y]") == (["a"], ["x", "y"])
    assert parse_override("a=x=y") == (["a"], "x=y")


def test_fingerprint_tracks_only_named_sections() -> None:
    a = load_params(SMOKE)
    b = load_params(SMOKE, ["train.max_steps=3"])
    assert a.fingerprint(["data"]) == b.fingerprint(["data"])
    assert a.fingerprint(["data", "train"]) != b.fingerprint(["data", "train"])


def test_exponent_floats_without_a_dot(tmp_path: Path) -> None:
    """YAML 1.1 would read `2e-4` as a string; params files and --set both read it as a float."""
    cfg = load_params(write(tmp_path, "train:\n  learning_rate: 2e-4\n"), ["train.max_grad_norm=3e-1"])
    assert cfg.train.learning_rate == 2e-4 and cfg.train.max_grad_norm == 0.3
    assert load_params(SMOKE, ["run.name=1e3x"]).run.name == "1e3x"
