"""`load_run`: read a run folder for the report: manifest, params (validated once), stage status, then
each stage section's files (`stxlib.report.sections`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stxlib.config import ParamsError, StxConfig
from stxlib.config.params import validate_params
from stxlib.paths import RunPaths
from stxlib.report.artifacts import RunArtifacts, RunFolderError, StageInfo
from stxlib.report.sections import stage_sections
from stxlib.stages import STAGES


def load_run(run_dir: str | Path, config: StxConfig | None = None) -> RunArtifacts:
    """Read the run folder `run_dir`. `config` (e.g. the notebook's) replaces the folder's `params.yaml` /
    the manifest's copy. Raises RunFolderError only when the folder is missing or holds no stx artifact."""
    root = Path(run_dir).expanduser().resolve()
    if not root.is_dir():
        raise RunFolderError(f"run folder not found: {root} (pass a folder written by `stx run`, e.g. results/smoke)")
    paths = RunPaths(root)
    markers = [paths.manifest, paths.params, *(p for stage in STAGES for p in stage.workdirs(paths))]
    if config is None and not any(p.exists() for p in markers):
        raise RunFolderError(
            f"{root} is not a stx run folder: it has none of manifest.json, params.yaml or a stage's folder "
            "(run `stx run PARAMS.yaml` first, or pass the folder it printed)"
        )
    run = RunArtifacts(root=root)
    run.manifest = run.read_json(
        paths.manifest, dict, stage=None, absent="missing: not made by `stx run` (no stage status or environment)"
    )
    if config is not None:
        run.config, run.params = config, config.to_dict()
    else:
        run.params = _load_params(run, paths)
        run.config = _validate(run, paths, run.params)
    run.stages = _stages(run, paths)
    for section in stage_sections(run.recipe):
        section.read(run)
    return run


def _load_params(run: RunArtifacts, paths: RunPaths) -> dict[str, Any] | None:
    if paths.params.is_file():
        loaded = run.read_yaml(paths.params)
        if loaded is not None:
            return loaded
    from_manifest = (run.manifest or {}).get("params")
    if isinstance(from_manifest, dict):
        return from_manifest
    if not paths.params.exists():
        run.note(paths.params, "missing (and manifest.json holds no params): the params tables are empty", False)
    return None


def _validate(run: RunArtifacts, paths: RunPaths, params: dict[str, Any] | None) -> StxConfig | None:
    """The params as typed config (the one validation the report does), or None with a serious Issue."""
    if params is None:
        return None
    origin = "params.yaml" if paths.params.is_file() else "the params in manifest.json"
    try:
        return validate_params(params, origin)
    except ParamsError as err:
        lines = [line.strip() for line in str(err).splitlines()]
        run.note(paths.params, f"{'; '.join(lines)} (a params file from another stx version?)", True)
        return None


def _stages(run: RunArtifacts, paths: RunPaths) -> list[StageInfo]:
    """The run's stages (its recipe, and any other the manifest recorded) in registry order."""
    recorded = (run.manifest or {}).get("stages")
    recorded = recorded if isinstance(recorded, dict) else {}
    stages = []
    for stage in STAGES:
        entry = recorded.get(stage.name)
        if stage.name not in run.recipe and not isinstance(entry, dict):
            continue
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
