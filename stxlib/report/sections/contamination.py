"""The contamination stage's section: per evaluation set, the share of documents sharing a character n-gram
with the run's training text, the longest overlap and examples (`contamination.json`, `plots/contamination.png`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, fmt
from stxlib.report.figures import PlotFile, figure_html, stage_plot
from stxlib.report.sections import StageSection
from stxlib.stats import contamination_rows

STAGE = "contamination"
FILE = "contamination.json"
PLOT = "contamination"
EXAMPLE_CHARS = 160


def _check(data: dict[str, Any]) -> None:
    sets = data.get("eval_sets")
    if not isinstance(sets, list):
        raise ValueError("key 'eval_sets' is missing or not a list")
    for index, entry in enumerate(sets):
        missing = [k for k in ("name", "documents", "contaminated", "share", "longest") if k not in entry]
        if missing:
            raise ValueError(f"eval_sets[{index}] lacks {', '.join(missing)}")


def result(run: RunArtifacts) -> dict[str, Any] | None:
    return run.read_json(run.root / FILE, dict, stage=STAGE, check=_check)


def read(run: RunArtifacts) -> None:
    result(run)


def summary_table(data: Mapping[str, Any]) -> Table:
    rows: list[list[Cell | str]] = []
    for row, entry in zip(contamination_rows(dict(data)), data["eval_sets"], strict=True):
        share = entry["share"]
        rows.append(
            [
                entry["name"],
                fmt(entry["documents"]),
                fmt(entry["contaminated"]),
                Cell(f"{share:.1%}", "warn" if share > 0 else ""),
                fmt(entry["longest"]),
                Cell(row["example"] or "–", "pre" if row["example"] else "muted"),
            ]
        )
    training = data.get("training") or {}
    note = (
        f"Character {data.get('n')}-grams of {data.get('normalisation', 'normalised text')}: a document overlaps if "
        f"any of its n-grams occurs in the training text ({fmt(training.get('rows'))} rows, "
        f"{fmt(training.get('characters'))} characters). Longest: the longest shared stretch, in characters."
    )
    return Table(["eval set", "documents", "with overlap", "share", "longest overlap", "example"], rows,
                 frozenset(range(1, 5)), note)  # fmt: skip


def examples_table(data: Mapping[str, Any]) -> Table:
    rows: list[list[Cell | str]] = []
    for entry in data["eval_sets"]:
        for example in entry.get("examples") or []:
            text = str(example.get("text", ""))
            text = text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"
            source = example.get("training") or {}
            rows.append(
                [entry["name"], fmt(example.get("id")), fmt(example.get("longest")), Cell(text, "pre"),
                 f"{source.get('source')} row {source.get('row')}"]
            )  # fmt: skip
    return Table(["eval set", "document", "longest", "shared text (normalised)", "training"], rows, frozenset({2}))


def figures(run: RunArtifacts) -> list[PlotFile]:
    plot = stage_plot(
        run, PLOT, "Share of each evaluation set's documents overlapping the training text (drawn by the stage)."
    )
    return [plot] if plot is not None else []


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    data = result(run)
    if data is None:
        return h.paragraph("no contamination check (contamination.json is missing)", "note")
    parts = [h.render_table(summary_table(data)), figure_html(run, plots.get(PLOT))]
    examples = examples_table(data)
    if examples.rows:
        parts.append(h.details(f"All examples ({len(examples.rows)})", h.render_table(examples)))
    for line in data.get("notes") or []:
        parts.append(h.paragraph(f"note: {line}", "note"))
    return "\n".join(parts)


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    return [(FILE, "train ↔ eval n-gram overlap (contamination stage)")]


SECTION = StageSection(
    stage=STAGE, title="Train ↔ eval contamination", read=read, render=render, figures=figures, files=files
)
