"""One training session for every kind: checks, tokenizer, datasets (from the kind), resume decision, model
(4-bit or full precision; LoRA, a saved adapter, or full fine-tuning), Trainer, and at the end the best
checkpoint exported, `log_history.json` and `train_summary.json`. `prepare_session` builds everything (a
notebook shows it), `.train()` runs. See docs/architecture.md, "Training"."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.hardware import Hardware, detect_hardware, is_main_process, set_cpu_threads, world_size
from stxlib.history import Best
from stxlib.io import write_json
from stxlib.training.arguments import build_arguments
from stxlib.training.callbacks import CompactProgressCallback, EvalLogCallback, NonFiniteLossCallback
from stxlib.training.checkpoints import (
    export_best_adapter,
    export_best_model,
    finished,
    prepare_checkpoints,
    remove_stale_outputs,
    select_best,
)
from stxlib.training.checks import check_all, check_batch_sizes
from stxlib.training.kind import TrainingKind, TrainingSpec
from stxlib.training.model import (
    build_model,
    count_linear4bit,
    count_parameters,
    expected_trainable_parameters,
    lora_module_names,
)
from stxlib.training.summary import build_summary, peak_memory
from stxlib.training.tokenizer import load_model_config, prepare_tokenizer
from stxlib.training.trainer import SessionTrainer, SessionTrainerMixin


@dataclass
class TrainResult:
    best: Best
    summary: dict[str, Any]
    log_history: list[dict[str, Any]]
    exported: Path  # best_adapter/ (LoRA) or final/ (full fine-tuning)


@dataclass
class TrainingSession:
    spec: TrainingSpec
    kind: TrainingKind
    hardware: Hardware
    processes: int
    tokenizer: Any
    model: Any
    trainer: Any  # a SessionTrainerMixin Trainer
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
        from transformers import SchedulerType

        spec, tok, args = self.spec, self.tokenizer, self.trainer.args
        scheduler = SchedulerType(args.lr_scheduler_type).value
        quant = spec.model.quantization
        return {
            "hardware": self.hardware.name,
            "processes": self.processes,
            "effective_batch_size": spec.trainer.effective_batch_size * self.processes,
            "optimizer": str(args.optim.value),
            "lr_scheduler": scheduler,
            "warmup_ratio_passed": args.warmup_steps,
            "warmup_applied": scheduler != "constant",
            **self.kind.summary_fields(),
            "mixed_precision": "bf16" if args.bf16 else ("fp16" if args.fp16 else "no"),
            "load_in_4bit": quant.load_in_4bit,
            "compute_dtype": quant.compute_dtype,
            "lora_dtype": spec.lora.dtype if spec.lora else None,
            "pad_token": tok.pad_token,
            "pad_token_id": tok.pad_token_id,
            "embedding_rows_added": self.added_tokens,
            "eos_token": tok.eos_token,
            "eos_token_id": tok.eos_token_id,
            "training_kind": self.kind.name,
            "finetuning": "full" if spec.full_finetune else "lora",
        }

    def describe(self) -> dict[str, Any]:
        """Model and adapter summary for the notebook."""
        spec, tok = self.spec, self.tokenizer
        params = count_parameters(self.model)
        quant = spec.model.quantization
        lora = spec.lora
        return {
            "base model": spec.model.name_or_path,
            "quantisation": (
                f"4-bit {quant.quant_type}, double quant {quant.double_quant}, compute {quant.compute_dtype}"
                if quant.load_in_4bit
                else f"none ({spec.model.dtype})"
            ),
            "4-bit linear layers": count_linear4bit(self.model),
            "LoRA": f"r={lora.r}, alpha={lora.alpha}, dropout={lora.dropout}, {lora.dtype}"
            if lora
            else "none: full fine-tuning",
            "LoRA target modules": ", ".join(lora_module_names(self.model)) if lora else "-",
            "trainable parameters": f"{params['trainable']:,}",
            "expected from the config": f"{self.expected_trainable:,}" if self.expected_trainable else "n/a",
            "total parameters": f"{params['total']:,}",
            "trainable share": f"{params['trainable'] / params['total']:.4%}",
            "pad token": f"{tok.pad_token} (id {tok.pad_token_id}), {self.added_tokens} embedding row(s) added",
            "eos token": f"{tok.eos_token} (id {tok.eos_token_id})",
            "train / validation rows": f"{len(self.trainer.train_dataset)} / {len(self.trainer.eval_dataset)}",
            "effective batch": f"{spec.trainer.per_device_train_batch_size} x "
            f"{spec.trainer.gradient_accumulation_steps} accumulation x {self.processes} process(es)",
            "optimizer": str(self.trainer.args.optim.value),
            "device": self.hardware.name,
            "resume from": self.resume_from.name if self.resume_from else "fresh start",
            **self.kind.describe_fields(),
        }

    def train(self) -> TrainResult | None:
        """Train (or resume), then on the main process export the best step and write the log history and
        summary. Returns the result on the main process, None on the others."""
        trainer = self.trainer
        if self.resume_from is not None:
            trainer.restore_token_counts(self.resume_from)
        started = time.perf_counter()
        if self.resume_from is not None and finished(self.resume_from, self.spec.trainer.max_steps):
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
        spec = self.spec
        history = list(self.trainer.state.log_history)
        best = select_best(history)
        meta = {"base_model": spec.model.name_or_path, "pad_token": spec.model.pad_token}
        if spec.lora is None:
            meta["note"] = "the whole model of the best step (weights, config, tokenizer)"
            exported = export_best_model(spec.dirs, best, meta)
        else:
            meta.update(lora_dtype=spec.lora.dtype, note=_adapter_note(self.kind))
            exported = export_best_adapter(spec.dirs, best, meta)
        write_json(spec.dirs.log_history, history)
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
        write_json(spec.dirs.train_summary, summary)
        rate = f"{summary['tokens_per_s']:.0f} tokens/s, " if summary["tokens_per_s"] else ""
        self.echo(
            f"best eval_loss {best.eval_loss:.4f} at step {best.step} -> {exported}; "
            f"{rate}peak memory {summary['peak_memory_gib']} GiB"
        )
        return TrainResult(best=best, summary=summary, log_history=history, exported=exported)


def _adapter_note(kind: TrainingKind) -> str:
    extra = kind.lora_fields().get("modules_to_save")
    if extra:
        return f"LoRA weights and the trained modules {', '.join(extra)}; apply to the base model"
    if kind.save_embedding_layers:
        return "LoRA weights and the resized embeddings; apply to the base model"
    return "LoRA weights only (embeddings not saved); apply to the base model without resizing"


def trainer_class(kind: TrainingKind) -> type:
    """The kind's Trainer class (default `SessionTrainer`); it must carry the session's mixin."""
    cls = kind.trainer_class or SessionTrainer
    if not issubclass(cls, SessionTrainerMixin):
        raise TypeError(
            f"{cls.__name__} (trainer_class of {type(kind).__name__}) must subclass SessionTrainerMixin, first: "
            f"class My{cls.__name__}(SessionTrainerMixin, {cls.__name__})"
        )
    return cls


def _expected_trainable(spec: TrainingSpec, kind: TrainingKind, model_config: Any) -> int | None:
    """LoRA parameters the config implies (fresh Llama-shaped LoRA on linear layers only), else None."""
    if spec.lora is None or spec.init_adapter is not None or kind.lora_fields().get("modules_to_save"):
        return None
    try:
        return expected_trainable_parameters(model_config, spec.lora)
    except (AttributeError, TypeError):
        return None


def prepare_session(
    spec: TrainingSpec,
    kind: TrainingKind,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> TrainingSession:
    """Check the settings, set up the tokenizer, get the kind's datasets, decide on resuming, build the model
    and the kind's Trainer."""
    settings = spec.trainer
    hardware = detect_hardware()
    if settings.cpu_threads and not hardware.cuda:
        set_cpu_threads(settings.cpu_threads)
    processes = world_size()
    main = is_main_process()
    say = echo if main else (lambda _msg: None)
    cls = trainer_class(kind)
    resolved = check_all(spec, hardware)
    model_config = load_model_config(spec.model)
    tokenizer = prepare_tokenizer(spec.model, model_config)
    train_ds, eval_ds = kind.datasets(tokenizer)
    check_batch_sizes(spec, len(train_ds), len(eval_ds), processes)
    fingerprint = {**kind.fingerprint(), "processes": processes}
    if not settings.resume and main:
        remove_stale_outputs(spec.dirs)
    resume_from = prepare_checkpoints(spec, fingerprint, main=main, echo=say)
    for note in resolved.notes:
        say(note)
    from transformers import set_seed

    # Seed before the model: LoRA's initial weights come from the global RNG (qlora seeded here too).
    set_seed(spec.seed)
    old_rows = getattr(model_config, "vocab_size", len(tokenizer))
    model, peft_config = build_model(
        spec, tokenizer, lora_fields=kind.lora_fields(), peft_in_trainer=kind.peft_in_trainer
    )
    added = model.get_input_embeddings().weight.shape[0] - old_rows
    args = build_arguments(
        settings,
        spec.dirs.checkpoints,
        spec.seed,
        hardware,
        resolved.optim,
        arguments_class=kind.arguments_class,
        extra=kind.argument_fields(),
        processes=processes,
        disable_tqdm=disable_tqdm,
    )
    extra: dict[str, Any] = dict(kind.trainer_kwargs())
    if peft_config is not None:
        extra["peft_config"] = peft_config
    trainer = cls(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        data_collator=kind.collator(tokenizer),
        processing_class=tokenizer,
        callbacks=[EvalLogCallback(say), NonFiniteLossCallback(spec.section), *callbacks],
        lora_dtype=spec.lora.dtype if spec.lora else None,
        save_embedding_layers=kind.save_embedding_layers,
        **extra,
    )
    if peft_config is not None and spec.lora is not None:
        from stxlib.training.model import cast_like_qlora

        cast_like_qlora(trainer.model, spec.lora.dtype)  # the LoRA dtype the params ask for (trl casts to bf16)
    if not args.disable_tqdm:  # one tqdm bar, also in notebooks (not the HTML NotebookProgressCallback)
        from transformers.trainer import DEFAULT_PROGRESS_CALLBACK

        trainer.remove_callback(DEFAULT_PROGRESS_CALLBACK)
        trainer.add_callback(CompactProgressCallback())
    return TrainingSession(
        spec=spec,
        kind=kind,
        hardware=hardware,
        processes=processes,
        tokenizer=tokenizer,
        model=trainer.model,
        trainer=trainer,
        resume_from=resume_from,
        expected_trainable=_expected_trainable(spec, kind, model_config),
        added_tokens=max(added, 0),
        notes=list(resolved.notes),
        echo=say,
    )


def run_session(
    spec: TrainingSpec,
    kind: TrainingKind,
    *,
    callbacks: Sequence[Any] = (),
    echo: Callable[[str], None] = print,
    disable_tqdm: bool = False,
) -> TrainResult | None:
    """Prepare and train in one call; the result on the main process, None on the others."""
    return prepare_session(spec, kind, callbacks=callbacks, echo=echo, disable_tqdm=disable_tqdm).train()
