"""`stx sweep PARAMS.yaml --grid key=v1,v2 [--grid ...]`: one `stx run` per grid point through submitit, then
the comparison page; `--status` lists the points and their states."""

from __future__ import annotations

import argparse
from pathlib import Path

from stxlib.cli.common import add_params_options, fail, guarded
from stxlib.config.params import load_yaml


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep",
        help="one `stx run` per grid point (submitit: local or Slurm), then the comparison page",
        description="Expand the grid, write one params file per point and submit one `stx run` per point through "
        "submitit, each into DIR/<point>/ (DIR: --run-dir, default <run.output_root>/<name>); once every point "
        "is done, write DIR/compare.html. Re-running skips finished points and resubmits failed ones.",
    )
    add_params_options(
        parser,
        params_optional="with --status",
        set_help="override a params key for every point, e.g. --set train.eval_steps=5 (repeatable)",
        run_dir_help="the sweep's folder (default: <run.output_root>/<name>)",
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a params key and its values (repeatable: the grid is every combination)",
    )
    parser.add_argument("--name", default=None, help="sweep name (default: <run.name>-sweep)")
    parser.add_argument("--stages", default=None, help="passed to each `stx run --stages`")
    parser.add_argument("--status", action="store_true", help="list the points and their states; submit nothing")
    parser.add_argument("--executor", choices=["local", "slurm"], default="local")
    parser.add_argument("--parallel", type=int, default=None, help="jobs at a time (default: local 1, slurm all)")
    parser.add_argument("--no-wait", action="store_true", help="submit and return (re-run later for the page)")
    parser.add_argument("--timeout-min", type=int, default=24 * 60, help="time limit per job in minutes")
    parser.add_argument("--slurm-partition", default=None, help="Slurm partition")
    parser.add_argument("--gpus-per-job", type=int, default=None, help="GPUs per job")
    parser.add_argument("--cpus-per-job", type=int, default=None, help="CPUs per job")
    parser.add_argument("--mem-gb", type=float, default=None, help="memory per job in GB")
    parser.add_argument(
        "--slurm-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="further submitit Slurm parameter, e.g. --slurm-arg account=proj (repeatable)",
    )
    parser.set_defaults(handler=guarded(_sweep, ValueError, OSError))


def _sweep(args: argparse.Namespace) -> int:
    from stxlib.sweep import ExecutorSettings, plan_from_record, plan_sweep, point_states, run_sweep, sweep_root

    if args.status:
        if args.run_dir:
            root = Path(args.run_dir).expanduser().resolve()
        elif args.params:
            _, root = sweep_root(args.params, args.overrides, args.run_dir, args.name)
        else:
            return fail("--status needs the sweep's params file or its folder (--run-dir DIR)", 2)
        _print_states(point_states(plan_from_record(root)))
        return 0
    if not args.params:
        return fail("give the params file to sweep, e.g. stx sweep params/smoke.yaml --grid train.max_steps=20,40", 2)
    plan = plan_sweep(
        args.params, args.grid, overrides=args.overrides, stages=args.stages, run_dir=args.run_dir, name=args.name
    )
    settings = ExecutorSettings(
        kind=args.executor,
        timeout_min=args.timeout_min,
        partition=args.slurm_partition,
        gpus_per_job=args.gpus_per_job,
        cpus_per_job=args.cpus_per_job,
        mem_gb=args.mem_gb,
        slurm_args=dict(_key_value(item) for item in args.slurm_arg),
    )
    parallel = args.parallel if args.parallel is not None else (1 if args.executor == "local" else None)
    print(f"stx sweep: {plan.name}: {len(plan.points)} point(s) -> {plan.root}")
    outcome = run_sweep(plan, settings, parallel=parallel, wait=not args.no_wait)
    _print_states(outcome.states)
    if outcome.compare is not None:
        print(f"comparison of {len(outcome.states)} runs: {outcome.compare}")
        return 0
    if args.no_wait:
        print("submitted; `stx sweep ... --status` shows progress, re-run the sweep for the comparison page")
        return 0
    failed = [s.point.name for s in outcome.states if s.state == "failed"]
    return fail(f"{len(failed)} point(s) failed: {', '.join(failed)}; re-run the sweep to resubmit them")


def _key_value(item: str) -> tuple[str, object]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError(f"--slurm-arg {item!r}: write KEY=VALUE, e.g. account=proj")
    return key.strip(), load_yaml(value)


def _print_states(states: list) -> None:
    width = max((len(s.point.name) for s in states), default=5)
    for s in states:
        job = f"job {s.job_id}" if s.job_id else "-"
        detail = f"  {s.detail}" if s.detail else ""
        print(f"{s.point.name:<{width}}  {s.state:<8} {job:<14} {' '.join(s.point.overrides)}{detail}")
