"""A run folder as the report sees it: its params (validated once), manifest, stages, and every artifact
file read at most once, each missing or damaged file recorded as an `Issue`.

A stage that did not run leaves its files missing (noted, not an error); a file that is missing although
its stage says `done`, or that cannot be parsed, is a serious issue. Nothing here raises for a damaged
artifact: the report shows what is there and lists what is not. A stage's section reads its files with
`RunArtifacts.read_json` (see `stxlib.report.sections`), so a new stage needs no change here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stxlib.config import ReportSection, StxConfig
from stxlib.config.params import load_yaml
from stxlib.paths import RunPaths
from stxlib.stages import STAGE_NAMES


class RunFolderError(ValueError):
    """The folder does not exist or holds nothing a stx run writes."""


@dataclass(frozen=True)
class Issue:
    """A missing or unreadable artifact. `serious`: corrupt, or missing although its stage is done."""

    path: str
    message: str
    serious: bool

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class StageInfo:
    """One stage as the manifest recorded it (or as inferred from the files when it did not)."""

    name: str
    notebook: str
    status: str
    seconds: float | None = None
    started: str | None = None
    ended: str | None = None
    error: str | None = None
    html: str | None = None
    ipynb: str | None = None


@dataclass
class RunArtifacts:
    """Everything the report reads from one run folder.

    `config` is the run's params validated with `stxlib.config` (None when absent or invalid, with an
    Issue); `params` is the same as a plain mapping, for the merged-params listing and the params diff of
    `stx compare`. `files` holds each artifact read so far by its path relative to the run folder (None
    where it is absent or broken)."""

    root: Path
    config: StxConfig | None = None
    params: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    stages: list[StageInfo] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> RunPaths:
        return RunPaths(self.root)

    @property
    def name(self) -> str:
        """The run name from the params, else the folder name."""
        return self.config.run.name if self.config is not None else self.root.name

    @property
    def options(self) -> ReportSection:
        """The `report` params section (its defaults when the run has no valid params)."""
        return self.config.report if self.config is not None else ReportSection()

    @property
    def recipe(self) -> list[str]:
        """The run's stages (`run.stages`, registry names) in registry order; every stage without params."""
        wanted = set(self.config.run.stages) if self.config is not None else set(STAGE_NAMES)
        return [name for name in STAGE_NAMES if name in wanted]

    @property
    def serious_issues(self) -> list[Issue]:
        return [i for i in self.issues if i.serious]

    def stage(self, name: str) -> StageInfo | None:
        return next((s for s in self.stages if s.name == name), None)

    def stage_done(self, name: str | None) -> bool:
        info = self.stage(name) if name else None
        return info is not None and info.status == "done"

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def note(self, path: Path, message: str, serious: bool) -> None:
        self.issues.append(Issue(self.relative(path), message, serious))

    def read_json(
        self,
        path: Path,
        kind: type,
        *,
        stage: str | None,
        check: Callable[[Any], object] | None = None,
        absent: str = "missing (its stage has not completed)",
    ) -> Any:
        """The JSON file `path` (inside the run folder) if it parses to a `kind` that `check` accepts
        (check raises ValueError/TypeError/KeyError to reject it), else None with an Issue recorded: serious
        when the file is damaged, or missing although `stage` (its writer) is recorded as done.
        Each file is read once, then cached in `files`."""
        key = self.relative(path)
        if key not in self.files:
            self.files[key] = self._parse_json(path, kind, self.stage_done(stage), check, absent)
        return self.files[key]

    def _parse_json(
        self, path: Path, kind: type, expected: bool, check: Callable[[Any], object] | None, absent: str
    ) -> Any:
        if not path.is_file():
            if expected:
                self.note(path, "missing, although its stage is recorded as done", True)
            else:
                self.note(path, absent, False)
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            self.note(path, f"corrupt: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})", True)
            return None
        except (UnicodeDecodeError, OSError) as err:
            self.note(path, f"unreadable: {type(err).__name__}: {err}", True)
            return None
        if not isinstance(data, kind):
            self.note(path, f"corrupt: expected a JSON {json_kind(kind)}, found: {json_kind(type(data))}", True)
            return None
        if check is not None:
            try:
                check(data)
            except (ValueError, TypeError, KeyError) as err:
                self.note(path, f"corrupt: {err}", True)
                return None
        return data

    def read_yaml(self, path: Path) -> dict[str, Any] | None:
        """A YAML mapping (the params file), or None with a serious Issue."""
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as err:
            self.note(path, f"corrupt: not valid YAML ({str(err).splitlines()[0]})", True)
            return None
        if not isinstance(data, dict):
            self.note(path, f"corrupt: expected a mapping of params sections, found: {json_kind(type(data))}", True)
            return None
        return data


def json_kind(kind: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        kind, "null" if kind is type(None) else kind.__name__
    )
