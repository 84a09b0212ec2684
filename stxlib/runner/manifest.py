"""`manifest.json`: merged params, code version, environment and per-stage status of a run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import stxlib
from stxlib.io import read_json, write_json
from stxlib.paths import repo_root
from stxlib.runner.environment import git_info, hardware_info, package_versions


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class Manifest:
    """Read-modify-write of the run manifest; every save is atomic."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = read_json(path) if path.is_file() else {"created": now(), "stages": {}}
        self.data.setdefault("stages", {})

    def start_run(self, params: dict[str, Any], params_file: str | None, overrides: list[str]) -> None:
        self.data.update(
            {
                "stx_version": stxlib.__version__,
                "params_file": params_file,
                "overrides": overrides,
                "params": params,
                "git": git_info(repo_root()),
                "packages": package_versions(),
                "hardware": hardware_info(),
                "updated": now(),
            }
        )
        self.save()

    def stage(self, name: str) -> dict[str, Any]:
        return self.data["stages"].get(name, {})

    def set_stage(self, name: str, **fields: Any) -> None:
        entry = self.data["stages"].setdefault(name, {})
        entry.update(fields)
        self.data["updated"] = now()
        self.save()

    def save(self) -> None:
        write_json(self.path, self.data)
