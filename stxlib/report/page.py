"""`report.html`: one self-contained page with a run's headline tables, plots, stage links and environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stxlib.io import atomic_write_text
from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts, load_run
from stxlib.report.figures import PlotFile, ReportOptions, build_plots
from stxlib.report.tables import (
    data_table,
    environment_table,
    jglue_conditions_table,
    jglue_detail_table,
    jglue_table,
    packages_table,
    params_table,
    stages_table,
    train_details_table,
    train_table,
)

# Artifacts the page links to when present (relative to the run folder).
ARTIFACT_LINKS = [
    ("params.yaml", "merged params of the run"),
    ("manifest.json", "params, code version, environment, stage status"),
    ("data/mix_stats.json", "data-mix statistics"),
    ("data/train.jsonl", "training rows"),
    ("data/validation.jsonl", "validation rows"),
    ("train/log_history.json", "trainer log history"),
    ("train/train_summary.json", "training summary"),
    ("train/best_adapter/adapter_config.json", "best LoRA adapter config"),
]


class ReportIncompleteError(RuntimeError):
    """The run folder has corrupt artifacts, or lacks some its manifest says were written."""


@dataclass
class Report:
    """What building a report produced: the page, the plots and the run's artifact issues."""

    path: Path
    run: RunArtifacts
    plots: dict[str, PlotFile]

    @property
    def issues(self) -> list[str]:
        return [str(i) for i in self.run.issues]

    @property
    def serious_issues(self) -> list[str]:
        return [str(i) for i in self.run.serious_issues]


def build_report(
    run_dir: str | Path,
    params: dict[str, Any] | None = None,
    *,
    current_stage: str | None = None,
    allow_issues: bool = False,
) -> Report:
    """Read the run folder, rebuild its plots and write `report.html` (atomically). Runs no stage.

    Stages that have not run (or failed) are shown as such. A corrupt artifact, or one missing although
    its stage is recorded as done, raises ReportIncompleteError naming every such file before anything
    is written, unless `allow_issues` (then the page lists them at the top).
    `params` replaces the folder's params (the notebook passes its merged config) and is written to
    `params.yaml` when the folder has none (a papermill-only run); `current_stage`
    names the stage building the page, whose rendered notebook appears only after the page is written."""
    run = load_run(run_dir, params)
    if params is not None and not run.paths.params.exists():
        # A run made with papermill alone has no params.yaml (stx run writes it): keep the notebook's
        # merged params there, so that `stx report` and `stx compare` can read them later.
        atomic_write_text(run.paths.params, yaml.safe_dump(params, allow_unicode=True, sort_keys=False))
    if run.serious_issues and not allow_issues:
        lines = "\n".join(f"  {issue}" for issue in run.serious_issues)
        raise ReportIncompleteError(
            f"cannot build a complete report of {run.root}:\n{lines}\n"
            "re-run the stage that writes each file (stx run PARAMS --stages STAGE --force), "
            "or build the report anyway with the problems listed (stx report --allow-missing)"
        )
    options = ReportOptions.from_run(run)
    plots = build_plots(run, options)
    path = write_report(run, plots, options, current_stage=current_stage)
    return Report(path, run, plots)


def write_report(
    run: RunArtifacts,
    plots: dict[str, PlotFile],
    options: ReportOptions | None = None,
    *,
    current_stage: str | None = None,
    out: Path | None = None,
) -> Path:
    options = options or ReportOptions.from_run(run)
    out = out or run.paths.report
    atomic_write_text(out, render_report(run, plots, options, current_stage=current_stage))
    return out


