"""Run several `stx` command lines in one process, one after the other (argv split at `--next`), so that one
`torchrun` launch checks several subcommands: `torchrun --nproc_per_node 2 tests/torchrun_cli.py eval ...
--next llm-jp-eval run ...`. Exits with the first non-zero status."""

from __future__ import annotations

import sys

from stxlib.cli import main


def commands(argv: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for arg in argv:
        if arg == "--next":
            groups.append([])
        else:
            groups[-1].append(arg)
    return [g for g in groups if g]


if __name__ == "__main__":
    for command in commands(sys.argv[1:]):
        status = main(command)
        if status:
            sys.exit(status)
