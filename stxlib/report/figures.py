"""The report's plots, rebuilt from a run's saved artifacts into `plots/` (PNG + SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt

from stxlib.plots.data_mix import plot_data_mix, plot_data_mix_summary
from stxlib.plots.jglue import plot_jglue_comparison
from stxlib.plots.loss_curves import plot_loss_curves
from stxlib.plots.style import save_figure
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.tables import best_checkpoint, card_scores, eval_tasks, run_scores


@dataclass(frozen=True)
class PlotFile:
    """One saved figure: `png` (always written when the plot exists), optional `svg`, and a caption."""

    name: str
    png: Path
    svg: Path | None
    caption: str
    note: str = ""


@dataclass(frozen=True)
class ReportOptions:
    """The `report` params section as the report builder uses it (defaults when a run has none)."""

    title: str | None = None
    show_card_results: bool = True
    baseline: str = "base"
    data_mix_histograms: bool = True

    @classmethod
    def from_run(cls, run: RunArtifacts) -> ReportOptions:
        section = run.param("report", {})
        section = section if isinstance(section, dict) else {}
        return cls(
            title=section.get("title") if isinstance(section.get("title"), str) else None,
            show_card_results=bool(section.get("show_card_results", True)),
            baseline=str(section.get("baseline", "base")),
            data_mix_histograms=bool(section.get("data_mix_histograms", True)),
        )


def _save(fig: plt.Figure, stem: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    try:
        return save_figure(fig, stem, formats)
    finally:
        plt.close(fig)


def loss_plot(run: RunArtifacts) -> tuple[PlotFile, PlotFile]:
    """`plots/loss_curves.{png,svg}` and the README-sized `plots/loss_curves_small.png`. Written even
    without a log history (the chart then says why), since the report stage is complete only with it."""
    out = run.paths.plots
    step, _, _ = best_checkpoint(run)
    history = run.log_history or []
    train = run.stage("train")
    why = "training has not run: train/log_history.json is missing"
    if train is not None and train.status == "failed":
        why = "the train stage failed: train/log_history.json is missing"
    elif run.log_history is None and (run.paths.log_history.is_file()):
        why = "train/log_history.json is unreadable (see the report's issues)"
    fig = plot_loss_curves(history, run.name, step, empty_message=why)
    png, svg = _save(fig, out / "loss_curves")
    fig = plot_loss_curves(history, run.name, step, compact=True, figsize=(6.0, 3.6), empty_message=why)
    (small,) = _save(fig, out / "loss_curves_small", ("png",))
    caption = (
        "Training loss per logging step and validation loss per evaluation step; the star marks the best "
        "checkpoint (lowest validation loss), the dashed grey line the learning rate (right axis)."
    )
    note = "" if history else why
    return (
        PlotFile("loss_curves", png, svg, caption, note),
        PlotFile("loss_curves_small", small, None, "README-sized loss plot", note),
    )


def jglue_plot(run: RunArtifacts, options: ReportOptions) -> PlotFile | None:
    """`plots/jglue_comparison.{png,svg}` when at least one model has results."""
    if not run.evaluated:
        return None
    tasks = eval_tasks(run)
    card = card_scores() if options.show_card_results else None
    from stxlib.published import CARD_MODEL_NAMES

    limit = run.param("eval.limit")
    note = f"this run: first {limit} documents per task (eval.limit)" if limit else ""
    if note and card:
        note += "; card: 13B models, full validation sets"
    fig = plot_jglue_comparison(run_scores(run, tasks), run.name, card, tasks, card_names=CARD_MODEL_NAMES, note=note)
    png, svg = _save(fig, run.paths.plots / "jglue_comparison")
    caption = "JGLUE headline scores per task: this run's models (solid) beside the model card's numbers (hatched)."
    return PlotFile("jglue_comparison", png, svg, caption)


def data_mix_plot(run: RunArtifacts, options: ReportOptions) -> PlotFile | None:
    """`plots/data_mix.{png,svg}`: the token-length histograms of notebook 01 when the train rows and
    the tokenizer are at hand, else the same information summarised from `mix_stats.json`."""
    stats = run.mix_stats
    if not stats:
        return None
    note = ""
    fig = None
    if options.data_mix_histograms:
        try:
            fig = _histogram_figure(run)
        except Exception as err:  # the tokenizer may be unavailable offline: fall back, say why
            note = f"token-length summary from mix_stats.json (histograms need the tokenizer: {_short(err)})"
    else:
        note = "token-length summary from mix_stats.json (report.data_mix_histograms is false)"
    if fig is None:
        fig = plot_data_mix_summary(stats, run.name)
    png, svg = _save(fig, run.paths.plots / "data_mix")
    caption = "Rows per source and split, and the token lengths of the train split against the max lengths."
    return PlotFile("data_mix", png, svg, caption, note)


def _histogram_figure(run: RunArtifacts) -> plt.Figure:
    from stxlib.config.params import validate_params
    from stxlib.data import collator_tokenizer
    from stxlib.io import read_jsonl

    config = validate_params(run.params or {}, "the run's params")
    rows = read_jsonl(run.paths.train_file)
    tokenizer = collator_tokenizer(config)
    return plot_data_mix(rows, tokenizer, run.mix_stats, run.name)


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"[:200]


def build_plots(run: RunArtifacts, options: ReportOptions | None = None) -> dict[str, PlotFile]:
    """Rebuild every plot the report shows; returns them by name (absent plots are left out)."""
    options = options or ReportOptions.from_run(run)
    plots: dict[str, PlotFile] = {}
    loss, small = loss_plot(run)
    plots[loss.name] = loss
    plots[small.name] = small
    for plot in (jglue_plot(run, options), data_mix_plot(run, options)):
        if plot is not None:
            plots[plot.name] = plot
    return plots
