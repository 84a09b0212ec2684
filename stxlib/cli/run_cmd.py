"""`stx run PARAMS.yaml`: the whole pipeline through papermill."""

from __future__ import annotations

import argparse

from stxlib.cli.common import add_params_options, fail, guarded
from stxlib.runner import RunInterrupted, RunLockedError, StageFailedError, StagePackageError, run_pipeline
from stxlib.stages import STAGE_NAMES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="execute the stage notebooks into a run folder and render them")
    add_params_options(parser)
    parser.add_argument(
        "--stages",
        default=None,
        help=f"comma-separated subset of the params file's run.stages (known: {','.join(STAGE_NAMES)})",
    )
    parser.add_argument("--force", action="store_true", help="re-run stages even when their outputs are complete")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="one line per stage, no progress (batch jobs); the executed notebooks keep everything",
    )
    parser.add_argument(
        "--log-output", action="store_true", help="log each cell's raw output through papermill's logger instead"
    )
    parser.set_defaults(
        handler=guarded(_run, RunLockedError, StagePackageError, ValueError, FileNotFoundError, OSError)
    )


def _run(args: argparse.Namespace) -> int:
    try:
        paths = run_pipeline(
            args.params,
            args.stages,
            args.run_dir,
            args.overrides,
            force=args.force,
            log_output=args.log_output,
            quiet=args.quiet,
            echo=lambda line: print(line, flush=True),
        )
    except StageFailedError as err:
        return fail(str(err))
    except RunInterrupted as err:  # the runner has said where it stopped and how to resume
        return err.exit_code
    print(f"run folder: {paths.root}")
    if paths.report.is_file():
        print(f"report: {paths.report}")
    return 0
