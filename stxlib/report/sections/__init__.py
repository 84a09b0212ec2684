"""One report section per stage: how the page shows that stage's files.

A section module is named after its stage in `stxlib.stages` and defines `SECTION = StageSection(...)`:

- `read(run)`: read the stage's files once with `run.read_json(path, kind, stage=..., check=...)`, which
  caches each file in `run.files` and records a missing or damaged one as an Issue; `load_run` calls it for
  every stage of the run, before anything is written;
- `render(run, plots)`: the section's HTML (tables from `stxlib.report.cells`, figures via
  `stxlib.report.figures.figure_html`), under the heading `title`;
- `figures(run)` (optional): draw the section's plots into `plots/` and return them as `PlotFile`s;
- `files(run)` (optional): `(path relative to the run folder, what it is)` for the page's list of files.

The page shows the sections of the run's stages (`run.stages`) in registry order. Adding a stage's section
is a new module here plus its name in `SECTION_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stxlib.report.artifacts import RunArtifacts
    from stxlib.report.figures import PlotFile

#: Stages with a report section, one module each (`stxlib/report/sections/<stage>.py`).
SECTION_MODULES = (
    "data",
    "train",
    "eval",
    "pretrain",
    "sft",
    "dpo",
    "tokenizer",
    "llm_jp_eval",
    "mt_bench",
    "preferences",
    "contamination",
)


def _no_figures(run: RunArtifacts) -> list[PlotFile]:
    return []


def _no_files(run: RunArtifacts) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class StageSection:
    """How the report reads and shows one stage (see the module docstring)."""

    stage: str
    title: str
    read: Callable[[RunArtifacts], object]
    render: Callable[[RunArtifacts, Mapping[str, PlotFile]], str]
    figures: Callable[[RunArtifacts], list[PlotFile]] = _no_figures
    files: Callable[[RunArtifacts], list[tuple[str, str]]] = _no_files


def stage_sections(stages: Iterable[str]) -> list[StageSection]:
    """The sections of `stages` (registry names, in the order given) that have one."""
    sections = []
    for name in stages:
        if name in SECTION_MODULES:
            section = importlib.import_module(f"{__name__}.{name}").SECTION
            assert section.stage == name, f"{__name__}.{name} holds the section of {section.stage!r}"
            sections.append(section)
    return sections
