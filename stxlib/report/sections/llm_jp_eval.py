"""The llm_jp_eval stage's section: every model's llm-jp-eval 1.1 scores (AVR, categories, datasets) side by side,
each model's change from the baseline with its paired-bootstrap interval, and the per-category chart
(`llm_jp_eval/<label>/score_eval.json`, `per_sample.jsonl`, `run_info.json`, `plots/llm_jp_eval.png`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.report import html as h
from stxlib.report import intervals
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, delta_cell, fmt
from stxlib.report.figures import PlotFile, figure_html, stage_plot
from stxlib.report.sections import StageSection
from stxlib.stats.llm_jp_eval import CATEGORIES

STAGE = "llm_jp_eval"
SCORE_EVAL = "score_eval.json"
RUN_INFO = "run_info.json"
PLOT = "llm_jp_eval"
HEADLINE = ("AVR", *CATEGORIES)


def labels(run: RunArtifacts) -> list[str]:
    """The configured models, then any other `llm_jp_eval/<label>/` holding a score_eval.json."""
    found = [m.label for m in run.config.llm_jp_eval.models] if run.config is not None else []
    root = run.root / STAGE
    if root.is_dir():
        found += [d.name for d in sorted(root.iterdir()) if (d / SCORE_EVAL).is_file() and d.name not in found]
    return found


def _check_scores(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key == "csv_line":
            continue
        try:
            float(value)
        except (TypeError, ValueError):
            raise ValueError(f"score {key!r} is not a number: {value!r}") from None


def scores(run: RunArtifacts) -> dict[str, dict[str, float] | None]:
    """label -> its scores as floats (None where score_eval.json is absent or damaged)."""
    out: dict[str, dict[str, float] | None] = {}
    for label in labels(run):
        data = run.read_json(run.root / STAGE / label / SCORE_EVAL, dict, stage=STAGE, check=_check_scores)
        out[label] = None if data is None else {k: float(v) for k, v in data.items() if k != "csv_line"}
    return out


def run_infos(run: RunArtifacts) -> dict[str, dict[str, Any]]:
    """label -> run_info.json (where present and readable; its absence is not an issue)."""
    infos = {}
    for label in labels(run):
        path = run.root / STAGE / label / RUN_INFO
        if path.is_file():
            data = run.read_json(path, dict, stage=None)
            if data is not None:
                infos[label] = data
    return infos


def read(run: RunArtifacts) -> None:
    scores(run)
    run_infos(run)


def baseline(run: RunArtifacts, found: list[str]) -> str | None:
    preferred = run.options.baseline
    return preferred if preferred in found else (found[0] if found else None)


def score_table(run: RunArtifacts) -> Table:
    """Rows: AVR, categories, then `<dataset>_<metric>`; columns: each model, then each Δ with its interval."""
    values = {label: s for label, s in scores(run).items() if s is not None}
    found = list(values)
    base = baseline(run, found)
    others = [label for label in found if label != base]
    deltas = intervals.llm_jp_eval(run, base) if base is not None and others else {}
    keys = [k for k in HEADLINE if any(k in s for s in values.values())]
    for s in values.values():
        keys += [k for k in s if k not in keys]
    rows: list[list[Cell | str]] = []
    for key in keys:
        row: list[Cell | str] = [Cell(key, "strong" if key in HEADLINE else "")]
        row += [Cell(fmt(values[label].get(key), 4)) for label in found]
        row += [
            intervals.interval_cell(
                deltas.get(label, {}).get(key), delta_cell(values[label].get(key), values[base].get(key), 4)
            )
            for label in others
        ]
        rows.append(row)
    columns = ["score", *found, *[f"Δ {label} − {base}" for label in others]]
    note = (
        "llm-jp-eval 1.1: NLI and MC exact match, QA and RC char F1, jsts Pearson/Spearman; a category is the mean "
        "of its datasets, AVR the mean of the four categories (only with all ten datasets)."
    )
    if deltas:
        note += " " + intervals.note(run) + " Categories and AVR: each dataset resampled on its own."
    return Table(columns, rows, frozenset(range(1, len(columns))), note)


def runs_table(run: RunArtifacts) -> Table:
    """How each model was evaluated (run_info.json): model, adapter, samples per dataset, warnings."""
    rows: list[list[Cell | str]] = []
    for label, info in run_infos(run).items():
        warnings = info.get("warnings") if isinstance(info.get("warnings"), list) else []
        rows.append(
            [
                label,
                fmt(info.get("model")),
                fmt(info.get("adapter")),
                fmt(info.get("limit")),
                fmt(info.get("shisa_bos")),
                Cell("; ".join(str(w) for w in warnings) or "–", "warn" if warnings else "muted"),
            ]
        )
    return Table(["model", "model id / path", "adapter", "samples per dataset", "Shisa BOS", "warnings"], rows)


def figures(run: RunArtifacts) -> list[PlotFile]:
    caption = "llm-jp-eval 1.1 per category and AVR, one bar per model (drawn by notebook 09)."
    plot = stage_plot(run, PLOT, caption)
    return [plot] if plot is not None else []


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    if not any(s is not None for s in scores(run).values()):
        return h.paragraph("no llm-jp-eval scores (llm_jp_eval/<label>/score_eval.json)", "note")
    parts = [h.render_table(score_table(run)), figure_html(run, plots.get(PLOT))]
    table = runs_table(run)
    if table.rows:
        parts += ["<h3>How each model was evaluated</h3>", h.render_table(table)]
    return "\n".join(parts)


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    out = []
    for label in labels(run):
        out += [
            (f"{STAGE}/{label}/{SCORE_EVAL}", f"llm-jp-eval scores of {label}"),
            (f"{STAGE}/{label}/output_eval.json", f"llm-jp-eval predictions of {label}"),
            (f"{STAGE}/{label}/per_sample.jsonl", f"per-sample scores of {label}"),
        ]
    return out


SECTION = StageSection(stage=STAGE, title="llm-jp-eval 1.1", read=read, render=render, figures=figures, files=files)
