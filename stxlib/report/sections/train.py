"""The train stage's section: the best checkpoint and the training summary (`train/train_summary.json`),
the loss curves drawn from `train/log_history.json`, and every other summary field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.plots.loss_curves import parse_log_history, plot_loss_curves
from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, fmt
from stxlib.report.figures import PlotFile, figure_html, save_plot
from stxlib.report.sections import StageSection
from stxlib.tiny_model_info import DEMO_MODEL_NOTE, PRETRAINED_MODEL_NAME

STAGE = "train"


def log_history(run: RunArtifacts) -> list[dict[str, Any]] | None:
    return run.read_json(run.paths.log_history, list, stage=STAGE, check=parse_log_history)


def train_summary(run: RunArtifacts) -> dict[str, Any] | None:
    return run.read_json(run.paths.train_summary, dict, stage=STAGE)


def read(run: RunArtifacts) -> None:
    log_history(run)
    train_summary(run)


def best_checkpoint(run: RunArtifacts) -> tuple[int | None, float | None, str]:
    """(best step, its eval loss, where it came from): train_summary.json if it names one, else argmin of
    `eval_loss` in the log history."""
    summary = train_summary(run) or {}
    step = _first(summary, "best_step", "best_global_step")
    loss = _first(summary, "best_eval_loss", "best_metric")
    if isinstance(step, int) and isinstance(loss, int | float):
        return step, float(loss), "train_summary.json"
    history = log_history(run)
    if history:
        best = parse_log_history(history).best
        if best:
            return best[0], best[1], "argmin of eval_loss in log_history.json"
    return None, None, ""


_SUMMARY_LABELS = {
    "best_checkpoint": "best checkpoint",
    "first_eval_step": "first evaluation step",
    "first_eval_loss": "first validation loss",
    "last_eval_loss": "last validation loss",
    "evaluations": "evaluations",
    "steps": "optimizer steps",
    "global_step": "optimizer steps",
    "max_steps": "max steps",
    "epochs": "epochs",
    "trainable_parameters": "trainable parameters",
    "expected_trainable_parameters": "trainable parameters expected",
    "total_parameters": "total parameters",
    "tokens_seen": "tokens seen (with padding)",
    "nonpad_tokens_seen": "non-pad tokens seen",
    "target_tokens_seen": "target tokens seen",
    "nonpad_token_fraction": "non-pad token fraction",
    "wall_time_s": "training wall time (s)",
    "tokens_per_s": "tokens / s (with padding)",
    "nonpad_tokens_per_s": "non-pad tokens / s",
    "resumed_from": "resumed from",
    "peak_memory_gib": "peak memory (GiB)",
    "peak_memory_kind": "peak memory measured as",
}


# train_summary.json keys shown in the headline (in this order); the others go to the details table.
HEADLINE_SUMMARY_KEYS = [
    "steps",
    "global_step",
    "epochs",
    "effective_batch_size",
    "trainable_parameters",
    "total_parameters",
    "tokens_seen",
    "nonpad_tokens_seen",
    "wall_time_s",
    "tokens_per_s",
    "peak_memory_gib",
]
_BEST_KEYS = {"best_step", "best_eval_loss", "best_metric", "best_global_step"}


def train_table(run: RunArtifacts) -> Table:
    """Best step and validation loss, the last losses, then the headline figures of train_summary.json."""
    step, loss, source = best_checkpoint(run)
    rows: list[list[Cell | str]] = [
        ["best step (lowest validation loss)", Cell(fmt(step), "" if step is not None else "muted")],
        ["best validation loss", Cell(fmt(loss, 4), "" if loss is not None else "muted")],
    ]
    history = log_history(run)
    if history:
        curves = parse_log_history(history)
        if curves.train_loss:
            rows.append([f"last training loss (step {curves.train_steps[-1]})", fmt(curves.train_loss[-1], 4)])
        if curves.eval_loss:
            rows.append([f"last validation loss (step {curves.eval_steps[-1]})", fmt(curves.eval_loss[-1], 4)])
        argmin = curves.best
        if argmin and step is not None and argmin[0] != step:
            rows.append([Cell("note", "bad"), Cell(f"argmin of eval_loss in the log is step {argmin[0]}", "bad")])
    summary = train_summary(run) or {}
    for key in HEADLINE_SUMMARY_KEYS:
        if summary.get(key) is not None:
            label = _SUMMARY_LABELS.get(key, key.replace("_", " "))
            if key == "peak_memory_gib" and summary.get("peak_memory_kind"):
                label += f", {summary['peak_memory_kind']}"
            rows.append([label, fmt(summary[key])])
    precision = precision_used(summary)
    if precision:
        rows.append(["precision used in training", precision])
    return Table(["", "value"], rows, frozenset({1}), f"best checkpoint from {source}" if source else "")


def precision_used(summary: Mapping[str, Any]) -> str:
    """What training actually computed in, from train_summary.json (after hardware fallbacks): mixed
    precision, the 4-bit compute dtype and the LoRA weights' dtype ("" for a summary without them)."""
    parts = []
    if summary.get("mixed_precision") is not None:
        parts.append(f"mixed precision {summary['mixed_precision']}")
    if summary.get("load_in_4bit") and summary.get("compute_dtype"):
        parts.append(f"4-bit compute {summary['compute_dtype']}")
    if summary.get("lora_dtype"):
        parts.append(f"LoRA weights {summary['lora_dtype']}")
    return ", ".join(parts)


