"""The mt_bench stage's section: each model's Japanese MT-Bench score (FastChat's mean of parsed ratings) with
n_unparsable, its change from the baseline with a paired-bootstrap interval, per-category means side by side
with the stage's chart, and language leakage (`mt_bench/<label>/scores.json`, `judgments.jsonl`,
`plots/mt_bench_categories.png`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.report import html as h
from stxlib.report import intervals
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import DASH, Cell, Table, delta_cell, fmt
from stxlib.report.figures import PlotFile, figure_html, stage_plot
from stxlib.report.sections import StageSection

STAGE = "mt_bench"
SCORES = "scores.json"
PLOT = "mt_bench_categories"


def labels(run: RunArtifacts) -> list[str]:
    found = [m.label for m in run.config.mt_bench.models] if run.config is not None else []
    root = run.root / STAGE
    if root.is_dir():
        found += [d.name for d in sorted(root.iterdir()) if (d / SCORES).is_file() and d.name not in found]
    return found


def _check(data: dict[str, Any]) -> None:
    for key in ("judge", "n_judged", "n_unparsable"):
        if key not in data:
            raise ValueError(f"key {key!r} is missing (not an stx MT-Bench scores.json)")


def results(run: RunArtifacts) -> dict[str, dict[str, Any] | None]:
    return {
        label: run.read_json(run.root / STAGE / label / SCORES, dict, stage=STAGE, check=_check)
        for label in labels(run)
    }


def read(run: RunArtifacts) -> None:
    results(run)


def _found(run: RunArtifacts) -> dict[str, dict[str, Any]]:
    return {label: data for label, data in results(run).items() if data is not None}


def scores_table(run: RunArtifacts) -> Table:
    """One row per model: score, Δ from the baseline (interval), counts, judge."""
    found = _found(run)
    base = run.options.baseline if run.options.baseline in found else next(iter(found), None)
    deltas = intervals.mt_bench(run, base) if base is not None and len(found) > 1 else {}
    fallback = any("n_fallback" in s for s in found.values())
    rows: list[list[Cell | str]] = []
    for label, s in found.items():
        unparsable = s.get("n_unparsable") or 0
        delta: Cell | str = DASH
        if label != base and base is not None:
            delta = intervals.interval_cell(
                deltas.get(label), delta_cell(s.get("score"), found[base].get("score"), 2), 2
            )
        row: list[Cell | str] = [
            label,
            Cell(fmt(s.get("score"), 2), "" if s.get("score") is not None else "muted"),
            delta,
            fmt(s.get("n_judged")),
            Cell(fmt(unparsable), "bad" if unparsable else ""),
            fmt(s.get("judge")),
            fmt(s.get("question_set")),
        ]
        if fallback:
            row += [fmt(s.get("n_fallback")), fmt(s.get("score_with_fallback"), 2)]
        rows.append(row)
    columns = ["model", "score", f"Δ − {base}", "judged", "n_unparsable", "judge", "questions"]
    if fallback:
        columns += ["fallback ratings", "score with fallback (not FastChat)"]
    note = "Score: FastChat's mean of the parsed turn-1 ratings (1–10); an unparsable rating (−1) is left out."
    if deltas:
        note += " " + intervals.note(run) + " Questions unparsable for either model are left out of the pair."
    if fallback:
        note += (
            " Fallback: the judge's most likely [[k]] after an unparsable judgment (mt_bench.judge.rating_fallback, "
            "not FastChat), used only by the preferences stage and the last column."
        )
    return Table(columns, rows, frozenset({1, 2, 3, 4, 7, 8}), note)


def category_table(run: RunArtifacts) -> Table:
    """Categories down, models across: mean parsed rating."""
    found = _found(run)
    categories: list[str] = []
    for s in found.values():
        categories += [c for c in (s.get("per_category") or {}) if c not in categories]
    rows: list[list[Cell | str]] = [
        [c, *[fmt((s.get("per_category") or {}).get(c), 2) for s in found.values()]] for c in sorted(categories)
    ]
    return Table(["category", *found], rows, frozenset(range(1, 1 + len(found))))


def leakage_table(run: RunArtifacts) -> Table:
    """Per model: % Japanese of the answers (Shisa's legacy metric and the letters metric), flagged answers."""
    rows: list[list[Cell | str]] = []
    length = None
    for label, s in _found(run).items():
        leakage = s.get("leakage") if isinstance(s.get("leakage"), dict) else {}
        letters = leakage.get("per_answer_letters") if isinstance(leakage.get("per_answer_letters"), dict) else {}
        length = leakage.get("run_length", length)
        flagged = leakage.get("n_flagged")
        rows.append(
            [
                label,
                fmt(s.get("pct_ja"), 1),
                fmt(s.get("pct_ja_letters"), 1),
                fmt(letters.get("min"), 1),
                fmt(letters.get("median"), 1),
                Cell(fmt(flagged), "warn" if flagged else ""),
                fmt(leakage.get("n_answers")),
            ]
        )
    columns = ["model", "% JA (legacy)", "% JA (letters)", "per answer: min", "median"]
    columns += [f"answers with a run of ≥ {length or '?'} non-Japanese letters", "answers"]
    note = "Legacy: Shisa's %JA over all characters; letters: Japanese share of the letters only (docs/mt_bench.md)."
    return Table(columns, rows, frozenset(range(1, 7)), note)


def figures(run: RunArtifacts) -> list[PlotFile]:
    plot = stage_plot(run, PLOT, "Japanese MT-Bench mean rating per category, one bar per model (drawn by the stage).")
    return [plot] if plot is not None else []


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    if not _found(run):
        return h.paragraph("no MT-Bench scores (mt_bench/<label>/scores.json)", "note")
    return "\n".join(
        [
            h.render_table(scores_table(run)),
            "<h3>Per category</h3>",
            h.render_table(category_table(run)),
            figure_html(run, plots.get(PLOT)),
            "<h3>Language leakage</h3>",
            h.render_table(leakage_table(run)),
        ]
    )


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    out = []
    for label in labels(run):
        out += [
            (f"{STAGE}/{label}/answers.jsonl", f"MT-Bench answers of {label}"),
            (f"{STAGE}/{label}/judgments.jsonl", f"MT-Bench judgments of {label}"),
            (f"{STAGE}/{label}/{SCORES}", f"MT-Bench scores of {label}"),
        ]
    return out


SECTION = StageSection(stage=STAGE, title="Japanese MT-Bench", read=read, render=render, figures=figures, files=files)
