"""`stx compare`: the tables and chart that compare scores across runs, with a paired-bootstrap interval on each
run's change from the first run wherever both runs scored the same items (per-item files only)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib.pyplot as plt

from stxlib.plots.jglue import plot_jglue_runs, short_task
from stxlib.report import html as h
from stxlib.report import intervals
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, delta_cell, fmt
from stxlib.report.sections import llm_jp_eval as llm_section
from stxlib.report.sections import mt_bench as mt_section
from stxlib.report.sections.eval import card_scores, eval_tasks, headline_metric_name, results, run_scores
from stxlib.stats import AlignmentError, llm_jp_eval_delta


def _tasks_and_models(runs: Sequence[RunArtifacts]) -> tuple[list[str], list[str]]:
    tasks: list[str] = []
    models: list[str] = []
    for run in runs:
        tasks += [t for t in eval_tasks(run) if t not in tasks]
        models += [m for m in results(run) if m not in models]
    return tasks, models


def _delta_columns(labels: Sequence[str]) -> list[str]:
    return [f"Δ {label} − {labels[0]}" for label in labels[1:]]


def jglue_compare_table(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> Table:
    """Rows: task × evaluated model; columns: one per run, each run's change from the first (with its interval
    where both runs hold the same documents' samples), then the card's value."""
    tasks, models = _tasks_and_models(runs)
    scores = [run_scores(run, tasks) for run in runs]
    card = card_scores()
    settings = intervals.options(runs[0])
    rows: list[list[Cell | str]] = []
    paired = False
    for task in tasks:
        for model in models:
            values = [s.get(model, {}).get(task) for s in scores]
            row: list[Cell | str] = [short_task(task), model, headline_metric_name(runs, task)]
            row += [Cell(fmt(v, 3), "" if v is not None else "muted") for v in values]
            for run, value in zip(runs[1:], values[1:], strict=True):
                interval = intervals.between_runs_jglue(runs[0], run, model, task, settings)
                paired |= interval is not None
                row.append(intervals.interval_cell(interval, delta_cell(value, values[0])))
            row.append(Cell(fmt(card.get(model, {}).get(task), 3)))
            rows.append(row)
    note = "Headline numbers as the card reported them (JSQuAD exact match / 100, accuracy otherwise)."
    if paired:
        note += " " + intervals.note(runs[0], f"the first run ({labels[0]})")
        note += " Pairs without the same documents' samples: the plain difference."
    columns = ["task", "model", "metric", *labels, *_delta_columns(labels), "card"]
    return Table(columns, rows, frozenset(range(3, len(columns))), note)


def jglue_compare_chart(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> str:
    """The JGLUE headline scores of every run and model as one grouped bar chart (embedded PNG), or ''."""
    tasks, models = _tasks_and_models(runs)
    if not tasks or not models:
        return ""
    values = {label: run_scores(run, tasks) for label, run in zip(labels, runs, strict=True)}
    card = {m: v for m, v in card_scores().items() if m in models}
    fig = plot_jglue_runs(values, tasks, card, title="JGLUE — " + ", ".join(labels))
    caption = "JGLUE headline scores: a colour per run, a hatch per model; dashed outlines: the model card's values."
    return inline_figure(fig, "JGLUE scores of each run", caption)


def inline_figure(fig: plt.Figure, alt: str, caption: str) -> str:
    """`fig` as a captioned PNG embedded in the page (a data URI; the compare page has no plots folder); closes it."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img src="{uri}" alt="{h.esc(alt)}"><figcaption>{h.esc(caption)}</figcaption></figure>'


def mt_bench_compare_table(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> Table:
    """Per MT-Bench model label: each run's score (n_unparsable) and its change from the first run."""
    found = [{k: v for k, v in mt_section.results(run).items() if v is not None} for run in runs]
    models = list(dict.fromkeys(m for per_run in found for m in per_run))
    settings = intervals.options(runs[0])
    rows: list[list[Cell | str]] = []
    for model in models:
        scores = [per_run.get(model, {}).get("score") for per_run in found]
        row: list[Cell | str] = [model]
        for per_run, score in zip(found, scores, strict=True):
            bad = per_run.get(model, {}).get("n_unparsable")
            row.append(
                Cell(fmt(score, 2) + (f" ({bad} unparsable)" if bad else ""), "" if score is not None else "muted")
            )
        for run, score in zip(runs[1:], scores[1:], strict=True):
            interval = intervals.between_runs_mt_bench(runs[0], run, model, settings)
            row.append(intervals.interval_cell(interval, delta_cell(score, scores[0], 2), 2))
        rows.append(row)
    note = "FastChat's mean of parsed turn-1 ratings; Δ intervals pair the questions rated in both runs (same judge)."
    return Table(["model", *labels, *_delta_columns(labels)], rows, frozenset(range(1, 1 + 2 * len(labels))), note)


def llm_jp_eval_compare_table(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> Table:
    """Per llm-jp-eval model label and headline score (AVR, categories): each run's value and its change."""
    found = [{k: v for k, v in llm_section.scores(run).items() if v is not None} for run in runs]
    models = list(dict.fromkeys(m for per_run in found for m in per_run))
    settings = intervals.options(runs[0])
    rows: list[list[Cell | str]] = []
    for model in models:
        deltas = []
        for run in runs[1:]:
            a = runs[0].root / "llm_jp_eval" / model / "per_sample.jsonl"
            b = run.root / "llm_jp_eval" / model / "per_sample.jsonl"
            try:
                deltas.append(llm_jp_eval_delta(a, b, **settings) if a.is_file() and b.is_file() else {})
            except (AlignmentError, ValueError, OSError):
                deltas.append({})
        for key in llm_section.HEADLINE:
            values = [per_run.get(model, {}).get(key) for per_run in found]
            if all(v is None for v in values):
                continue
            row: list[Cell | str] = [model, key, *[Cell(fmt(v, 4)) for v in values]]
            row += [
                intervals.interval_cell(d.get(key), delta_cell(v, values[0], 4))
                for d, v in zip(deltas, values[1:], strict=True)
            ]
            rows.append(row)
    note = "llm-jp-eval 1.1 AVR and categories; Δ intervals pair the same samples of both runs (per_sample.jsonl)."
    return Table(
        ["model", "score", *labels, *_delta_columns(labels)], rows, frozenset(range(2, 2 + 2 * len(labels))), note
    )
