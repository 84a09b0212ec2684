"""`stx contamination check --train FILE ... [eval sets] [--out FILE]`: n-gram overlap outside a run.

Inside a run the `contamination` stage does the same from the params (see docs/statistics.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stxlib.cli.common import fail, guarded


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("contamination", help="train ↔ eval character n-gram overlap (see docs/statistics.md)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="which evaluation documents share an n-gram with training files; writes contamination.json"
    )
    check.add_argument(
        "--train", action="append", required=True, metavar="FILE", help="JSON-lines training file (repeatable)"
    )
    check.add_argument(
        "--format",
        choices=("jsonl", "sharegpt", "messages", "dpo"),
        default="jsonl",
        help="training row format (default jsonl: the fields of --fields)",
    )
    check.add_argument(
        "--fields", default="text", help="jsonl text fields, comma separated (default text; STX data: input,output)"
    )
    check.add_argument("--jglue-dir", default=None, metavar="DIR", help="raw JGLUE layout (validation files checked)")
    check.add_argument("--llm-jp-eval-dir", default=None, metavar="DIR", help="llm-jp-eval evaluation files")
    check.add_argument(
        "--mt-bench-questions", action="append", default=[], metavar="FILE", help="FastChat question file (repeatable)"
    )
    check.add_argument("--n", type=int, default=20, help="n-gram length in characters (default 20)")
    check.add_argument("--examples", type=int, default=3, help="examples per evaluation set (default 3)")
    check.add_argument(
        "--out", default="contamination.json", metavar="FILE", help="result file (default ./contamination.json)"
    )
    check.set_defaults(handler=guarded(_check, OSError))


def _check(args: argparse.Namespace) -> int:
    import pandas as pd

    from stxlib.contamination import (
        ContaminationDataError,
        TrainingSource,
        check_overlap,
        jglue_sets,
        llm_jp_eval_sets,
        mt_bench_set,
    )
    from stxlib.io import write_json
    from stxlib.stats.tables import contamination_rows

    if not 5 <= args.n <= 200 or args.examples < 0:
        return fail("--n must lie between 5 and 200 and --examples be >= 0", 2)
    fields = tuple(f.strip() for f in args.fields.split(",") if f.strip())
    try:
        training = [TrainingSource(Path(p).name, Path(p), args.format, fields) for p in args.train]
        sets = []
        if args.jglue_dir:
            found = jglue_sets(args.jglue_dir)
            if not found:
                return fail(f"{args.jglue_dir}: no JGLUE validation files (<task>-v1.1/valid-v1.1.json)")
            sets += found
        if args.llm_jp_eval_dir:
            sets += llm_jp_eval_sets(args.llm_jp_eval_dir)
        sets += [mt_bench_set(p) for p in args.mt_bench_questions]
        if not sets:
            return fail("no evaluation sets: give --jglue-dir, --llm-jp-eval-dir or --mt-bench-questions", 2)
        result = check_overlap(training, sets, n=args.n, examples=args.examples)
    except ContaminationDataError as err:
        return fail(str(err))
    write_json(args.out, result)
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(pd.DataFrame(contamination_rows(result)).drop(columns="example").to_string(index=False))
    print(f"{result['training']['rows']:,} training rows in {result['seconds']:.1f} s; {args.out}")
    return 0
