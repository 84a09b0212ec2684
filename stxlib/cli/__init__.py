"""The `stx` command line. Each subcommand lives in its own module with a `register(subparsers)`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from stxlib import __version__
from stxlib.cli import (
    contamination_cmd,
    data_cmd,
    eval_cmd,
    llm_jp_eval_cmd,
    mt_bench_cmd,
    preferences_cmd,
    publish_cmd,
    report_cmd,
    run_cmd,
    sweep_cmd,
    tiny_cmd,
    tokenizer_cmd,
    train_cmd,
)
from stxlib.hardware import is_main_process

# Subcommand modules, in the order `stx --help` lists them: run, then the stages in registry order.
COMMANDS = [
    run_cmd,
    data_cmd,
    train_cmd,
    tiny_cmd,
    eval_cmd,
    tokenizer_cmd,
    llm_jp_eval_cmd,
    mt_bench_cmd,
    preferences_cmd,
    contamination_cmd,
    report_cmd,
    publish_cmd,
    sweep_cmd,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stx",
        description=(
            "Reproduce the STX and Shisa-7B recipes (training, JGLUE, llm-jp-eval, MT-Bench, preferences) as "
            "parameterised notebooks."
        ),
    )
    parser.add_argument("--version", action="version", version=f"stx {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Idle OpenMP threads sleep instead of spinning (set before any handler loads torch; an exported value
    # wins): as fast on a quiet machine, 1.5x faster when another process takes a core (bench/RESULTS.md).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not is_main_process():  # under torchrun only rank 0 prints results (errors still reach stderr)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of this process
    return int(args.handler(args) or 0)
