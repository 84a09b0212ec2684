"""Score a saved adapter on the validation set the way training evaluated it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from transformers import PrinterCallback

from stxlib.config import StxConfig
from stxlib.hardware import detect_hardware
from stxlib.paths import RunPaths
from stxlib.train.arguments import training_arguments
from stxlib.train.checks import resolve_optimizer
from stxlib.train.collator import build_collator
from stxlib.train.data import load_datasets
from stxlib.train.model import load_with_adapter
from stxlib.train.tokenizer import prepare_tokenizer
from stxlib.train.trainer import StxTrainer


def evaluate_adapter(config: StxConfig, paths: RunPaths, adapter: str | Path) -> float:
    """eval_loss of base + `adapter` on `data/validation.jsonl` (same model build, collator, batches and
    precision as the training-time evaluations, so the best adapter reproduces its logged value)."""
    hardware = detect_hardware()
    tokenizer = prepare_tokenizer(config.model)
    model = load_with_adapter(config, tokenizer, adapter)
    _, eval_ds = load_datasets(paths)
    optim = resolve_optimizer(config, hardware).optim
    with tempfile.TemporaryDirectory(prefix="stx-eval-") as tmp:
        args = training_arguments(config, RunPaths(Path(tmp)), hardware, optim, disable_tqdm=True)
        trainer = StxTrainer(
            model=model,
            args=args,
            eval_dataset=eval_ds,
            data_collator=build_collator(config, tokenizer),
            processing_class=tokenizer,
            loss_scaling=config.train.loss_scaling,
            eval_sampling=config.train.eval_sampling,
            lora_dtype=config.lora.dtype,
        )
        trainer.remove_callback(PrinterCallback)
        return float(trainer.evaluate()["eval_loss"])
