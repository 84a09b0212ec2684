"""`stx mix PARAMS.yaml`: stage 1 without a notebook."""

from __future__ import annotations

import argparse

from stxlib.cli.common import add_params_options, config_from_args, guarded
from stxlib.data import DataSourceError, MixError, TemplateError, run_stage
from stxlib.paths import RunPaths


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "mix", help="sample and template the training sources into <run>/data/ (and draw plots/data_mix.png)"
    )
    add_params_options(parser)
    parser.set_defaults(handler=guarded(_mix, DataSourceError, MixError, TemplateError, OSError))


def _mix(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    result = run_stage(config, RunPaths.for_config(config, args.run_dir))
    print(result.summary())
    print(f"chart: {result.png}")
    return 0