def train_details_table(run: RunArtifacts) -> Table:
    """Every other scalar of train_summary.json (settings the trainer actually used, token counts, ...)."""
    skip = {*HEADLINE_SUMMARY_KEYS, *_BEST_KEYS, "peak_memory_kind"}
    rows: list[list[Cell | str]] = [
        [_SUMMARY_LABELS.get(key, key.replace("_", " ")), fmt(value)]
        for key, value in (train_summary(run) or {}).items()
        if key not in skip and not isinstance(value, dict | list)
    ]
    return Table(["train_summary.json", "value"], rows)


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None


def loss_plots(run: RunArtifacts) -> list[PlotFile]:
    """`plots/loss_curves.{png,svg}` and the README-sized `plots/loss_curves_small.png`. Written even
    without a log history (the chart then says why), since the report stage is complete only with it."""
    out = run.paths.plots
    step, _, _ = best_checkpoint(run)
    history = log_history(run) or []
    train = run.stage(STAGE)
    why = "training has not run: train/log_history.json is missing"
    if train is not None and train.status == "failed":
        why = "the train stage failed: train/log_history.json is missing"
    elif log_history(run) is None and run.paths.log_history.is_file():
        why = "train/log_history.json is unreadable (see the report's issues)"
    png, svg = save_plot(plot_loss_curves(history, run.name, step, empty_message=why), out / "loss_curves")
    fig = plot_loss_curves(history, run.name, step, compact=True, figsize=(6.0, 3.6), empty_message=why)
    (small,) = save_plot(fig, out / "loss_curves_small", ("png",))
    caption = (
        "Training loss per logging step and validation loss per evaluation step; the star marks the best "
        "checkpoint (lowest validation loss), the dashed grey line the learning rate (right axis)."
    )
    note = "" if history else why
    return [
        PlotFile("loss_curves", png, svg, caption, note),
        PlotFile("loss_curves_small", small, None, "README-sized loss plot", note),
    ]


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    demo = run.config is not None and run.config.model.name_or_path == PRETRAINED_MODEL_NAME
    return "\n".join(
        [
            *([h.paragraph(DEMO_MODEL_NOTE, "note")] if demo else []),
            h.render_table(train_table(run)),
            figure_html(run, plots.get("loss_curves")),
            h.details("All training summary fields", h.render_table(train_details_table(run))),
        ]
    )


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    paths = run.paths
    return [
        (run.relative(paths.log_history), "trainer log history"),
        (run.relative(paths.train_summary), "training summary"),
        (run.relative(paths.best_adapter / "adapter_config.json"), "best LoRA adapter config"),
    ]


SECTION = StageSection(stage=STAGE, title="Training", read=read, render=render, figures=loss_plots, files=files)
