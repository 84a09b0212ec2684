"""`stx report RUN_DIR` and `stx compare RUN_DIR [RUN_DIR ...]`: pages rebuilt from saved artifacts.

The report library (matplotlib) is imported inside the handlers, so `stx --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from stxlib.cli.common import USAGE, check_run_dirs, fail, guarded

COMPARE_NAME = "compare.html"


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="rebuild plots/ and report.html of a run folder from its saved artifacts (runs no stage)",
    )
    report.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by `stx run`, e.g. results/smoke")
    report.add_argument(
        "--allow-missing",
        action="store_true",
        help="write the report even when artifacts are corrupt or missing although their stage is done "
        "(the page lists them at the top)",
    )
    report.set_defaults(handler=guarded(_report, OSError))

    compare = sub.add_parser(
        "compare",
        help="one page comparing runs: overlaid loss curves, JGLUE per run, the params that differ",
    )
    compare.add_argument("run_dirs", metavar="RUN_DIR", nargs="+", help="run folders to compare")
    compare.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help=f"where to write the page (default: {COMPARE_NAME} in the folder holding the first run, "
        f"e.g. results/{COMPARE_NAME})",
    )
    compare.set_defaults(handler=guarded(_compare, OSError))


def _report(args: argparse.Namespace) -> int:
    from stxlib.report import ReportIncompleteError, RunFolderError, build_report

    if problem := check_run_dirs([args.run_dir]):
        return fail(problem, USAGE)
    try:
        report = build_report(args.run_dir, allow_issues=args.allow_missing)
    except (RunFolderError, ReportIncompleteError) as err:
        return fail(str(err))
    for issue in report.run.issues:
        print(f"stx: {'warning' if issue.serious else 'note'}: {issue}", file=sys.stderr)
    print(f"plots: {report.run.paths.plots}")
    print(f"report: {report.path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from stxlib.report import RunFolderError
    from stxlib.report.compare import build_comparison

    if problem := check_run_dirs(args.run_dirs):
        return fail(problem, USAGE)
    try:
        comparison = build_comparison(args.run_dirs, args.out)
    except RunFolderError as err:
        return fail(str(err))
    for label, run in zip(comparison.labels, comparison.runs, strict=True):
        for issue in run.serious_issues:
            print(f"stx: warning: {label}: {issue}", file=sys.stderr)
    print(f"comparison of {len(comparison.runs)} runs: {comparison.path}")
    return 0
