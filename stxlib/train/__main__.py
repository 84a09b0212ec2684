"""`python -m stxlib.train PARAMS [--set k=v ...] [--run-dir DIR]`: the training entrypoint that
`torchrun --nproc_per_node N -m stxlib.train ...` starts once per process (`stx train --nproc-per-node N`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stxlib.train", description=__doc__)
    parser.add_argument("params", help="params YAML file (e.g. params/smoke.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--run-dir", default=None, help="run folder (default: <run.output_root>/<run.name>)")
    args = parser.parse_args(argv)

    from stxlib.config import ParamsError, load_params
    from stxlib.modeling import ModelLoadError
    from stxlib.paths import RunPaths
    from stxlib.training.errors import TrainingDivergedError, TrainSetupError

    try:
        config = load_params(args.params, args.overrides)
        from stxlib.train.stage import check_config, run_training

        check_config(config)
    except ParamsError as err:
        print(f"stx: error: {err}", file=sys.stderr)
        return 2
    try:
        run_training(config, RunPaths.for_config(config, args.run_dir))
    except (TrainSetupError, TrainingDivergedError, ModelLoadError) as err:
        print(f"stx: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
