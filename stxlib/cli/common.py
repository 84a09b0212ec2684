"""Shared CLI plumbing: params options and turning known errors into one-line messages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from stxlib.config import ParamsError, StxConfig, load_params


def add_params_options(
    parser: argparse.ArgumentParser,
    *,
    params_optional: str | None = None,
    set_help: str = "override a params key, e.g. --set train.max_steps=20 (repeatable)",
    run_dir_help: str = "run folder (default: <run.output_root>/<run.name>)",
) -> None:
    """PARAMS, `--set KEY=VALUE` (repeatable) and `--run-dir`; `params_optional` says when PARAMS may be left out."""
    params_help = "params YAML file (e.g. params/smoke.yaml)"
    if params_optional:
        parser.add_argument("params", nargs="?", help=f"{params_help}; optional {params_optional}")
    else:
        parser.add_argument("params", help=params_help)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=set_help)
    parser.add_argument("--run-dir", default=None, help=run_dir_help)


def config_from_args(args: argparse.Namespace, stage: str | None = None) -> StxConfig:
    """The validated params of `args`; with `stage` (a registry name) also that stage's `check_config`."""
    config = load_params(args.params, args.overrides)
    if stage is not None:
        from stxlib.runner.plan import check_stage_configs
        from stxlib.stages import get_stage

        check_stage_configs(config, [get_stage(stage)])
    return config


# Exit codes: 0 done; 1 the work failed (a stage, broken data, a model or data path that cannot be loaded, the
# hub offline); 2 a usage error, as argparse's own: a bad option, subcommand, params file, key or value, or a
# run folder named on the command line that is missing.
USAGE = 2


def check_run_dirs(paths: list[str]) -> str | None:
    """The usage error for run folders named on the command line that are missing or not folders."""
    from pathlib import Path

    for path in paths:
        found = Path(path).expanduser()
        if not found.is_dir():
            problem = "is a file, not a run folder" if found.exists() else "does not exist"
            return f"run folder {found} {problem} (pass a folder written by `stx run`, e.g. results/smoke)"
    return None


def fail(message: str, code: int = 1) -> int:
    print(f"stx: error: {message}", file=sys.stderr)
    return code


def guarded(func: Callable[[argparse.Namespace], int], *known: type[Exception]) -> Callable[[argparse.Namespace], int]:
    """Run a handler; params errors exit 2, the listed error types exit 1, both with a clear message."""

    def handler(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ParamsError as err:
            return fail(str(err), USAGE)
        except known as err:  # type: ignore[misc]
            return fail(str(err), 1)

    return handler
