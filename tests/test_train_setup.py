"""Model and tokenizer set-up for training: real nf4 4-bit base, qlora's pad/EOS handling, LoRA on
every linear layer but lm_head, qlora's dtype casts, exact trainable-parameter counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from helpers import CARD, SMOKE

from stxlib.config import load_params
from stxlib.paths import RunPaths
from stxlib.train.kind import stx_spec
from stxlib.training.model import (
    LLAMA_LINEAR,
    build_model,
    count_parameters,
    expected_trainable_parameters,
    llama_linear_shapes,
    lora_module_names,
    lora_parameter_count,
)
from stxlib.training.tokenizer import QLORA_PAD_TOKEN, load_model_config, prepare_tokenizer


def build_training_model(config, tokenizer):
    """Base + a fresh LoRA adapter, as the training session builds it for the `train` stage."""
    model, peft_config = build_model(stx_spec(config, RunPaths(Path("unused"))), tokenizer)
    assert peft_config is None
    return model


@pytest.fixture(scope="module")
def smoke(tiny_model_dir):
    """The smoke params at the card's precision (the smoke file itself trains in float32 for CPU speed)."""
    card_precision = ["model.dtype=bfloat16", "model.quantization.compute_dtype=bfloat16", "lora.dtype=bfloat16"]
    return load_params(SMOKE, card_precision)


@pytest.fixture(scope="module")
def trained_setup(smoke):
    tokenizer = prepare_tokenizer(smoke.model)
    return tokenizer, build_training_model(smoke, tokenizer)


def test_qlora_pad_token_is_added_and_mean_initialised(smoke, trained_setup) -> None:
    from transformers import AutoModelForCausalLM

    tokenizer, model = trained_setup
    base_vocab = load_model_config(smoke.model).vocab_size
    assert tokenizer.pad_token == QLORA_PAD_TOKEN and tokenizer.pad_token_id == base_vocab  # 32002 on the card
    assert tokenizer.padding_side == "right"
    assert model.get_input_embeddings().weight.shape[0] == base_vocab + 1  # resized 32002 -> 32003 on the card
    original = AutoModelForCausalLM.from_pretrained(_tiny_path(smoke), dtype=torch.bfloat16)
    for new, old in (
        (model.get_input_embeddings().weight, original.get_input_embeddings().weight),
        (model.get_output_embeddings().weight, original.get_output_embeddings().weight),
    ):
        expected = old.mean(dim=0, keepdim=True)  # qlora: input_embeddings[:-1].mean(dim=0, keepdim=True)
        assert torch.equal(new[-1:].to(expected.dtype), expected), "the new row is the mean of the old rows"
        assert expected.abs().sum() > 0
        assert not new.requires_grad  # frozen, like every base weight


def _tiny_path(config) -> str:
    from stxlib.tiny_model import resolve_model_path

    return resolve_model_path(config.model.name_or_path)


def test_existing_pad_token_needs_no_resize(smoke) -> None:
    cfg = smoke.model.model_copy(update={"pad_token": "existing"})
    tokenizer = prepare_tokenizer(cfg)
    assert tokenizer.pad_token == "<|PAD|>" and len(tokenizer) == load_model_config(cfg).vocab_size
    bad = smoke.model.model_copy(update={"pad_token": "existing", "existing_pad_token": "<nope>"})
    with pytest.raises(ValueError, match="not in the tokenizer's vocabulary"):
        prepare_tokenizer(bad)
    eos = smoke.model.model_copy(update={"pad_token": "existing", "existing_pad_token": "</s>"})
    with pytest.raises(ValueError, match="also the eos token"):
        prepare_tokenizer(eos)


def test_eos_comes_from_the_model_config_as_in_qlora(smoke, tmp_path: Path) -> None:
    """A base whose tokenizer files name <|end_of_turn|> as EOS (later revisions of the card's base):
    qlora still trained with </s>, the token of config.eos_token_id."""
    from transformers import AutoTokenizer

    folder = tmp_path / "base"
    shutil.copytree(_tiny_path(smoke), folder)
    tok = AutoTokenizer.from_pretrained(folder)
    tok.eos_token = "<|end_of_turn|>"
    tok.save_pretrained(folder)
    section = smoke.model.model_copy(update={"name_or_path": str(folder)})
    assert prepare_tokenizer(section).eos_token == "</s>"
    kept = section.model_copy(update={"eos_token": "tokenizer"})
    assert prepare_tokenizer(kept).eos_token == "<|end_of_turn|>"


