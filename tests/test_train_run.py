"""Real 4-bit QLoRA training of the tiny model on the smoke data: best-adapter selection and reload,
summary, resume with optimizer/scheduler/RNG state, the closed-QA helper, merge/export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from helpers import SMOKE
from transformers import TrainerCallback

from stxlib.config import load_params
from stxlib.io import read_json
from stxlib.paths import RunPaths
from stxlib.train import (
    closed_qa,
    closed_qa_prompt,
    evaluate_adapter,
    load_finetuned,
    merge_adapter,
    prepare_training,
    select_best,
)
from stxlib.training.checkpoints import BEST_META_FILE

pytestmark = pytest.mark.slow

# Short but real: 10 optimizer steps of 4 x 2 sequences, evaluated and saved every 5 steps.
SHORT = ["train.max_steps=10", "train.eval_steps=5", "train.save_steps=5"]


@pytest.fixture(scope="session")
def smoke_data(tmp_path_factory, tiny_model_dir) -> Path:
    """The data stage's outputs for the smoke params (written once)."""
    from stxlib.data import run_stage as run_data_stage

    root = tmp_path_factory.mktemp("smoke-data")
    run_data_stage(load_params(SMOKE), RunPaths(root))
    return root / "data"


def new_run(tmp_path: Path, smoke_data: Path, name: str) -> RunPaths:
    paths = RunPaths(tmp_path / name)
    shutil.copytree(smoke_data, paths.data_dir)
    return paths


def quiet(_message: str) -> None:
    pass


@pytest.fixture(scope="module")
def trained(tmp_path_factory, smoke_data):
    paths = new_run(tmp_path_factory.mktemp("trained"), smoke_data, "run")
    config = load_params(SMOKE, SHORT)
    result = prepare_training(config, paths, echo=quiet, disable_tqdm=True).train()
    return config, paths, result


def test_outputs_and_best_adapter_is_the_argmin(trained) -> None:
    _config, paths, result = trained
    history = read_json(paths.log_history)
    evals = [(r["step"], r["eval_loss"]) for r in history if "eval_loss" in r]
    assert [s for s, _ in evals] == [5, 10]
    best_step, best_loss = min(evals, key=lambda e: (e[1], e[0]))
    chosen = select_best(history)
    assert (result.best.step, result.best.eval_loss) == (best_step, best_loss) == (chosen.step, chosen.eval_loss)
    assert evals[-1][1] < evals[0][1]  # seeded and deterministic: the tiny model learns over 10 steps
    meta = json.loads((paths.best_adapter / BEST_META_FILE).read_text())
    assert meta["step"] == best_step and meta["checkpoint"] == f"checkpoint-{best_step}"
    weights = paths.best_adapter / "adapter_model.safetensors"
    assert weights.stat().st_size > 10_000
    source = paths.checkpoints / f"checkpoint-{best_step}" / "adapter_model.safetensors"
    assert weights.read_bytes() == source.read_bytes()
    from safetensors.torch import load_file

    keys = load_file(weights).keys()
    assert keys and all("lora_" in k for k in keys)  # LoRA only: no resized embeddings inside


def test_reloaded_best_adapter_reproduces_its_eval_loss(trained) -> None:
    config, paths, result = trained
    assert evaluate_adapter(config, paths, paths.best_adapter) == pytest.approx(result.best.eval_loss, abs=1e-6)


def test_best_adapter_loads_with_apply_adapter(trained) -> None:
    """The folder is a plain PEFT adapter for stxlib.modeling (the evaluation stage's loader)."""
    from stxlib.modeling import load_causal_lm

    config, paths, _ = trained
    model = load_causal_lm(config.model.name_or_path, dtype="float32", adapter=paths.best_adapter)
    assert type(model).__name__ == "PeftModelForCausalLM"


def test_summary(trained) -> None:
    _config, paths, result = trained
    summary = read_json(paths.train_summary)
    assert summary == json.loads(json.dumps(result.summary))
    assert summary["best_step"] == result.best.step and summary["steps"] == 10 and summary["max_steps"] == 10
    assert summary["trainable_parameters"] == summary["expected_trainable_parameters"] == 20_480
    assert summary["epochs"] == pytest.approx(10 * 8 / 120, abs=1e-3)
    assert 0 < summary["target_tokens_seen"] < summary["nonpad_tokens_seen"] < summary["tokens_seen"]
    assert summary["nonpad_token_fraction"] == pytest.approx(
        summary["nonpad_tokens_seen"] / summary["tokens_seen"], abs=1e-4
    )
    assert summary["tokens_per_s"] > 0 and summary["wall_time_s"] > 0 and summary["peak_memory_gib"] > 0.1
    assert summary["optimizer"] == "adamw_torch" and summary["warmup_applied"] is False
    assert summary["pad_token"] == "[PAD]" and summary["embedding_rows_added"] == 1
    assert summary["eos_token"] == "</s>" and summary["effective_batch_size"] == 8
    assert (paths.checkpoints / "stx_fingerprint.json").is_file()


