"""Stage 2 end to end: checks, data, tokenizer, 4-bit model + LoRA, Trainer, resume, best adapter,
log history and summary. `prepare_training` builds everything (the notebook shows it), `.train()` runs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.hardware import Hardware, detect_hardware, is_main_process, world_size
from stxlib.io import write_json
from stxlib.paths import RunPaths
from stxlib.train.arguments import scheduler_settings, training_arguments
from stxlib.train.callbacks import CompactProgressCallback, EvalLogCallback, NonFiniteLossCallback
from stxlib.train.checkpoints import (
    Best,
    checkpoint_step,
    export_best_adapter,
    prepare_checkpoints,
    select_best,
    training_fingerprint,
)
from stxlib.train.checks import check_all, check_batch_sizes
from stxlib.train.collator import build_collator
from stxlib.train.data import load_datasets
from stxlib.train.lora import count_parameters, expected_trainable_parameters, lora_module_names
from stxlib.train.model import build_training_model
from stxlib.train.summary import build_summary, peak_memory
from stxlib.train.tokenizer import load_model_config, prepare_tokenizer
from stxlib.train.trainer import StxTrainer


@dataclass
class TrainResult:
    best: Best
    summary: dict[str, Any]
    log_history: list[dict[str, Any]]
    best_adapter: Path


@dataclass
class TrainingSession:
    config: StxConfig
    paths: RunPaths
    hardware: Hardware
    processes: int
    tokenizer: Any
    model: Any
    trainer: StxTrainer
    resume_from: Path | None
    expected_trainable: int | None
    added_tokens: int
    notes: list[str] = field(default_factory=list)
    echo: Callable[[str], None] = print

    @property
    def main(self) -> bool:
        return is_main_process()

    def effective_settings(self) -> dict[str, Any]:
        """What actually runs (after hardware fallbacks), recorded in the summary."""
        cfg, tok = self.config, self.tokenizer
        scheduler, warmup = scheduler_settings(cfg)
        return {
            "hardware": self.hardware.name,
            "processes": self.processes,
            "effective_batch_size": cfg.train.effective_batch_size * self.processes,
            "optimizer": str(self.trainer.args.optim.value),
            "lr_scheduler": scheduler,
            "warmup_ratio_passed": warmup,
            "warmup_applied": scheduler != "constant",
            "loss_scaling": cfg.train.loss_scaling,
            "collator": cfg.train.collator,
            "group_by_length": cfg.train.group_by_length,
            "eval_sampling": cfg.train.eval_sampling,
            "mixed_precision": "bf16" if cfg.train.bf16 else ("fp16" if cfg.train.fp16 else "no"),
            "load_in_4bit": cfg.model.quantization.load_in_4bit,
            "compute_dtype": cfg.model.quantization.compute_dtype,
            "lora_dtype": cfg.lora.dtype,
            "pad_token": tok.pad_token,
            "pad_token_id": tok.pad_token_id,
            "embedding_rows_added": self.added_tokens,
            "eos_token": tok.eos_token,
            "eos_token_id": tok.eos_token_id,
        }

    def describe(self) -> dict[str, Any]:
        """Model and LoRA summary for the notebook."""
        params = count_parameters(self.model)
        quant = self.config.model.quantization
        return {
            "base model": self.config.model.name_or_path,
            "quantisation": (
                f"4-bit {quant.quant_type}, double quant {quant.double_quant}, compute {quant.compute_dtype}"
                if quant.load_in_4bit
                else f"none ({self.config.model.dtype})"
            ),
            "4-bit linear layers": count_linear4bit(self.model),
            "LoRA": f"r={self.config.lora.r}, alpha={self.config.lora.alpha}, dropout={self.config.lora.dropout}, "
            f"{self.config.lora.dtype}",
            "LoRA target modules": ", ".join(lora_module_names(self.model)),
            "trainable parameters": f"{params['trainable']:,}",
            "expected from the config": f"{self.expected_trainable:,}" if self.expected_trainable else "n/a",
            "total parameters": f"{params['total']:,}",
            "trainable share": f"{params['trainable'] / params['total']:.4%}",
            "pad token": f"{self.tokenizer.pad_token} (id {self.tokenizer.pad_token_id}), "
            f"{self.added_tokens} embedding row(s) added",
            "eos token": f"{self.tokenizer.eos_token} (id {self.tokenizer.eos_token_id})",
            "train / validation rows": f"{len(self.trainer.train_dataset)} / {len(self.trainer.eval_dataset)}",
            "effective batch": f"{self.config.train.per_device_train_batch_size} x "
            f"{self.config.train.gradient_accumulation_steps} accumulation x {self.processes} process(es)",
            "optimizer": str(self.trainer.args.optim.value),
            "device": self.hardware.name,
            "resume from": self.resume_from.name if self.resume_from else "fresh start",
        }

    def train(self) -> TrainResult | None:
        """Train (or resume), then on the main process export the best adapter and write the log
        history and summary. Returns the result on the main process, None on the others."""
        trainer = self.trainer
        if self.resume_from is not None:
            trainer.restore_token_counts(self.resume_from)
        started = time.perf_counter()
        if self.resume_from is not None and finished(self.resume_from, self.config.train.max_steps):
            # The Trainer would run one step past max_steps when resumed from the final checkpoint.
            from transformers import TrainerState

            trainer.state = TrainerState.load_from_json(str(self.resume_from / "trainer_state.json"))
            self.echo(f"{self.resume_from.name} is the last step: nothing left to train, writing the outputs")
        else:
            trainer.train(resume_from_checkpoint=str(self.resume_from) if self.resume_from else None)
        seconds = time.perf_counter() - started
        total, session = trainer.total_token_counts()
        result = None
        if self.main:
            result = self._write_outputs(total, session, seconds)
        trainer.accelerator.wait_for_everyone()
        return result

    def _write_outputs(self, total: Any, session: Any, seconds: float) -> TrainResult:
        history = list(self.trainer.state.log_history)
        best = select_best(history)
        meta = {
            "base_model": self.config.model.name_or_path,
            "pad_token": self.config.model.pad_token,
            "lora_dtype": self.config.lora.dtype,
            "note": "LoRA weights only (embeddings not saved); apply to the base model without resizing",
        }
        adapter = export_best_adapter(self.paths, best, meta)
        write_json(self.paths.log_history, history)
        summary = build_summary(
            best=best,
            log_history=history,
            state=self.trainer.state,
            total=total,
            session=session,
            session_seconds=seconds,
            parameters=count_parameters(self.model),
            expected_trainable=self.expected_trainable,
            effective=self.effective_settings(),
            memory=peak_memory(self.hardware.cuda),
            resumed_from=self.resume_from.name if self.resume_from else None,
        )
        write_json(self.paths.train_summary, summary)
        rate = f"{summary['tokens_per_s']:.0f} tokens/s, " if summary["tokens_per_s"] else ""
        self.echo(
            f"best eval_loss {best.eval_loss:.4f} at step {best.step} -> {adapter}; "
            f"{rate}peak memory {summary['peak_memory_gib']} GiB"
        )
        return TrainResult(best=best, summary=summary, log_history=history, best_adapter=adapter)


def finished(checkpoint: Path, max_steps: int) -> bool:
    """Whether `checkpoint` was saved at (or past) the last step."""
    step = checkpoint_step(checkpoint)
    return step is not None and step >= max_steps


def count_linear4bit(model: Any) -> int:
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:  # pragma: no cover - bitsandbytes is a dependency
        return 0
    return sum(isinstance(m, Linear4bit) for m in model.modules())


def remove_stale_outputs(paths: RunPaths) -> None:
    """Outputs of an earlier run that a fresh start replaces (so a half-done run never looks complete)."""
    shutil.rmtree(paths.best_adapter, ignore_errors=True)
    for path in (paths.log_history, paths.train_summary):
        path.unlink(missing_ok=True)


def prepare_training(
    config: StxConfig,
    paths: RunPaths,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> TrainingSession:
    """Check the settings, load the data, tokenizer and model, set up the Trainer and decide on resuming."""
    hardware = detect_hardware()
    if config.train.cpu_threads and not hardware.cuda:
        import torch

        torch.set_num_threads(config.train.cpu_threads)
    processes = world_size()
    main = is_main_process()
    say = echo if main else (lambda _msg: None)
    resolved = check_all(config, hardware)
    train_ds, eval_ds = load_datasets(paths)
    check_batch_sizes(config, len(train_ds), len(eval_ds), processes)
    fingerprint = training_fingerprint(config, paths, processes)
    if not config.train.resume and main:
        remove_stale_outputs(paths)
    resume_from = prepare_checkpoints(config, paths, fingerprint, main=main, echo=say)
    for note in resolved.notes:
        say(note)
    from transformers import set_seed

    # Seed before the model: LoRA's initial weights come from the global RNG (qlora seeded here too).
    set_seed(config.run.seed)
    model_config = load_model_config(config.model)
    tokenizer = prepare_tokenizer(config.model, model_config)
    old_rows = getattr(model_config, "vocab_size", len(tokenizer))
    model = build_training_model(config, tokenizer)
    added = model.get_input_embeddings().weight.shape[0] - old_rows
    try:
        expected = expected_trainable_parameters(model_config, config.lora)
    except (AttributeError, TypeError):
        expected = None
    args = training_arguments(config, paths, hardware, resolved.optim, processes=processes, disable_tqdm=disable_tqdm)
    trainer = StxTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        data_collator=build_collator(config, tokenizer),
        processing_class=tokenizer,
        callbacks=[EvalLogCallback(say), NonFiniteLossCallback(), *callbacks],
        loss_scaling=config.train.loss_scaling,
        eval_sampling=config.train.eval_sampling,
        lora_dtype=config.lora.dtype,
    )
    if not args.disable_tqdm:  # one tqdm bar, also in notebooks (not the HTML NotebookProgressCallback)
        from transformers.trainer import DEFAULT_PROGRESS_CALLBACK

        trainer.remove_callback(DEFAULT_PROGRESS_CALLBACK)
        trainer.add_callback(CompactProgressCallback())
    return TrainingSession(
        config=config,
        paths=paths,
        hardware=hardware,
        processes=processes,
        tokenizer=tokenizer,
        model=model,
        trainer=trainer,
        resume_from=resume_from,
        expected_trainable=expected,
        added_tokens=max(added, 0),
        notes=list(resolved.notes),
        echo=say,
    )


def run_training(
    config: StxConfig, paths: RunPaths, *, callbacks: Sequence[Any] = (), echo: Callable[[str], None] = print
) -> TrainResult | None:
    """Stage 2 in one call (what `stx train` and the multi-process entrypoint run)."""
    return prepare_training(config, paths, callbacks=callbacks, echo=echo).train()
