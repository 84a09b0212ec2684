"""The preferences stage's section: for each fit (human votes, judge-decided votes; never mixed), win/loss/draw
per pair, Bradley–Terry strengths with their vote-bootstrap intervals, and the stage's forest plot and win-rate
heatmap (`preferences/summary.json`, `btl.json`, `btl_judge.json`, `plots/preferences_*`). A fit without models
(e.g. every judge rating unparsable) is shown as such, with the stage's notes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, fmt
from stxlib.report.figures import PlotFile, figure_html, stage_plot
from stxlib.report.sections import StageSection
from stxlib.stats import preference_pair_rows, preference_rows

STAGE = "preferences"
SUMMARY = "summary.json"
BTL = "btl.json"
CAPTIONS = {
    "strengths": "Bradley–Terry log-strengths with their bootstrap intervals (forest plot, drawn by the stage).",
    "winrate": "Observed draw-adjusted win rate of the row model against the column model (drawn by the stage).",
}


def _check_summary(data: dict[str, Any]) -> None:
    if not isinstance(data.get("fits"), list):
        raise ValueError("key 'fits' is missing or not a list")


def _check_btl(data: dict[str, Any]) -> None:
    if not isinstance(data.get("models"), list):
        raise ValueError("key 'models' is missing or not a list")


def summary(run: RunArtifacts) -> dict[str, Any] | None:
    return run.read_json(run.root / STAGE / SUMMARY, dict, stage=STAGE, check=_check_summary)


def btl(run: RunArtifacts, name: str = BTL) -> dict[str, Any] | None:
    return run.read_json(run.root / STAGE / name, dict, stage=STAGE, check=_check_btl)


def read(run: RunArtifacts) -> None:
    btl(run)
    data = summary(run)
    for fit in (data or {}).get("fits", []):
        if isinstance(fit, dict) and isinstance(fit.get("btl_file"), str) and fit["btl_file"] != BTL:
            btl(run, fit["btl_file"])


def models_table(data: Mapping[str, Any]) -> Table:
    rows: list[list[Cell | str]] = []
    for row in preference_rows(dict(data)):
        rows.append(
            [
                fmt(row["rank"]),
                row["model"],
                f"{row['log_strength']:+.3f}",
                row["interval"],
                f"{row['elo_like']:+.0f}",
                fmt(row["comparisons"]),
                f"{row['wins']}/{row['losses']}/{row['draws']}",
                fmt(row["adjusted_win_rate"], 3),
            ]
        )
    columns = ["rank", "model", "log-strength", "interval", "Elo-like", "comparisons", "W/L/D", "adj. win rate"]
    note = (
        f"Bradley–Terry (choix iLSR, alpha {data.get('alpha')}, draws {data.get('draws')}), intervals from "
        f"{fmt(data.get('resamples'))} vote resamples; adj. win rate counts a draw as half a win."
    )
    return Table(columns, rows, frozenset({0, 2, 4, 5, 7}), note)


def pairs_table(fit_summary: Mapping[str, Any]) -> Table:
    rows: list[list[Cell | str]] = [
        [r["model_a"], r["model_b"], fmt(r["wins_a"]), fmt(r["wins_b"]), fmt(r["draws"]), fmt(r["adjusted_a"], 3)]
        for r in preference_pair_rows({"fits": [dict(fit_summary)]})
    ]
    return Table(["model a", "model b", "a wins", "b wins", "draws", "a: adj. win rate"], rows, frozenset(range(2, 6)))


def _fit_plots(run: RunArtifacts, fit: Mapping[str, Any]) -> list[PlotFile]:
    plots = []
    for relative in fit.get("plots") or []:
        stem = Path(str(relative)).stem
        kind = stem.rsplit("_", 1)[-1]
        plot = stage_plot(run, stem, CAPTIONS.get(kind, stem))
        if plot is not None:
            plots.append(plot)
    return plots


def figures(run: RunArtifacts) -> list[PlotFile]:
    data = summary(run) or {}
    return [p for fit in data.get("fits", []) if isinstance(fit, dict) for p in _fit_plots(run, fit)]


def _fit_html(run: RunArtifacts, fit: Mapping[str, Any], plots: Mapping[str, PlotFile]) -> str:
    raters = str(fit.get("raters", "?"))
    kind = (
        "Human votes" if raters == "human" else f"Votes decided by the MT-Bench judge ({raters.removeprefix('judge:')})"
    )
    parts = [f"<h3>{h.esc(kind)}: {h.esc(fmt(fit.get('votes')))} votes</h3>"]
    data = btl(run, str(fit.get("btl_file", BTL)))
    if data is not None:
        parts.append(h.render_table(models_table(data)))
    parts.append(h.render_table(pairs_table(fit)))
    for warning in fit.get("warnings") or []:
        parts.append(h.paragraph(f"warning: {warning}", "warn"))
    stems = [Path(str(p)).stem for p in fit.get("plots") or []]
    figures_html = [figure_html(run, plots.get(stem)) for stem in stems]
    if figures_html:
        parts.append('<div class="grid">' + "".join(f"<div>{f}</div>" for f in figures_html) + "</div>")
    return "\n".join(parts)


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    data = summary(run)
    if data is None:
        return h.paragraph("no preference fit (preferences/summary.json is missing)", "note")
    parts = []
    fits = [f for f in data.get("fits", []) if isinstance(f, dict)]
    if not fits:
        parts.append(
            h.paragraph(
                "Empty fit: no decisive votes, so no Bradley–Terry strengths (btl.json holds no models).", "warn"
            )
        )
    parts += [_fit_html(run, fit, plots) for fit in fits]
    judged = data.get("judge_votes")
    if isinstance(judged, dict):
        text = (
            f"Judge-decided votes ({judged.get('judge')}): {fmt(judged.get('votes'))} votes; "
            f"{fmt(judged.get('unparsable_pairs'))} pairs left out for an unparsable rating, "
            f"{fmt(judged.get('unmatched_questions'))} questions judged for one model only"
        )
        if judged.get("fallback_votes"):
            text += f"; {fmt(judged['fallback_votes'])} votes use a log-likelihood fallback rating (not FastChat)"
        parts.append(h.paragraph(text + ".", "note"))
    for line in data.get("notes") or []:
        parts.append(h.paragraph(f"note: {line}", "note"))
    return "\n".join(parts)


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    return [
        (f"{STAGE}/votes.jsonl", "human votes"),
        (f"{STAGE}/judge_votes.jsonl", "votes decided by the MT-Bench judge"),
        (f"{STAGE}/{BTL}", "Bradley–Terry fit (primary)"),
        (f"{STAGE}/btl_judge.json", "Bradley–Terry fit of the judge's votes"),
        (f"{STAGE}/{SUMMARY}", "which fit is which, W/L/D per pair, notes"),
    ]


SECTION = StageSection(stage=STAGE, title="Preferences", read=read, render=render, figures=figures, files=files)
