"""The report sections of the Shisa training stages (`pretrain`, `sft`, `dpo`), built alike from each stage's
files only: `<stage>/log_history.json` and `<stage>/train_summary.json` (plus DPO's reward curves)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stxlib.plots.dpo_rewards import DPO_METRICS, last_values, plot_dpo_rewards
from stxlib.plots.loss_curves import parse_log_history, plot_loss_curves
from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, fmt
from stxlib.report.figures import PlotFile, figure_html, save_plot
from stxlib.report.sections import StageSection

# train_summary.json fields shown, in order (a kind's own fields included when present)
SUMMARY_KEYS = (
    "training_kind",
    "finetuning",
    "start",
    "reference",
    "steps",
    "epochs",
    "effective_batch_size",
    "block_size",
    "trained_embeddings",
    "chat_template",
    "neftune_noise_alpha",
    "ja_second_pass",
    "beta",
    "loss_type",
    "trainable_parameters",
    "tokens_seen",
    "tokens_per_s",
    "wall_time_s",
    "peak_memory_gib",
)


def _history(run: RunArtifacts, stage: str) -> list[dict[str, Any]] | None:
    return run.read_json(run.paths.training(stage).log_history, list, stage=stage, check=parse_log_history)


def _summary(run: RunArtifacts, stage: str) -> dict[str, Any] | None:
    return run.read_json(run.paths.training(stage).train_summary, dict, stage=stage)


def summary_table(run: RunArtifacts, stage: str) -> Table:
    """Best step and validation loss, then the summary's headline fields."""
    history = _history(run, stage) or []
    summary = _summary(run, stage) or {}
    best = parse_log_history(history).best if history else None
    rows: list[list[Cell | str]] = [
        ["best step (lowest validation loss)", fmt(best[0]) if best else Cell("-", "muted")],
        ["best validation loss", fmt(best[1], 4) if best else Cell("-", "muted")],
    ]
    rows += [[key.replace("_", " "), fmt(summary[key])] for key in SUMMARY_KEYS if summary.get(key) is not None]
    return Table(["", "value"], rows, frozenset({1}), f"{stage}/train_summary.json, {stage}/log_history.json")


def dpo_table(run: RunArtifacts, stage: str) -> Table:
    """The last logged DPO metrics on the training steps and on the held-out split."""
    history = _history(run, stage) or []
    train, held_out = last_values(history), last_values(history, "eval_")
    rows: list[list[Cell | str]] = [[m, fmt(train[m], 4), fmt(held_out[m], 4)] for m in DPO_METRICS]
    return Table(["metric (trl's name)", "last train step", "last evaluation"], rows, frozenset({1, 2}))


def training_section(stage: str, title: str, *, dpo: bool = False) -> StageSection:
    """The section of training stage `stage`: a summary table, the loss curves and, for DPO, the rewards."""

    def read(run: RunArtifacts) -> None:
        _history(run, stage)
        _summary(run, stage)

    def figures(run: RunArtifacts) -> list[PlotFile]:
        history = _history(run, stage) or []
        why = "" if history else f"{stage}/log_history.json is missing"
        best = parse_log_history(history).best if history else None
        (png, svg) = save_plot(
            plot_loss_curves(history, f"{run.name}: {stage}", best[0] if best else None, empty_message=why),
            run.paths.plots / f"{stage}_loss_curves",
        )
        plots = [PlotFile(f"{stage}_loss_curves", png, svg, f"{title}: training and validation loss", why)]
        if dpo:
            png, svg = save_plot(plot_dpo_rewards(history, f"{run.name}: DPO", why), run.paths.plots / "dpo_rewards")
            caption = (
                "DPO loss (ln 2 at the start: policy = reference), rewards of chosen and rejected, margin, accuracy"
            )
            plots.append(PlotFile("dpo_rewards", png, svg, caption, why))
        return plots

    def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
        parts = [h.render_table(summary_table(run, stage)), figure_html(run, plots.get(f"{stage}_loss_curves"))]
        if dpo:
            parts += [h.render_table(dpo_table(run, stage)), figure_html(run, plots.get("dpo_rewards"))]
        return "\n".join(parts)

    def files(run: RunArtifacts) -> list[tuple[str, str]]:
        dirs = run.paths.training(stage)
        return [
            (run.relative(dirs.log_history), f"{stage} log history"),
            (run.relative(dirs.train_summary), f"{stage} training summary"),
        ]

    reader: Callable[[RunArtifacts], object] = read
    return StageSection(stage=stage, title=title, read=reader, render=render, figures=figures, files=files)
