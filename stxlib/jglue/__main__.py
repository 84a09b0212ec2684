"""`python -m stxlib.jglue PARAMS --run-dir DIR [--force]`: stage `eval` without a notebook, what each rank runs
when `eval.processes: N` starts the stage under `torchrun --nproc_per_node N -m stxlib.jglue ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stxlib.jglue", description=__doc__)
    parser.add_argument("params", help="params YAML file (resolved, as the run folder's params.yaml)")
    parser.add_argument("--run-dir", required=True, help="the run folder")
    parser.add_argument("--force", action="store_true", help="evaluate again even where results are complete")
    args = parser.parse_args(argv)

    from stxlib.config import load_params
    from stxlib.jglue.stage import run_stage
    from stxlib.paths import RunPaths

    run_stage(load_params(args.params), RunPaths(Path(args.run_dir)), force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
