"""`stx sweep`: one `stx run` per grid point through submitit (Slurm on a cluster, its local executor on one
machine), each into its own run folder, then the `stx compare` page over the points. Runner level: it plans
points with the runner's checks, its jobs call `run_pipeline`, and it reads the report's comparison.

`grid` (parse and expand `--grid key=v1,v2`), `plan` (the sweep folder, params files, `sweep.json`), `job`
(what a job runs; status files), `submit` (executors, point states, submission, the comparison).
"""

from stxlib.sweep.grid import Axis, Point, expand, parse_grid
from stxlib.sweep.plan import SweepPlan, plan_from_record, plan_sweep, sweep_root
from stxlib.sweep.submit import ExecutorSettings, PointState, SweepOutcome, point_states, run_sweep

__all__ = [
    "Axis",
    "ExecutorSettings",
    "Point",
    "PointState",
    "SweepOutcome",
    "SweepPlan",
    "expand",
    "parse_grid",
    "plan_from_record",
    "plan_sweep",
    "point_states",
    "run_sweep",
    "sweep_root",
]
