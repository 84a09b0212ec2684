"""The data stage's section: rows per source and split, token lengths and truncation (from
`data/mix_stats.json`), and stage 1's chart `plots/data_mix.png`, embedded as the stage drew it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.plots.data_mix import plot_data_mix_summary
from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import DASH, Cell, Table, fmt, percent
from stxlib.report.figures import PlotFile, figure_html, save_plot
from stxlib.report.sections import StageSection

STAGE = "data"
CHART = "data_mix"  # plots/data_mix.{png,svg}: drawn by the data stage (stxlib.data.figures)
SUMMARY_CHART = "data_mix_summary"  # drawn here from mix_stats.json when the stage's chart is missing
CAPTION = "Rows per source and split, and the token lengths of the train split against the max lengths."


def mix_stats(run: RunArtifacts) -> dict[str, Any] | None:
    return run.read_json(run.paths.mix_stats, dict, stage=STAGE, check=_check_mix_stats)


def _check_mix_stats(stats: dict[str, Any]) -> None:
    for key, kind in (("sources", dict), ("totals", dict), ("source_max_len", int), ("target_max_len", int)):
        if not isinstance(stats.get(key), kind):
            raise ValueError(f"key {key!r} is missing or not a {kind.__name__}")


def data_table(run: RunArtifacts) -> Table:
    """Rows per source and split, token lengths (median / p95 / max) and truncation of the train split."""
    stats = mix_stats(run)
    columns = [
        "source",
        "train rows",
        "validation rows",
        "validation from",
        "source tokens med / p95 / max",
        "target tokens med / p95 / max",
        "source truncated",
        "target truncated",
    ]
    if not stats:
        return Table(columns, [], note="data/mix_stats.json not available")
    lengths = stats.get("lengths", {}).get("train", {})
    rows: list[list[Cell | str]] = []
    for name, info in stats["sources"].items():
        per = lengths.get(name, {})
        rows.append(
            [
                name,
                fmt(info.get("train")),
                fmt(info.get("validation")),
                str(info.get("validation_from", DASH)),
                _spread(per.get("source_tokens")),
                _spread(per.get("target_tokens")),
                _share(per.get("source_truncated")),
                _share(per.get("target_truncated")),
            ]
        )
    totals = stats["totals"]
    every = lengths.get("all", {})
    rows.append(
        [
            Cell("total", "strong"),
            Cell(fmt(totals.get("train")), "strong"),
            Cell(fmt(totals.get("validation")), "strong"),
            "",
            _spread(every.get("source_tokens")),
            _spread(every.get("target_tokens")),
            _share(every.get("source_truncated")),
            _share(every.get("target_truncated")),
        ]
    )
    note = (
        f"split option {stats.get('split_option', DASH)}, seed {stats.get('seed', DASH)}, "
        f"source_max_len {stats['source_max_len']}, target_max_len {stats['target_max_len']}, "
        f"tokenizer {stats.get('tokenizer', DASH)}; truncated = share of train rows longer than the limit"
    )
    if totals.get("discarded"):
        note += f"; {totals['discarded']} rows discarded by the split"
    return Table(columns, rows, frozenset({1, 2, 4, 5, 6, 7}), note)


def _spread(summary: Mapping[str, Any] | None) -> str:
    if not summary or not summary.get("n"):
        return DASH
    return " / ".join(
        fmt(summary.get(k), 0 if isinstance(summary.get(k), float) else None) for k in ("median", "p95", "max")
    )


def _share(value: Any) -> str:
    return percent(value)


def figures(run: RunArtifacts) -> list[PlotFile]:
    """The data stage's own chart when it is there (never redrawn: the report does not tokenise); else,
    when `mix_stats.json` is, the same counts and token lengths summarised from it (median bar, p95 tick,
    min–max line) into `plots/data_mix_summary.{png,svg}`."""
    png = run.paths.plots / f"{CHART}.png"
    if png.is_file():
        svg = png.with_suffix(".svg")
        return [PlotFile(CHART, png, svg if svg.is_file() else None, CAPTION)]
    stats = mix_stats(run)
    if not stats:
        return []
    png, svg = save_plot(plot_data_mix_summary(stats, run.name), run.paths.plots / SUMMARY_CHART)
    note = f"token-length summary from mix_stats.json: plots/{CHART}.png, which the data stage draws, is missing"
    return [PlotFile(CHART, png, svg, CAPTION, note)]


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    return "\n".join([h.render_table(data_table(run)), figure_html(run, plots.get(CHART))])


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    paths = run.paths
    return [
        (run.relative(paths.mix_stats), "data-mix statistics"),
        (run.relative(paths.train_file), "training rows"),
        (run.relative(paths.validation_file), "validation rows"),
    ]


SECTION = StageSection(stage=STAGE, title="Data mix", read=mix_stats, render=render, figures=figures, files=files)