class Interrupt(TrainerCallback):
    """Simulates a crash between two checkpoints (after step 7; the last checkpoint is step 5)."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 7:
            raise KeyboardInterrupt("simulated interruption")


def test_resume_continues_the_same_steps(trained, tmp_path: Path, smoke_data: Path) -> None:
    """Interrupted after step 7, resumed from checkpoint-5: steps 6-10 come out exactly as in the
    uninterrupted run. Exact equality needs the optimizer's Adam moments, the scheduler and the RNG state
    (LoRA dropout) restored: qlora reloaded only the adapter and would diverge here."""
    config, _, reference = trained
    paths = new_run(tmp_path, smoke_data, "interrupted")
    with pytest.raises(KeyboardInterrupt):
        prepare_training(config, paths, echo=quiet, disable_tqdm=True, callbacks=[Interrupt()]).train()
    assert not paths.best_adapter.exists()
    assert (paths.checkpoints / "checkpoint-5" / "optimizer.pt").is_file()
    session = prepare_training(config, paths, echo=quiet, disable_tqdm=True)
    assert session.resume_from == paths.checkpoints / "checkpoint-5"
    resumed = session.train()

    def records(history):
        keep = ("step", "loss", "grad_norm", "learning_rate", "eval_loss")
        return [{k: r[k] for k in keep if k in r} for r in history if "loss" in r or "eval_loss" in r]

    assert [r["step"] for r in records(resumed.log_history)] == [r["step"] for r in records(reference.log_history)]
    assert records(resumed.log_history) == records(reference.log_history)
    assert resumed.best == reference.best
    assert resumed.summary["resumed_from"] == "checkpoint-5"
    assert resumed.summary["tokens_seen"] == reference.summary["tokens_seen"]


def test_changed_params_refuse_to_resume(trained, tmp_path: Path) -> None:
    from stxlib.train import TrainSetupError

    _, paths, _ = trained
    config = load_params(SMOKE, [*SHORT, "train.learning_rate=0.001"])
    with pytest.raises(TrainSetupError, match=r"different settings \(train\)"):
        prepare_training(config, paths, echo=quiet, disable_tqdm=True)


def test_closed_qa_helper(trained) -> None:
    config, paths, _ = trained
    assert closed_qa_prompt("文脈", "質問？") == "文脈\n\n質問？"
    model, tokenizer = load_finetuned(config, paths.best_adapter)
    assert type(model).__name__ == "PeftModelForCausalLM" and not model.training
    first = closed_qa(model, tokenizer, "名古屋城は徳川家康が築いた。", "名古屋城はだれが築いた？", max_new_tokens=8)
    again = closed_qa(model, tokenizer, "名古屋城は徳川家康が築いた。", "名古屋城はだれが築いた？", max_new_tokens=8)
    assert isinstance(first, str) and first == again  # greedy
    encoded = tokenizer(closed_qa_prompt("名古屋城は徳川家康が築いた。", "名古屋城はだれが築いた？"))["input_ids"]
    assert encoded[0] == tokenizer.bos_token_id  # the pipeline's tokenisation, BOS first as in training


def test_merge_into_a_bf16_copy_of_the_base(trained, tmp_path: Path) -> None:
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from stxlib.tiny_model import resolve_model_path

    config, paths, _ = trained
    out = merge_adapter(config.model, paths.best_adapter, tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(out)
    assert merged.dtype == torch.bfloat16 and getattr(merged.config, "quantization_config", None) is None
    base = AutoModelForCausalLM.from_pretrained(resolve_model_path(config.model.name_or_path), dtype=torch.bfloat16)
    adapter = load_file(paths.best_adapter / "adapter_model.safetensors")
    prefix = "base_model.model.model.layers.0.self_attn.q_proj"
    a, b = adapter[f"{prefix}.lora_A.weight"].float(), adapter[f"{prefix}.lora_B.weight"].float()
    expected = base.model.layers[0].self_attn.q_proj.weight.float() + (b @ a) * config.lora.alpha / config.lora.r
    got = merged.model.layers[0].self_attn.q_proj.weight.float()
    delta = (expected - base.model.layers[0].self_attn.q_proj.weight.float()).abs().max()
    assert delta > 1e-3  # the adapter moved the weights
    assert (got - expected).abs().max() < 0.05 * delta  # W + (alpha/r) B A, up to bf16 rounding
    assert merged.get_input_embeddings().weight.shape[0] == base.get_input_embeddings().weight.shape[0]


def test_rerun_after_the_last_step_only_rewrites_the_outputs(trained) -> None:
    """The runner re-runs a stage whose notebook failed after training: nothing is trained past max_steps."""
    config, paths, reference = trained
    session = prepare_training(config, paths, echo=quiet, disable_tqdm=True)
    assert session.resume_from == paths.checkpoints / "checkpoint-10"
    again = session.train()

    def steps(history):
        return [r for r in history if "loss" in r or "eval_loss" in r]

    assert steps(again.log_history) == steps(reference.log_history) and again.best == reference.best
    assert read_json(paths.train_summary)["steps"] == 10


# The card's precision (bf16 model, bf16 4-bit compute, bf16 LoRA, bf16 mixed precision), which the smoke
# params replace with float32 for speed on CPUs without bf16 instructions: one real step still runs it.
CARD_PRECISION = [
    "model.dtype=bfloat16",
    "model.quantization.compute_dtype=bfloat16",
    "lora.dtype=bfloat16",
    "train.bf16=true",
    "train.max_steps=1",
    "train.eval_steps=1",
    "train.save_steps=1",
    "train.per_device_train_batch_size=2",
    "train.gradient_accumulation_steps=1",
]


def test_card_precision_trains_in_bf16(tmp_path: Path, smoke_data: Path) -> None:
    paths = new_run(tmp_path, smoke_data, "bf16")
    session = prepare_training(load_params(SMOKE, CARD_PRECISION), paths, echo=quiet, disable_tqdm=True)
    lora = [p for n, p in session.trainer.model.named_parameters() if "lora_" in n]
    assert lora and all(p.dtype == torch.bfloat16 for p in lora)
    result = session.train()
    assert result.summary["steps"] == 1 and torch.isfinite(torch.tensor(result.best.eval_loss))
    assert result.summary["mixed_precision"] == "bf16"
