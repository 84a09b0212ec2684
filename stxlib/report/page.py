"""`report.html`: one self-contained page with the run's stages, key params, one section per stage of the
run (in registry order, see `stxlib.report.sections`), the environment and the files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stxlib.config import StxConfig, dump_params
from stxlib.io import atomic_write_text
from stxlib.paths import RunPaths
from stxlib.report import html as h
from stxlib.report.artifacts import Issue, RunArtifacts
from stxlib.report.figures import PlotFile
from stxlib.report.load import load_run
from stxlib.report.sections import environment, stage_sections
from stxlib.report.sections.stages import params_table, stages_table


class ReportIncompleteError(RuntimeError):
    """The run folder has corrupt artifacts, or lacks some its manifest says were written."""


@dataclass
class Report:
    """What building a report produced: the page, the plots and the run's artifact issues."""

    path: Path
    run: RunArtifacts
    plots: dict[str, PlotFile]
    current_stage: str | None = None

    @property
    def issues(self) -> list[str]:
        return [str(i) for i in self.run.issues]

    @property
    def serious_issues(self) -> list[str]:
        return [str(i) for i in self.run.serious_issues]


def run_stage(config: StxConfig, paths: RunPaths, *, current_stage: str | None = None) -> Report:
    """The report stage: rebuild the plots and `report.html` of the run folder from its files, with the
    params `config` (what notebook 04 and `stx run` do). `current_stage` names the stage whose notebook
    is building the page (its rendered notebook is linked before it exists)."""
    return build_report(paths.root, config, current_stage=current_stage)


def build_report(
    run_dir: str | Path,
    config: StxConfig | None = None,
    *,
    current_stage: str | None = None,
    allow_issues: bool = False,
) -> Report:
    """Read the run folder, rebuild its plots and write `report.html` (atomically). Runs no stage.

    Stages that have not run (or failed) are shown as such. A corrupt artifact, or one missing although
    its stage is recorded as done, raises ReportIncompleteError naming every such file before anything
    is written, unless `allow_issues` (then the page lists them at the top).
    `config` replaces the folder's params and is written to `params.yaml` when the folder has none (a
    papermill-only run), so that `stx report` and `stx compare` can read them later."""
    run = load_run(run_dir, config)
    if config is not None and not run.paths.params.exists():
        dump_params(config, run.paths.params)
    if run.serious_issues and not allow_issues:
        lines = "\n".join(f"  {issue}" for issue in run.serious_issues)
        raise ReportIncompleteError(
            f"cannot build a complete report of {run.root}:\n{lines}\n"
            "re-run the stage that writes each file (stx run PARAMS --stages STAGE --force), "
            "or build the report anyway with the problems listed (stx report --allow-missing)"
        )
    plots = build_plots(run)
    path = write_report(run, plots, current_stage=current_stage)
    return Report(path, run, plots, current_stage)


def build_plots(run: RunArtifacts) -> dict[str, PlotFile]:
    """Every plot of the run's stage sections, by name (a section with nothing to draw adds none)."""
    return {plot.name: plot for section in stage_sections(run.recipe) for plot in section.figures(run)}


def write_report(run: RunArtifacts, plots: dict[str, PlotFile], *, current_stage: str | None = None) -> Path:
    """Write `report.html` (atomically) and return its path."""
    atomic_write_text(run.paths.report, render_report(run, plots, current_stage=current_stage))
    return run.paths.report


def render_report(run: RunArtifacts, plots: dict[str, PlotFile], *, current_stage: str | None = None) -> str:
    title = run.options.title or f"STX run {run.name}"
    sections = stage_sections(run.recipe)
    rendered = [(section.title, section.render(run, plots)) for section in sections]  # may note issues (intervals)
    parts = [
        _issues(run.issues),
        "<h2>Stages</h2>",
        h.render_table(stages_table(run, current_stage)),
        h.paragraph("Each rendered notebook keeps its code; this page shows results only.", "note"),
        "<h2>Key params</h2>",
        h.render_table(params_table(run)),
    ]
    for section_title, body in rendered:
        parts += [f"<h2>{h.esc(section_title)}</h2>", body]
    parts += [
        "<h2>Environment</h2>",
        environment.render(run),
        "<h2>Params (merged)</h2>",
        environment.params_yaml(run),
        "<h2>Files</h2>",
        _files(run, [*environment.FILES, *(f for section in sections for f in section.files(run))]),
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


def _issues(issues: list[Issue]) -> str:
    serious = [str(i) for i in issues if i.serious]
    gaps = [str(i) for i in issues if not i.serious]
    return h.issues_box(serious, True, "Missing or unreadable artifacts") + h.issues_box(
        gaps, False, "Not shown (stage not run or not completed, or nothing to compare)"
    )


def _files(run: RunArtifacts, files: list[tuple[str, str]]) -> str:
    """A list of links to the files that exist."""
    items = [f"<li>{h.link(rel, rel)} — {h.esc(what)}</li>" for rel, what in files if (run.root / rel).is_file()]
    return f"<ul>{''.join(items)}</ul>" if items else h.paragraph("no artifact files yet", "note")
