"""Clear errors for bad training settings, the CPU optimizer fallback, qlora's no-op warmup, resume guards."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import CARD, SMOKE, run_stx

from stxlib.config import load_params
from stxlib.hardware import Hardware
from stxlib.paths import RunPaths
from stxlib.train.data import check_data_files
from stxlib.train.kind import scheduler_settings, stx_spec, training_arguments
from stxlib.training.checkpoints import prepare_checkpoints, select_best
from stxlib.training.checks import check_all, check_batch_sizes, check_precision, check_steps, resolve_optimizer
from stxlib.training.errors import TrainSetupError

CPU = Hardware(cuda=False, bf16=True, name="cpu")
V100 = Hardware(cuda=True, bf16=False, name="Tesla V100-SXM2-32GB")
A100 = Hardware(cuda=True, bf16=True, name="NVIDIA A100-SXM4-80GB")


def spec(config, root: Path = Path("unused")):
    """The `train` stage's session settings for `config`."""
    return stx_spec(config, RunPaths(root))


def test_bf16_refused_on_a_gpu_without_it() -> None:
    card = load_params(CARD)
    with pytest.raises(TrainSetupError, match=r"train\.bf16 asks for bfloat16 but Tesla V100"):
        check_precision(spec(card), V100)
    no_mixed = load_params(CARD, ["train.bf16=false"])
    with pytest.raises(TrainSetupError, match=r"model\.dtype asks for bfloat16"):
        check_precision(spec(no_mixed), V100)
    check_precision(spec(card), A100)
    check_precision(spec(card), CPU)  # CPU autocast computes in bf16


def test_fp16_refused_on_cpu() -> None:
    cfg = load_params(SMOKE, ["train.bf16=false", "train.fp16=true"])
    with pytest.raises(TrainSetupError, match=r"train\.fp16 asks for float16, which needs a CUDA GPU"):
        check_precision(spec(cfg), CPU)
    cfg = load_params(SMOKE, ["model.quantization.compute_dtype=float16"])
    with pytest.raises(TrainSetupError, match=r"compute_dtype asks for float16"):
        check_precision(spec(cfg), CPU)
    check_precision(spec(load_params(SMOKE, ["train.bf16=false", "train.fp16=true"])), A100)


def test_batch_larger_than_the_training_set() -> None:
    cfg = load_params(SMOKE, ["train.per_device_train_batch_size=64"])
    with pytest.raises(TrainSetupError, match=r"per_device_train_batch_size=64 is larger than the training set \(60"):
        check_batch_sizes(spec(cfg), 60, 24, 1)
    with pytest.raises(TrainSetupError, match="x 2 processes"):
        check_batch_sizes(spec(load_params(SMOKE, ["train.per_device_train_batch_size=40"])), 60, 24, 2)
    with pytest.raises(TrainSetupError, match="validation set is empty"):
        check_batch_sizes(spec(load_params(SMOKE)), 60, 0, 1)
    check_batch_sizes(spec(cfg), 64, 1, 1)


def test_every_evaluated_step_must_be_saved() -> None:
    with pytest.raises(TrainSetupError, match=r"eval_steps=5 is not a multiple of train\.save_steps=10"):
        check_steps(load_params(SMOKE, ["train.save_steps=10"]).train, "train")
    with pytest.raises(TrainSetupError, match="no evaluation would run"):
        check_steps(load_params(SMOKE, ["train.max_steps=3"]).train, "train")
    check_steps(load_params(SMOKE, ["train.eval_steps=10", "train.save_steps=5"]).train, "train")


def test_optimizer_fallback_on_cpu_and_unknown_names() -> None:
    card = load_params(CARD)
    cpu = resolve_optimizer(spec(card), CPU)
    assert cpu.optim == "adamw_torch" and "paged_adamw_32bit needs CUDA" in cpu.notes[0]
    assert resolve_optimizer(spec(card), A100).optim == "paged_adamw_32bit"
    with pytest.raises(TrainSetupError, match="not a transformers optimizer"):
        resolve_optimizer(spec(load_params(CARD, ["train.optim=adamw_paged_32"])), CPU)


def test_config_level_errors_name_the_key() -> None:
    from stxlib.config import ParamsError

    with pytest.raises(ParamsError, match="bf16 and fp16 are both true"):
        load_params(SMOKE, ["train.bf16=true", "train.fp16=true"])
    with pytest.raises(ParamsError, match=r"lora\.target_modules: lm_head cannot be a LoRA target"):
        load_params(SMOKE, ["lora.target_modules=[q_proj, lm_head]"])
    with pytest.raises(ParamsError, match=r"lora\.dropout: Input should be less than 1"):
        load_params(SMOKE, ["lora.dropout=1.5"])
    assert load_params(SMOKE, ["train.loss_scaling=2023"]).train.loss_scaling == "2023"  # unquoted year


