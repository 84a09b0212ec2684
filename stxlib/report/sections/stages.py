"""The run's overview (not a stage's section): each stage's status, time and notebooks (from
`manifest.json`), and the key params, read from the typed config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stxlib.config import ModelRef, StxConfig
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import DASH, Cell, Table, fmt

STATUS_CLASS = {"done": "pos", "failed": "bad", "running": "warn", "not run": "muted", "not_implemented": "muted"}


def stages_table(run: RunArtifacts, current: str | None = None) -> Table:
    """One row per stage with its status, time, error and links to the rendered and executed notebooks.

    `current` names the stage building this page (its notebook is rendered after the page is written)."""
    rows: list[list[Cell | str]] = []
    for stage in run.stages:
        building = stage.name == current
        html = f"{stage.notebook}.html" if building else stage.html
        ipynb = f"{stage.notebook}.ipynb" if building else stage.ipynb
        status = Cell("this page", "pos") if building else Cell(stage.status, STATUS_CLASS.get(stage.status, ""))
        links = Cell(f"{stage.notebook}.html", href=html) if html else Cell(DASH, "muted")
        raw = Cell(".ipynb", href=ipynb) if ipynb else Cell(DASH, "muted")
        rows.append(
            [
                stage.name,
                links,
                raw,
                status,
                fmt(None if building else stage.seconds, 1),
                stage.started or DASH,
                Cell(stage.error or "", "bad pre" if stage.error else ""),
            ]
        )
    return Table(
        ["stage", "rendered notebook", "executed", "status", "seconds", "started", "error"], rows, frozenset({4})
    )


# (label, the value(s) it shows) in the order of the table; a row whose values are all None is left out.
# (label, stage the row belongs to (None: every run), values): a row shows only when its stage is in the recipe.
PARAMS_SUMMARY: list[tuple[str, str | None, Callable[[StxConfig], tuple[Any, ...]]]] = [
    ("run name", None, lambda c: (c.run.name,)),
    ("seed", None, lambda c: (c.run.seed,)),
    ("base model", None, lambda c: (c.model.name_or_path,)),
    ("4-bit quantisation", None, lambda c: (c.model.quantization.load_in_4bit,)),
    ("quant type / double quant", None, lambda c: (c.model.quantization.quant_type, c.model.quantization.double_quant)),
    ("LoRA r / alpha / dropout", "train", lambda c: (c.lora.r, c.lora.alpha, c.lora.dropout)),
    ("LoRA target modules", "train", lambda c: (c.lora.target_modules,)),
    ("learning rate / schedule", "train", lambda c: (c.train.learning_rate, c.train.lr_scheduler_type)),
    (
        "max steps / eval every / save every",
        "train",
        lambda c: (c.train.max_steps, c.train.eval_steps, c.train.save_steps),
    ),
    (
        "batch size × grad accumulation",
        "train",
        lambda c: (c.train.per_device_train_batch_size, c.train.gradient_accumulation_steps),
    ),
    ("max grad norm / optimizer", "train", lambda c: (c.train.max_grad_norm, c.train.optim)),
    ("loss scaling / collator", "train", lambda c: (c.train.loss_scaling, c.train.collator)),
    (
        "sequences per optimizer step",
        "train",
        lambda c: (c.train.per_device_train_batch_size * c.train.gradient_accumulation_steps,),
    ),
    ("samples per source / split option", "data", lambda c: (c.data.samples_per_source, c.data.split)),
    (
        "validation rows / source, target max len",
        "data",
        lambda c: (c.data.eval_size, c.data.source_max_len, c.data.target_max_len),
    ),
    ("JGLUE tasks", "eval", lambda c: (c.eval.tasks,)),
    ("few-shot counts / limit", "eval", lambda c: (c.eval.num_fewshot, c.eval.limit)),
    ("evaluated models", "eval", lambda c: (c.eval.models,)),
    *[
        (
            f"{stage}: LoRA r / alpha, learning rate, max steps",
            stage,
            lambda c, s=stage: (getattr(c, s).lora.r, getattr(c, s).lora.alpha, getattr(c, s).learning_rate,
                                getattr(c, s).max_steps),
        )
        for stage in ("pretrain", "sft", "dpo")
    ],
    ("sft: NEFTune alpha", "sft", lambda c: (c.sft.neftune_noise_alpha,)),
    ("dpo: beta / loss type", "dpo", lambda c: (c.dpo.beta, c.dpo.loss_type)),
    ("llm-jp-eval: evaluated models", "llm_jp_eval", lambda c: (c.llm_jp_eval.models,)),
    ("MT-Bench: evaluated models", "mt_bench", lambda c: (c.mt_bench.models,)),
]  # fmt: skip


def params_table(run: RunArtifacts) -> Table:
    """The key params of the run (model, quantisation, LoRA, schedule, batch, data sizes, evaluation)."""
    config = run.config
    if config is None:
        return Table(["param", "value"], [], note="no params found (params.yaml and manifest missing or invalid)")
    rows: list[list[Cell | str]] = []
    stages = set(config.run.stages)
    for label, stage, values_of in PARAMS_SUMMARY:
        if stage is not None and stage not in stages:
            continue
        values = values_of(config)
        if all(v is None for v in values):
            continue
        rows.append([label, " / ".join(_param_text(v) for v in values)])
    return Table(["param", "value"], rows)


def _param_text(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(v, ModelRef) for v in value):
        return ", ".join(_model_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return fmt(value) if value is not None else "null"


def _model_text(model: ModelRef) -> str:
    extra = [f"{k}={v}" for k, v in model.model_dump().items() if k != "label" and v not in (None, False)]
    return model.label + (f" ({', '.join(extra)})" if extra else "")