def test_lora_on_every_linear_layer_but_lm_head_over_4bit_weights(trained_setup) -> None:
    from bitsandbytes.nn import Linear4bit
    from peft.tuners.lora import LoraLayer

    _, model = trained_setup
    assert lora_module_names(model) == sorted(LLAMA_LINEAR)
    lora_layers = {name: m for name, m in model.named_modules() if isinstance(m, LoraLayer)}
    assert len(lora_layers) == 2 * len(LLAMA_LINEAR)
    assert all(isinstance(m.base_layer, Linear4bit) for m in lora_layers.values())
    assert all(m.base_layer.weight.quant_state.quant_type == "nf4" for m in lora_layers.values())
    assert not any("lm_head" in name for name in lora_layers)
    head = model.get_output_embeddings()
    assert type(head) is torch.nn.Linear and not head.weight.requires_grad


def test_qlora_dtype_casts(trained_setup, smoke) -> None:
    _, model = trained_setup
    lora = {p.dtype for n, p in model.named_parameters() if "lora_" in n}
    norms = {p.dtype for n, p in model.named_parameters() if "norm" in n}
    assert lora == {torch.bfloat16} and norms == {torch.float32}
    assert model.get_output_embeddings().weight.dtype == torch.bfloat16
    assert model.get_input_embeddings().weight.dtype == torch.bfloat16
    fp32 = smoke.model_copy(update={"lora": smoke.lora.model_copy(update={"dtype": "float32"})})
    model32 = build_training_model(fp32, prepare_tokenizer(fp32.model))
    assert {p.dtype for n, p in model32.named_parameters() if "lora_" in n} == {torch.float32}


def test_trainable_parameters_counted_exactly(trained_setup, smoke) -> None:
    _, model = trained_setup
    counts = count_parameters(model)
    peft_trainable, peft_total = model.get_nb_trainable_parameters()
    expected = expected_trainable_parameters(load_model_config(smoke.model), smoke.lora)
    assert counts["trainable"] == peft_trainable == expected == 20_480
    assert counts["total"] == peft_total
    assert all(p.requires_grad == ("lora_" in n) for n, p in model.named_parameters())


def test_card_trainable_parameters_from_the_config_alone() -> None:
    """40 x [4*64*(5120+5120) + 3*64*(5120+13824)] = 250,347,520; qlora printed half of it."""
    from transformers import LlamaConfig

    card = load_params(CARD)
    base = LlamaConfig(
        hidden_size=5120, intermediate_size=13824, num_hidden_layers=40, num_attention_heads=40, vocab_size=32002
    )
    assert expected_trainable_parameters(base, card.lora) == 250_347_520 == 2 * 125_173_760
    assert lora_parameter_count(llama_linear_shapes(base), 40, 64, ["q_proj", "v_proj"]) == 40 * 2 * 64 * 10240


@pytest.mark.parametrize("scaling", ["2023", "token_mean"])
def test_loss_scaling_under_gradient_accumulation(smoke, tmp_path: Path, scaling: str) -> None:
    """2023: each micro-batch contributes its own token mean / accumulation steps (the mean of micro-batch
    means). token_mean: its summed token losses / all target tokens of the optimizer step."""
    from stxlib.hardware import detect_hardware
    from stxlib.train.collator import build_collator
    from stxlib.train.kind import StxTrainer, training_arguments

    cfg = load_params(SMOKE, ["lora.dropout=0.0", f"train.loss_scaling={scaling}"])
    tokenizer = prepare_tokenizer(cfg.model)
    model = build_training_model(cfg, tokenizer)
    collate = build_collator(cfg, tokenizer)
    short = {"input": "記事：\n雨が降った。\n\n要約：", "output": "雨"}
    long = {
        "input": "元の日本語：\n今日は晴れです。\n\nシンプルな日本語：",
        "output": "今日はとてもよい天気で、空が青いです。",
    }
    batches = [collate([short]), collate([long, short])]
    args = training_arguments(cfg, RunPaths(tmp_path), detect_hardware(), "adamw_torch", disable_tqdm=True)
    trainer = StxTrainer(model=model, args=args, eval_dataset=[short], loss_scaling=scaling)
    trainer.current_gradient_accumulation_steps = 2
    num_items = trainer._get_num_items_in_batch(batches, args.device)
    assert (num_items is None) == (scaling == "2023")
    counts = [int(b["labels"][..., 1:].ne(-100).sum()) for b in batches]
    for batch, count in zip(batches, counts, strict=True):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            mean = model(**batch).loss.item()
        with torch.autocast("cpu", dtype=torch.bfloat16):  # what accelerate's prepared forward adds (train.bf16)
            got = trainer.training_step(model, dict(batch), num_items).item()
        want = mean / 2 if scaling == "2023" else mean * count / sum(counts)
        assert got == pytest.approx(want, rel=2e-3)