def render_report(
    run: RunArtifacts, plots: dict[str, PlotFile], options: ReportOptions, *, current_stage: str | None = None
) -> str:
    title = options.title or f"STX run {run.name}"
    parts = [
        _issues(run),
        "<h2>Stages</h2>",
        h.render_table(stages_table(run, current_stage)),
        h.paragraph("Each rendered notebook keeps its code; this page shows results only.", "note"),
        '<h2>Headline</h2>\n<div class="grid"><div><h3>Params</h3>',
        h.render_table(params_table(run)),
        "</div><div><h3>Training</h3>",
        h.render_table(train_table(run)),
        "</div></div>",
        "<h2>Loss curves</h2>",
        _figure(run, plots.get("loss_curves")),
        _details("All training summary fields", h.render_table(train_details_table(run))),
        "<h2>JGLUE</h2>",
        _jglue(run, plots, options),
        "<h2>Data mix</h2>",
        h.render_table(data_table(run)),
        _figure(run, plots.get("data_mix")),
        "<h2>Environment</h2>",
        '<div class="grid"><div>',
        h.render_table(environment_table(run)),
        "</div><div>",
        h.render_table(packages_table(run)),
        "</div></div>",
        "<h2>Params (merged)</h2>",
        _params_yaml(run),
        "<h2>Files</h2>",
        _files(run),
    ]
    return h.page(title, _subtitle(run), "\n".join(p for p in parts if p))


def _subtitle(run: RunArtifacts) -> str:
    manifest = run.manifest or {}
    bits = [f"run folder {run.root.name}"]
    if manifest.get("updated"):
        bits.append(f"updated {manifest['updated']}")
    git = manifest.get("git") if isinstance(manifest.get("git"), dict) else {}
    if isinstance(git.get("commit"), str):
        bits.append(f"commit {git['commit'][:12]}" + (" (dirty)" if git.get("dirty") else ""))
    if manifest.get("stx_version"):
        bits.append(f"stx {manifest['stx_version']}")
    return " · ".join(bits)


def _issues(run: RunArtifacts) -> str:
    serious = [str(i) for i in run.issues if i.serious]
    gaps = [str(i) for i in run.issues if not i.serious]
    return h.issues_box(serious, True, "Missing or unreadable artifacts") + h.issues_box(
        gaps, False, "Not produced yet (stage not run or not completed)"
    )


def _figure(run: RunArtifacts, plot: PlotFile | None) -> str:
    if plot is None:
        return h.paragraph("no plot: its input is not available", "note")
    links = [(f.suffix[1:].upper(), _rel(run, f)) for f in (plot.png, plot.svg) if f is not None]
    caption = plot.caption + (f" ({plot.note})" if plot.note else "")
    return h.figure(plot.png, caption, f"{plot.name} of run {run.name}", links)


def _jglue(run: RunArtifacts, plots: dict[str, PlotFile], options: ReportOptions) -> str:
    if not run.eval_results:
        return h.paragraph("no models configured for evaluation", "note")
    table = jglue_table(run, show_card=options.show_card_results, baseline=options.baseline)
    detail = jglue_detail_table(run)
    return "\n".join(
        [
            h.render_table(table),
            _figure(run, plots.get("jglue_comparison")),
            "<h3>How each model was evaluated</h3>",
            h.render_table(jglue_conditions_table(run)),
            _details("All metrics", h.render_table(detail)),
        ]
    )


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{h.esc(summary)}</summary>\n{body}\n</details>"


def _params_yaml(run: RunArtifacts) -> str:
    if not run.params:
        return h.paragraph("params not available", "note")
    text = yaml.safe_dump(run.params, allow_unicode=True, sort_keys=False)
    return f'<details><summary>Show all params</summary><pre class="params">{h.esc(text)}</pre></details>'


def _files(run: RunArtifacts) -> str:
    items = []
    for relative, what in ARTIFACT_LINKS:
        if (run.root / relative).is_file():
            items.append(f"<li>{h.link(relative, relative)} — {h.esc(what)}</li>")
    for label in run.eval_labels:
        relative = f"eval/{label}/results.json"
        if (run.root / relative).is_file():
            items.append(f"<li>{h.link(relative, relative)} — JGLUE results of {h.esc(label)}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else h.paragraph("no artifact files yet", "note")


def _rel(run: RunArtifacts, path: Path) -> str:
    return path.relative_to(run.root).as_posix()
