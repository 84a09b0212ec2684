"""The Shisa training stages on the tiny model (real nf4 4-bit, real trl DPOTrainer), a few steps each: resume of
every stage, DPO's first loss ln 2 and a growing reward margin, NEFTune in training only."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import FIXTURES
from transformers import TrainerCallback

from stxlib.config import load_params
from stxlib.io import read_json
from stxlib.paths import RunPaths

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tiny_model_dir")]

SHISA = FIXTURES / "shisa"
DATA = {
    "pretrain": f"pretrain.corpora=[{{path: {SHISA / 'culturax_ja.jsonl'}}}]",
    "sft": f"sft.datasets=[{{path: {SHISA / 'sft_conversations.jsonl'}}}]",
    "dpo": f"dpo.datasets=[{{path: {SHISA / 'dpo_pairs.jsonl'}}}]",
}
PREPARE = {"pretrain": "prepare_pretrain", "sft": "prepare_sft", "dpo": "prepare_dpo"}


def config_for(stage: str, steps: int, *extra: str):
    """Tiny settings: LoRA r 4, batch 4, every step logged, evaluated and saved, no warmup, one thread."""
    settings = {
        "max_steps": steps, "eval_steps": 1, "save_steps": 1, "logging_steps": 1, "warmup_ratio": 0.0,
        "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1, "per_device_eval_batch_size": 4,
        "eval_size": 4, "lora.r": 4, "cpu_threads": 1, "learning_rate": 5.0e-3,
    }  # fmt: skip
    overrides = [DATA[stage], *(f"{stage}.{k}={v}" for k, v in settings.items())]
    overrides += {"pretrain": ["pretrain.block_size=32"], "sft": ["sft.max_length=96"], "dpo": ["dpo.max_length=96"]}[
        stage
    ]
    if stage == "dpo":
        overrides.append("dpo.start_from=null")  # a fresh adapter: the reference is the base, adapter disabled
    return load_params(None, [*overrides, *extra])


def prepare(stage: str, config, paths: RunPaths, callbacks=()):
    import importlib

    module = importlib.import_module(f"stxlib.{stage}")
    return getattr(module, PREPARE[stage])(config, paths, callbacks=callbacks, echo=lambda _m: None, disable_tqdm=True)


class Interrupt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated interruption")


def train_losses(history: list[dict]) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in history if "loss" in r}


@pytest.mark.parametrize("stage", ["pretrain", "sft", "dpo"])
def test_interrupted_stage_resumes_from_its_last_checkpoint(stage: str, tmp_path: Path) -> None:
    config = config_for(stage, 3)
    paths = RunPaths(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        prepare(stage, config, paths, callbacks=[Interrupt(2)]).train()
    dirs = paths.training(stage)
    assert (dirs.checkpoints / "checkpoint-1").is_dir()
    session = prepare(stage, config, paths)
    assert session.resume_from in (dirs.checkpoints / "checkpoint-1", dirs.checkpoints / "checkpoint-2")
    result = session.train()
    assert sorted(train_losses(result.log_history)) == [1, 2, 3]
    assert result.summary["resumed_from"] == session.resume_from.name
    assert (dirs.best_adapter / "adapter_config.json").is_file() and dirs.log_history.is_file()
    summary = read_json(dirs.train_summary)
    assert summary["training_kind"] == {"pretrain": "causal_lm", "sft": "chat", "dpo": "preference"}[stage]
    if stage == "dpo":
        history = read_json(dirs.log_history)
        first = next(r for r in history if "loss" in r)
        assert first["step"] == 1 and abs(first["loss"] - math.log(2)) < 1e-3  # policy = reference at step 1
        for name in ("rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies"):
            assert name in first and f"eval_{name}" in next(r for r in history if "eval_loss" in r)
        margins = [r["rewards/margins"] for r in history if "rewards/margins" in r]
        assert margins[0] == pytest.approx(0.0, abs=1e-6) and margins[-1] > margins[0]
        eval_margins = [r["eval_rewards/margins"] for r in history if "eval_rewards/margins" in r]
        assert eval_margins[-1] > eval_margins[0] > 0


class EmbeddingProbe(TrainerCallback):
    """After NEFTune's hook is in place (train() registers it before on_train_begin), record for every embedding
    forward whether its output differs from the plain lookup, with the module's training flag."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, float, int, int]] = []

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        embeddings = model.get_input_embeddings()

        def probe(module, inputs, output):
            import torch

            with torch.no_grad():
                diff = float((output - torch.nn.functional.embedding(inputs[0], module.weight)).abs().max())
            self.seen.append((module.training, diff, *inputs[0].shape))

        self.handle = embeddings.register_forward_hook(probe)

    def on_train_end(self, args, state, control, **kwargs):
        self.handle.remove()


def test_neftune_noise_in_training_only(tmp_path: Path) -> None:
    alpha = 5.0
    exact = [
        "sft.bf16=false",
        "sft.lora.dtype=float32",
        "model.dtype=float32",
        "model.quantization.compute_dtype=float32",
    ]
    config = config_for("sft", 2, f"sft.neftune_noise_alpha={alpha}", "sft.lora.dropout=0.0", *exact)
    probe = EmbeddingProbe()
    session = prepare("sft", config, RunPaths(tmp_path), callbacks=[probe])
    session.train()
    hidden = session.model.get_input_embeddings().weight.shape[1]
    train = [(diff, length) for training, diff, _batch, length in probe.seen if training]
    evaluation = [diff for training, diff, _b, _l in probe.seen if not training]
    assert train and evaluation
    for diff, length in train:  # uniform noise in [-a, a], a = alpha / sqrt(L d)
        bound = alpha / math.sqrt(length * hidden)
        assert 0.5 * bound < diff <= bound * 1.0001
    assert max(evaluation) == 0.0
    import torch

    embeddings = session.model.get_input_embeddings()  # NEFTune's hook is gone after train(): no noise in train mode
    embeddings.train()
    ids = torch.tensor([[1, 5, 9]])
    with torch.no_grad():
        assert torch.equal(embeddings(ids), torch.nn.functional.embedding(ids, embeddings.weight))
