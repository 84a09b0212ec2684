"""The shared training floor on its own: the one best-step rule (log history, callback, plots), the callbacks'
messages, the kind protocol's guards, and full fine-tuning (every weight trained, `final/` exported and
reloadable, resume found by its model weights)."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from helpers import SMOKE

from stxlib.config import load_params
from stxlib.history import Best, best_eval, eval_records, eval_table, train_records
from stxlib.io import read_json
from stxlib.paths import RunPaths
from stxlib.plots.loss_curves import parse_log_history
from stxlib.training.callbacks import EvalLogCallback, NonFiniteLossCallback
from stxlib.training.errors import TrainingDivergedError, TrainSetupError

HISTORY = [
    {"loss": 3.0, "learning_rate": 1e-3, "epoch": 0.5, "step": 5},
    {"eval_loss": 2.5, "epoch": 0.5, "step": 5},
    {"loss": 2.4, "learning_rate": 1e-3, "epoch": 1.0, "step": 10},
    {"eval_loss": 2.1, "epoch": 1.0, "step": 10},
    {"eval_loss": math.nan, "epoch": 1.5, "step": 15},
    {"eval_loss": 2.1, "epoch": 2.0, "step": 20},
    {"train_loss": 2.6, "train_runtime": 1.0, "epoch": 2.0, "step": 20},
]


def test_one_best_step_rule_for_export_callback_and_plots() -> None:
    assert best_eval(HISTORY) == Best(step=10, eval_loss=2.1)  # earliest of the tied minima, NaN never wins
    assert best_eval([{"eval_loss": math.inf, "step": 1}, {"loss": 1.0, "step": 1}]) is None
    assert parse_log_history(HISTORY).best == (10, 2.1)
    assert [r["step"] for r in train_records(HISTORY)] == [5, 10]
    assert [r["step"] for r in eval_records(HISTORY)] == [5, 10, 15, 20]
    table = eval_table(HISTORY)
    assert [(r["step"], r["train_loss"]) for r in table] == [(5, 3.0), (10, 2.4), (15, 2.4), (20, 2.4)]


def _state(history, step, max_steps=20):
    return SimpleNamespace(log_history=history, global_step=step, max_steps=max_steps, is_world_process_zero=True)


def test_eval_line_names_the_best_so_far() -> None:
    lines: list[str] = []
    callback = EvalLogCallback(lines.append)
    callback.on_evaluate(None, _state(HISTORY[:4], 10), None, metrics={"eval_loss": 2.1})
    callback.on_evaluate(None, _state(HISTORY[:2], 7), None, metrics={"eval_loss": 1.0})  # not logged yet
    callback.on_evaluate(None, _state([], 3), None, metrics={"eval_loss": math.nan})
    assert lines == [
        "step 10/20: eval_loss 2.1000 (best 2.1000 at step 10)",
        "step 7/20: eval_loss 1.0000 (best 1.0000 at step 7)",
        "step 3/20: eval_loss nan (no finite eval_loss yet)",
    ]


def test_non_finite_loss_stops_naming_the_stage_section() -> None:
    callback = NonFiniteLossCallback("sft")
    callback.on_log(None, _state([], 4), None, logs={"loss": 1.5, "grad_norm": 0.2})
    with pytest.raises(TrainingDivergedError, match=r"grad_norm is inf at step 4.*Lower sft\.learning_rate"):
        callback.on_log(None, _state([], 4), None, logs={"loss": 1.5, "grad_norm": math.inf})


def test_target_tokens_of_labels_and_of_preference_batches() -> None:
    from stxlib.training.trainer import SessionTrainerMixin

    labels = torch.tensor([[-100, -100, 5, 6], [-100, 7, -100, -100]])
    assert SessionTrainerMixin.target_tokens({"labels": labels}) == 3  # after the causal shift
    completion = torch.tensor([[0, 0, 1, 1], [0, 1, 1, 0]])
    assert SessionTrainerMixin.target_tokens({"completion_mask": completion}) == 4
    assert SessionTrainerMixin.target_tokens({}) == 0


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, tiny_model_dir) -> RunPaths:
    from stxlib.data import run_stage as run_data_stage

    paths = RunPaths(tmp_path_factory.mktemp("session") / "run")
    run_data_stage(load_params(SMOKE), paths)
    return paths


def test_trainer_class_must_carry_the_mixin(smoke_run) -> None:
    from transformers import Trainer

    from stxlib.train.kind import CompletionKind
    from stxlib.training.session import trainer_class

    class PlainKind(CompletionKind):
        trainer_class = Trainer

    with pytest.raises(TypeError, match=r"must subclass SessionTrainerMixin, first"):
        trainer_class(PlainKind(load_params(SMOKE), smoke_run))


def test_full_finetuning_refuses_a_4bit_base(smoke_run) -> None:
    from stxlib.hardware import Hardware
    from stxlib.train.kind import stx_spec
    from stxlib.training.checks import check_all

    spec = dataclasses.replace(stx_spec(load_params(SMOKE), smoke_run), lora=None)
    with pytest.raises(TrainSetupError, match=r"4-bit model cannot do; set model\.quantization\.load_in_4bit=false"):
        check_all(spec, Hardware(cuda=False, bf16=True, name="cpu"))


FULL = [
    "model.quantization.load_in_4bit=false",
    "model.dtype=float32",
    "train.bf16=false",
    "train.max_steps=4",
    "train.eval_steps=2",
    "train.save_steps=2",
    "train.learning_rate=1e-3",
]


def test_full_finetuning_trains_every_weight_and_exports_final(smoke_run, tmp_path: Path) -> None:
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from stxlib.tiny_model import resolve_model_path
    from stxlib.train.kind import CompletionKind, stx_spec
    from stxlib.training.checkpoints import BEST_META_FILE
    from stxlib.training.session import prepare_session

    paths = RunPaths(tmp_path / "run")
    shutil.copytree(smoke_run.data_dir, paths.data_dir)
    config = load_params(SMOKE, FULL)
    spec = dataclasses.replace(stx_spec(config, paths), lora=None)
    session = prepare_session(spec, CompletionKind(config, paths), echo=lambda _m: None, disable_tqdm=True)
    assert all(p.requires_grad for p in session.model.parameters())
    assert session.describe()["LoRA"] == "none: full fine-tuning"
    result = session.train()
    dirs = paths.training("train")
    assert result.exported == dirs.final and not dirs.best_adapter.exists()
    assert result.summary["finetuning"] == "full" and result.summary["lora_dtype"] is None
    assert result.summary["trainable_parameters"] == result.summary["total_parameters"]
    meta = read_json(dirs.final / BEST_META_FILE)
    assert meta["step"] == result.best.step and meta["checkpoint"] == f"checkpoint-{result.best.step}"
    assert not (dirs.final / "optimizer.pt").exists() and (dirs.final / "tokenizer_config.json").is_file()
    saved = load_file(dirs.final / "model.safetensors")
    source = load_file(dirs.checkpoints / f"checkpoint-{result.best.step}" / "model.safetensors")
    assert saved.keys() == source.keys() and all(torch.equal(saved[k], source[k]) for k in saved)
    model = AutoModelForCausalLM.from_pretrained(dirs.final)
    base = AutoModelForCausalLM.from_pretrained(resolve_model_path(config.model.name_or_path))
    moved = (model.model.layers[0].mlp.up_proj.weight - base.model.layers[0].mlp.up_proj.weight).abs().max()
    assert moved > 1e-4  # a base weight changed: full fine-tuning, not an adapter
    assert model.get_input_embeddings().weight.shape[0] == base.get_input_embeddings().weight.shape[0] + 1  # [PAD]

    again = prepare_session(spec, CompletionKind(config, paths), echo=lambda _m: None, disable_tqdm=True)
    assert again.resume_from == dirs.checkpoints / "checkpoint-4"  # complete by its model weights
