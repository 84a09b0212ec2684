"""Reading a run folder's artifacts for the report: every file is optional, every defect is named.

A stage that did not run leaves its files missing (noted, not an error); a file that is missing
although its stage says `done`, or that cannot be parsed, is a serious issue. Nothing here raises
for a damaged artifact: the report shows what is there and lists what is not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stxlib.paths import RunPaths
from stxlib.plots.loss_curves import parse_log_history
from stxlib.stages import STAGES


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
    """Everything the report reads from one run folder; `None` where an artifact is absent or broken."""

    root: Path
    params: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    mix_stats: dict[str, Any] | None = None
    log_history: list[dict[str, Any]] | None = None
    train_summary: dict[str, Any] | None = None
    eval_results: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    stages: list[StageInfo] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def paths(self) -> RunPaths:
        return RunPaths(self.root)

    @property
    def name(self) -> str:
        """The run name from the params, else the folder name."""
        value = self.param("run.name")
        return value if isinstance(value, str) and value else self.root.name

    @property
    def serious_issues(self) -> list[Issue]:
        return [i for i in self.issues if i.serious]

    def param(self, dotted: str, default: Any = None) -> Any:
        """A params value by dotted key (`train.max_steps`), `default` when absent."""
        node: Any = self.params
        for part in dotted.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return default
        return node

    def stage(self, name: str) -> StageInfo | None:
        return next((s for s in self.stages if s.name == name), None)

    @property
    def eval_labels(self) -> list[str]:
        return list(self.eval_results)

    @property
    def evaluated(self) -> dict[str, dict[str, Any]]:
        """label -> the `results` mapping of each readable results.json."""
        return {label: data["results"] for label, data in self.eval_results.items() if data is not None}


def load_run(run_dir: str | Path, params: dict[str, Any] | None = None) -> RunArtifacts:
    """Read the run folder `run_dir`. `params` (e.g. the notebook's merged config) replaces the
    folder's `params.yaml` / the manifest's copy. Raises RunFolderError only when the folder is
    missing or holds no stx artifact at all."""
    root = Path(run_dir).expanduser().resolve()
    if not root.is_dir():
        raise RunFolderError(f"run folder not found: {root} (pass a folder written by `stx run`, e.g. results/smoke)")
    paths = RunPaths(root)
    run = RunArtifacts(root=root)
    reader = _Reader(root, run.issues)
    markers = [paths.manifest, paths.params, paths.data_dir, paths.train_dir, paths.eval_root]
    if params is None and not any(p.exists() for p in markers):
        raise RunFolderError(
            f"{root} is not a stx run folder: it has none of manifest.json, params.yaml, data/, train/, eval/ "
            "(run `stx run PARAMS.yaml` first, or pass the folder it printed)"
        )
    run.manifest = reader.json(
        paths.manifest, dict, expected=False, absent="missing: not made by `stx run` (no stage status or environment)"
    )
    run.params = params if params is not None else _load_params(reader, paths, run.manifest)
    run.stages = _stages(run.manifest, paths)
    done = {s.name for s in run.stages if s.status == "done"}
    run.mix_stats = reader.json(paths.mix_stats, dict, expected="data" in done, check=_check_mix_stats)
    run.log_history = reader.json(paths.log_history, list, expected="train" in done, check=parse_log_history)
    run.train_summary = reader.json(paths.train_summary, dict, expected="train" in done)
    for label in _eval_labels(run, paths):
        run.eval_results[label] = reader.json(
            paths.eval_dir(label) / "results.json", dict, expected="eval" in done, check=_check_results
        )
    return run


def _load_params(reader: _Reader, paths: RunPaths, manifest: dict[str, Any] | None) -> dict[str, Any] | None:
    if paths.params.is_file():
        loaded = reader.yaml(paths.params)
        if loaded is not None:
            return loaded
    from_manifest = (manifest or {}).get("params")
    if isinstance(from_manifest, dict):
        return from_manifest
    if not paths.params.exists():
        reader.note(paths.params, "missing (and manifest.json holds no params): the params tables are empty", False)
    return None


def _stages(manifest: dict[str, Any] | None, paths: RunPaths) -> list[StageInfo]:
    recorded = (manifest or {}).get("stages")
    recorded = recorded if isinstance(recorded, dict) else {}
    stages = []
    for stage in STAGES:
        entry = recorded.get(stage.name)
        html = paths.root / f"{stage.notebook}.html"
        ipynb = paths.root / f"{stage.notebook}.ipynb"
        found = {"html": html.name if html.is_file() else None, "ipynb": ipynb.name if ipynb.is_file() else None}
        if isinstance(entry, dict):
            seconds = entry.get("seconds")
            stages.append(
                StageInfo(
                    name=stage.name,
                    notebook=stage.notebook,
                    status=str(entry.get("status") or "unknown"),
                    seconds=float(seconds) if isinstance(seconds, int | float) else None,
                    started=_text(entry.get("started")),
                    ended=_text(entry.get("ended")),
                    error=_text(entry.get("error")),
                    **found,
                )
            )
        else:
            status = "not recorded" if found["ipynb"] else "not run"
            stages.append(StageInfo(name=stage.name, notebook=stage.notebook, status=status, **found))
    return stages


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _eval_labels(run: RunArtifacts, paths: RunPaths) -> list[str]:
    labels: list[str] = []
    models = run.param("eval.models", [])
    for model in models if isinstance(models, list) else []:
        if isinstance(model, dict) and isinstance(model.get("label"), str):
            labels.append(model["label"])
    if paths.eval_root.is_dir():
        for folder in sorted(paths.eval_root.iterdir()):
            if (folder / "results.json").is_file() and folder.name not in labels:
                labels.append(folder.name)
    return labels


def _check_mix_stats(stats: dict[str, Any]) -> None:
    for key, kind in (("sources", dict), ("totals", dict), ("source_max_len", int), ("target_max_len", int)):
        if not isinstance(stats.get(key), kind):
            raise ValueError(f"key {key!r} is missing or not a {kind.__name__}")


def _check_results(data: dict[str, Any]) -> None:
    results = data.get("results")
    if not isinstance(results, dict):
        raise ValueError("key 'results' is missing or not an object of task -> metrics")
    for task, metrics in results.items():
        if not isinstance(metrics, dict):
            raise ValueError(f"results[{task!r}] is not an object of metric -> value")


class _Reader:
    """Reads files relative to a run folder, recording an Issue instead of raising."""

    def __init__(self, root: Path, issues: list[Issue]) -> None:
        self.root = root
        self.issues = issues

    def note(self, path: Path, message: str, serious: bool) -> None:
        self.issues.append(Issue(str(path.relative_to(self.root)), message, serious))

    def json(
        self,
        path: Path,
        kind: type,
        *,
        expected: bool,
        check: Callable[[Any], object] | None = None,
        absent: str = "missing (its stage has not completed)",
    ) -> Any:
        """The parsed JSON file of type `kind` (validated by `check`), or None with an Issue recorded."""
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
            self.note(path, f"corrupt: expected a JSON {_json_kind(kind)}, found: {_json_kind(type(data))}", True)
            return None
        if check is not None:
            try:
                check(data)
            except (ValueError, TypeError, KeyError) as err:
                self.note(path, f"corrupt: {err}", True)
                return None
        return data

    def yaml(self, path: Path) -> dict[str, Any] | None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as err:
            self.note(path, f"corrupt: not valid YAML ({str(err).splitlines()[0]})", True)
            return None
        if not isinstance(data, dict):
            self.note(path, f"corrupt: expected a mapping of params sections, found: {_json_kind(type(data))}", True)
            return None
        return data


def _json_kind(kind: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        kind, "null" if kind is type(None) else kind.__name__
    )
