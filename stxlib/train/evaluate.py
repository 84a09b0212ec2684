"""Score a saved adapter on the validation set the way training evaluated it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.hardware import detect_hardware
from stxlib.history import Best
from stxlib.io import write_json
from stxlib.paths import RunPaths

CHECK_FILE = "best_adapter_check.json"


def evaluate_adapter(config: StxConfig, paths: RunPaths, adapter: str | Path) -> float:
    """eval_loss of base + `adapter` on `data/validation.jsonl` (same model build, collator, batches and
    precision as the training-time evaluations, so the best adapter reproduces its logged value)."""
    from transformers import PrinterCallback

    from stxlib.train.collator import build_collator
    from stxlib.train.data import load_datasets
    from stxlib.train.kind import StxTrainer, load_with_adapter, stx_spec, training_arguments
    from stxlib.training.checks import resolve_optimizer
    from stxlib.training.tokenizer import prepare_tokenizer

    hardware = detect_hardware()
    tokenizer = prepare_tokenizer(config.model)
    model = load_with_adapter(config, tokenizer, adapter)
    _, eval_ds = load_datasets(paths)
    optim = resolve_optimizer(stx_spec(config, paths), hardware).optim
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


def check_best_adapter(config: StxConfig, paths: RunPaths, best: Best) -> dict[str, Any]:
    """Re-score `train/best_adapter/` and record it with the logged value in `train/best_adapter_check.json`
    (`step`, `logged_eval_loss`, `reloaded_eval_loss`): a reloaded adapter must give what training logged."""
    from stxlib.train.kind import STAGE

    dirs = paths.training(STAGE)
    reloaded = evaluate_adapter(config, paths, dirs.best_adapter)
    record = {"step": best.step, "logged_eval_loss": best.eval_loss, "reloaded_eval_loss": reloaded}
    write_json(dirs.root / CHECK_FILE, record)
    return record