def test_no_data_yet(tmp_path: Path) -> None:
    with pytest.raises(TrainSetupError, match="Run the data stage first"):
        check_data_files(RunPaths(tmp_path))


def test_stx_train_without_data_says_run_the_data_stage_first(tmp_path: Path, tiny_model_dir) -> None:
    result = run_stx("train", str(SMOKE), "--run-dir", str(tmp_path))
    assert result.returncode == 1
    assert "stx: error: no training data" in result.stderr and "Run the data stage first" in result.stderr


def _scheduled_lrs(overrides: list[str], steps: list[int]) -> list[float]:
    """Learning rates the Trainer's own optimizer and scheduler give at `steps` for the card's settings."""
    from transformers import Trainer

    cfg = load_params(CARD, overrides)
    args = training_arguments(cfg, RunPaths(Path("/nonexistent")), CPU, "adamw_torch")
    args.bf16 = False
    trainer = Trainer(model=torch.nn.Linear(2, 2), args=args, eval_dataset=[{"x": 0}])
    trainer.create_optimizer_and_scheduler(num_training_steps=cfg.train.max_steps)
    lrs, step = [], 0
    for target in steps:
        while step < target:
            trainer.optimizer.step()
            trainer.lr_scheduler.step()
            step += 1
        lrs.append(trainer.lr_scheduler.get_last_lr()[0])
    return lrs


def test_warmup_is_a_no_op_under_constant_by_default() -> None:
    assert scheduler_settings(load_params(CARD)) == ("constant", 0.03)
    assert _scheduled_lrs([], [0, 1, 29, 500]) == [2e-4] * 4  # flat 2e-4 from step 1, as qlora trained
    assert scheduler_settings(load_params(CARD, ["train.apply_warmup=true"])) == ("constant_with_warmup", 0.03)
    warm = _scheduled_lrs(["train.apply_warmup=true"], [0, 15, 30, 500])
    assert warm == pytest.approx([0.0, 1e-4, 2e-4, 2e-4])  # 3% of 1000 steps = 30 warmup steps


def test_best_is_argmin_of_eval_loss_earliest_on_ties() -> None:
    history = [
        {"loss": 3.0, "step": 5},
        {"eval_loss": 2.5, "step": 5},
        {"eval_loss": 2.1, "step": 10},
        {"eval_loss": float("nan"), "step": 15},
        {"eval_loss": 2.1, "step": 20},
        {"eval_loss": 2.4, "step": 25},
    ]
    best = select_best(history)
    assert (best.step, best.eval_loss) == (10, 2.1)
    with pytest.raises(TrainSetupError, match="no finite eval_loss"):
        select_best([{"loss": 1.0, "step": 1}])


def test_checkpoints_of_other_params_are_refused(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path)
    cfg = load_params(SMOKE)
    fingerprint = {"train": "a", "model": "b"}
    assert prepare_checkpoints(spec(cfg, tmp_path), fingerprint, main=True, echo=lambda m: None) is None
    (paths.checkpoints / "checkpoint-5").mkdir()
    changed = {"train": "other", "model": "b"}
    with pytest.raises(TrainSetupError, match=r"different settings \(train\).*train\.resume=false"):
        prepare_checkpoints(spec(cfg, tmp_path), changed, main=True, echo=lambda m: None)
    messages: list[str] = []
    restart = load_params(SMOKE, ["train.resume=false"])
    assert prepare_checkpoints(spec(restart, tmp_path), changed, main=True, echo=messages.append) is None
    assert "deleting 1 earlier checkpoint" in messages[0] and not (paths.checkpoints / "checkpoint-5").exists()


def test_check_all_on_the_card_params() -> None:
    assert check_all(spec(load_params(CARD)), CPU).optim == "adamw_torch"
    assert check_all(spec(load_params(CARD)), A100).optim == "paged_adamw_32bit"


def test_check_config_refuses_bad_steps_and_optimizers_before_any_stage() -> None:
    from stxlib.config import ParamsError
    from stxlib.train import check_config

    check_config(load_params(SMOKE))
    check_config(load_params(CARD))
    with pytest.raises(ParamsError, match=r"train\.eval_steps=5 is not a multiple of train\.save_steps=10"):
        check_config(load_params(SMOKE, ["train.save_steps=10"]))
    with pytest.raises(ParamsError, match=r"train\.optim='adamw_paged_32' is not a transformers optimizer"):
        check_config(load_params(CARD, ["train.optim=adamw_paged_32"]))
