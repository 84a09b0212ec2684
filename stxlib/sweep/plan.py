"""A sweep's plan: the base params, the grid's points, and where everything goes.

```
<root>/                      results/<sweep-name>/ (or --run-dir)
  sweep.json                 the sweep: base params, --set, stages, executor, points (overrides, job ids)
  params/<point>.yaml        each point's merged params (what its `stx run` reads)
  status/<point>.json        each point's state, written by its job (running, done, failed)
  <point>/                   each point's run folder
  compare.html               `stx compare` over the finished points
  .submitit/                 submitit's job files and logs
```
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.config import ParamsError, dump_params, load_params
from stxlib.io import read_json, write_json
from stxlib.runner.plan import check_stage_configs, plan_stages
from stxlib.sweep.grid import Point, expand, parse_grid

SWEEP_FILE = "sweep.json"
COMPARE_FILE = "compare.html"


@dataclass
class SweepPlan:
    name: str
    root: Path
    params_file: Path  # the base params
    overrides: tuple[str, ...] = ()  # --set for every point
    stages: str | None = None  # `stx run --stages`
    points: list[Point] = field(default_factory=list)
    grid: tuple[str, ...] = ()

    def params_path(self, point: Point) -> Path:
        return self.root / "params" / f"{point.name}.yaml"

    def run_dir(self, point: Point) -> Path:
        return self.root / point.name

    def status_path(self, point: Point) -> Path:
        return self.root / "status" / f"{point.name}.json"

    @property
    def submitit_dir(self) -> Path:
        return self.root / ".submitit"

    @property
    def record_path(self) -> Path:
        return self.root / SWEEP_FILE

    @property
    def compare_path(self) -> Path:
        return self.root / COMPARE_FILE

    def point_overrides(self, point: Point) -> list[str]:
        return [*self.overrides, *point.overrides, f"run.name={point.name}"]


def sweep_root(
    params_file: str | Path, overrides: Sequence[str], run_dir: str | None, name: str | None
) -> tuple[str, Path]:
    """The sweep's name (default `<run.name>-sweep`) and folder (default `<run.output_root>/<name>`)."""
    config = load_params(params_file, list(overrides))
    name = name or f"{config.run.name}-sweep"
    if "/" in name or name in {"", ".", ".."}:
        raise ParamsError(f"--name {name!r}: use a plain folder name")
    root = Path(run_dir).expanduser().resolve() if run_dir else Path(config.run.output_root) / name
    return name, root


def plan_sweep(
    params_file: str | Path,
    grid: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    stages: str | None = None,
    run_dir: str | None = None,
    name: str | None = None,
) -> SweepPlan:
    """Expand the grid and check every point's params (and its stages' own checks) before anything runs."""
    name, root = sweep_root(params_file, overrides, run_dir, name)
    plan = SweepPlan(name, root, Path(params_file).resolve(), tuple(overrides), stages, expand(parse_grid(grid)))
    plan.grid = tuple(grid)
    for point in plan.points:
        try:
            config = load_params(plan.params_file, plan.point_overrides(point))
        except ParamsError as err:
            raise ParamsError(f"sweep point {point.name}: {err}") from None
        check_stage_configs(config, plan_stages(config, stages))
    return plan


def write_point_params(plan: SweepPlan) -> None:
    """One merged params file per point (rewritten each time, so that a changed base params file shows)."""
    for point in plan.points:
        dump_params(load_params(plan.params_file, plan.point_overrides(point)), plan.params_path(point))


def read_record(root: Path) -> dict[str, Any]:
    path = root / SWEEP_FILE
    return read_json(path) if path.is_file() else {}


def write_record(plan: SweepPlan, executor: str, jobs: dict[str, str | None]) -> None:
    """`sweep.json`: what the sweep is, and the last job id submitted for each point."""
    write_json(
        plan.record_path,
        {
            "name": plan.name,
            "params_file": str(plan.params_file),
            "overrides": list(plan.overrides),
            "grid": list(plan.grid),
            "stages": plan.stages,
            "executor": executor,
            "points": [
                {
                    "name": p.name,
                    "overrides": list(p.overrides),
                    "params": str(plan.params_path(p)),
                    "run_dir": str(plan.run_dir(p)),
                    "job_id": jobs.get(p.name),
                }
                for p in plan.points
            ],
        },
    )


def plan_from_record(root: Path) -> SweepPlan:
    """The plan a previous `stx sweep` wrote into `root` (for `--status`)."""
    record = read_record(root)
    if not record:
        raise ParamsError(f"no sweep in {root} ({SWEEP_FILE} missing); run `stx sweep PARAMS --grid ...` first")
    points = [Point(p["name"], tuple(p["overrides"])) for p in record["points"]]
    return SweepPlan(
        record["name"],
        root,
        Path(record["params_file"]),
        tuple(record["overrides"]),
        record["stages"],
        points,
        tuple(record.get("grid", ())),
    )
