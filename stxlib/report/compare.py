"""`stx compare`: one self-contained page comparing several runs — overlaid loss curves, JGLUE (table with a
column per run and each run's change from the first with its paired-bootstrap interval, and a chart),
llm-jp-eval and MT-Bench when the runs have them, and the params that differ between the runs. Every run is
named the same way in every row, column and legend (`run_labels`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stxlib.io import atomic_write_text
from stxlib.plots.loss_curves import parse_log_history, plot_loss_overlay
from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts, RunFolderError
from stxlib.report.cells import DASH, Cell, Table, fmt
from stxlib.report.compare_tables import (
    inline_figure,
    jglue_compare_chart,
    jglue_compare_table,
    llm_jp_eval_compare_table,
    mt_bench_compare_table,
)
from stxlib.report.load import load_run
from stxlib.report.params_diff import differing_params
from stxlib.report.sections.train import best_checkpoint, log_history

COMPARE_NAME = "compare.html"  # also in stxlib.cli.report_cmd (kept import-light)


@dataclass
class Comparison:
    path: Path
    runs: list[RunArtifacts]
    labels: list[str]


def default_output(run_dirs: Sequence[str | Path]) -> Path:
    """`compare.html` in the folder holding the first run (normally `results/`)."""
    return Path(run_dirs[0]).expanduser().resolve().parent / COMPARE_NAME


def run_labels(runs: Sequence[RunArtifacts]) -> list[str]:
    """Column names: the runs' names (`run.name`) when they are all different, else the folder names, made
    unique with the parent folder (then a number) when needed. The page uses these names everywhere."""
    names = [r.name for r in runs]
    if len(set(names)) == len(names):
        return names
    folders = [r.root.name for r in runs]
    labels = [f"{r.root.parent.name}/{r.root.name}" if folders.count(r.root.name) > 1 else r.root.name for r in runs]
    for index, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[index] = f"{label} ({index + 1})"
    return labels


def build_comparison(run_dirs: Sequence[str | Path], out: str | Path | None = None) -> Comparison:
    """Read every run folder and write the comparison page (atomically) to `out`
    (default: `default_output(run_dirs)`). Raises RunFolderError for a folder that is not a run."""
    if not run_dirs:
        raise RunFolderError("give at least one run folder to compare (e.g. results/smoke results/smoke_r16)")
    runs = [load_run(d) for d in run_dirs]
    seen: dict[Path, int] = {}
    for run in runs:
        seen[run.root] = seen.get(run.root, 0) + 1
    twice = [str(p) for p, n in seen.items() if n > 1]
    if twice:
        raise RunFolderError(f"run folder given more than once: {', '.join(twice)}")
    path = Path(out).expanduser().resolve() if out else default_output(run_dirs)
    labels = run_labels(runs)
    atomic_write_text(path, render_comparison(runs, labels, path.parent))
    return Comparison(path, runs, labels)


def render_comparison(runs: Sequence[RunArtifacts], labels: Sequence[str], page_dir: Path) -> str:
    parts = [
        _issues(runs, labels),
        "<h2>Runs</h2>",
        h.render_table(summary_table(runs, labels, page_dir)),
        "<h2>Loss curves</h2>",
        _overlay(runs, labels),
        "<h2>JGLUE</h2>",
        h.render_table(jglue_compare_table(runs, labels)),
        jglue_compare_chart(runs, labels),
        *_optional("llm-jp-eval 1.1", llm_jp_eval_compare_table(runs, labels)),
        *_optional("Japanese MT-Bench", mt_bench_compare_table(runs, labels)),
        "<h2>Params that differ</h2>",
        h.render_table(params_diff_table(runs, labels)),
    ]
    subtitle = f"{len(runs)} runs: " + ", ".join(labels)
    return h.page("STX run comparison", subtitle, "\n".join(p for p in parts if p))


def _optional(title: str, table: Table) -> list[str]:
    """A heading and the table, or nothing when no run has these results."""
    return [f"<h2>{h.esc(title)}</h2>", h.render_table(table)] if table.rows else []


def summary_table(runs: Sequence[RunArtifacts], labels: Sequence[str], page_dir: Path) -> Table:
    """A column per run: its report, stage status, best step and losses."""
    rows: list[list[Cell | str]] = []
    report_row: list[Cell | str] = ["report"]
    for run in runs:
        target = run.paths.report
        if target.is_file():
            report_row.append(Cell("report.html", href=Path(os.path.relpath(target, page_dir)).as_posix()))
        else:
            report_row.append(Cell("not built (stx report RUN_DIR)", "muted"))
    rows.append(report_row)
    rows.append(["run name", *labels])
    if any(label != run.name for label, run in zip(labels, runs, strict=True)):
        rows.append(["params run.name", *[run.name for run in runs]])
    rows.append(["folder", *[str(run.root) for run in runs]])
    rows.append(["stages done", *[_stages_done(run) for run in runs]])
    best = [best_checkpoint(run) for run in runs]
    rows.append(["best step", *[fmt(b[0]) for b in best]])
    rows.append(["best validation loss", *[fmt(b[1], 4) for b in best]])
    last = []
    for run in runs:
        curves = parse_log_history(log_history(run) or [])
        last.append(fmt(curves.train_loss[-1], 4) if curves.train_loss else DASH)
    rows.append(["last training loss", *last])
    return Table(["", *labels], rows)


def _stages_done(run: RunArtifacts) -> Cell:
    done = [s.name for s in run.stages if s.status == "done"]
    failed = [s.name for s in run.stages if s.status == "failed"]
    text = ", ".join(done) or "none"
    if failed:
        text += f" (failed: {', '.join(failed)})"
    return Cell(text, "bad" if failed else "")


def params_diff_table(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> Table:
    diffs = differing_params([run.params for run in runs])
    rows: list[list[Cell | str]] = [[key, *[_value(v) for v in values]] for key, values in diffs]
    note = "" if rows else "all params are the same"
    if len(runs) < 2:
        note = "only one run given"
    return Table(["param", *labels], rows, note=note)


def _value(value: object) -> str:
    """A params value as YAML writes it (`true`, `null`, `0.0002`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "null" if value is None else str(value)


def _overlay(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> str:
    histories = {label: log_history(run) or [] for label, run in zip(labels, runs, strict=True)}
    fig = plot_loss_overlay(histories, title="Loss curves — " + ", ".join(labels))
    caption = (
        "Thin lines: training loss per logging step; lines with dots: validation loss per evaluation step; "
        "stars: each run's best checkpoint (lowest validation loss)."
    )
    return inline_figure(fig, "overlaid loss curves", caption)


def _issues(runs: Sequence[RunArtifacts], labels: Sequence[str]) -> str:
    lines = [f"{label}: {issue}" for label, run in zip(labels, runs, strict=True) for issue in run.serious_issues]
    return h.issues_box(lines, True, "Missing or unreadable artifacts")
