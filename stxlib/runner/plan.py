"""Which stages a run executes, and the checks they make before any of them starts.

The stages come from the registry (`stxlib.stages`) only: the params file's `run.stages`, narrowed by
`stx run --stages`. Each selected stage's package is imported here (the registry holds dotted names, so
nothing below the runner imports a stage) and its optional `check_config(config)` runs before the run
folder is touched.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from stxlib.config import ParamsError, StxConfig
from stxlib.stages import Stage, select_stages


class StagePackageError(RuntimeError):
    """A registered stage's package cannot be imported."""


def plan_stages(config: StxConfig, stages: str | None) -> list[Stage]:
    """The params file's `run.stages`, narrowed to `stages` ("a,b") when given; registry order."""
    try:
        planned = select_stages(config.run.stages)
    except ValueError as err:
        raise ParamsError(f"run.stages: {err}") from None
    if not stages:
        return planned
    try:
        chosen = select_stages(stages)
    except ValueError as err:
        raise ParamsError(f"--stages: {err}") from None
    outside = [s.name for s in chosen if s not in planned]
    if outside:
        raise ParamsError(
            f"--stages {', '.join(outside)}: not in this params file's run.stages "
            f"({', '.join(config.run.stages)}); add it there or pick from those"
        )
    return chosen


def stage_package(stage: Stage) -> ModuleType:
    """The stage's library package (`Stage.package`), imported. (`tests/test_stages.py` holds every registered
    package to the `run_stage(config, paths)` contract; the runner itself executes the stage's notebook.)"""
    try:
        return importlib.import_module(stage.package)
    except ImportError as err:
        raise StagePackageError(
            f"stage {stage.name!r}: cannot import its package {stage.package} ({type(err).__name__}: {err}); "
            "check the installation (pip install -e .) or the registry entry in stxlib/stages.py"
        ) from err


def check_stage_configs(config: StxConfig, stages: Iterable[Stage]) -> None:
    """Run each stage's optional `check_config(config)`; the first problem raises (a `ParamsError` names the key)."""
    for stage in stages:
        check = getattr(stage_package(stage), "check_config", None)
        if check is not None:
            check(config)
