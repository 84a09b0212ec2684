"""`python -m stxlib.train PARAMS [--set k=v ...] [--run-dir DIR]`: the training entrypoint that
`torchrun --nproc_per_node N -m stxlib.train ...` starts once per process (`stx train --nproc-per-node N`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from stxlib.cli.common import add_params_options, config_from_args, fail
    from stxlib.config import ParamsError
    from stxlib.paths import RunPaths

    parser = argparse.ArgumentParser(prog="python -m stxlib.train", description=__doc__)
    add_params_options(parser)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ParamsError as err:
        return fail(str(err), 2)
    from stxlib.modeling import ModelLoadError
    from stxlib.train import TrainingDivergedError, TrainSetupError, run_training

    try:
        run_training(config, RunPaths.for_config(config, args.run_dir))
    except (TrainSetupError, TrainingDivergedError, ModelLoadError) as err:
        return fail(str(err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
