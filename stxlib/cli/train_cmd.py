"""`stx train PARAMS.yaml`: stage 2 without a notebook (one process, or several through torchrun), and
`stx merge PARAMS.yaml --out DIR`: the best adapter merged into a bf16 copy of the base."""

from __future__ import annotations

import argparse
import subprocess

from stxlib.cli.common import add_params_options, config_from_args, fail, guarded
from stxlib.paths import RunPaths


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="QLoRA-train on <run>/data/ into <run>/train/ (resumes when it can)")
    add_params_options(parser)
    parser.add_argument(
        "--nproc-per-node",
        type=int,
        default=1,
        metavar="N",
        help="data-parallel processes on this machine via torchrun (one per GPU; gloo on CPU)",
    )
    parser.set_defaults(handler=_guard(_train))

    merge = sub.add_parser("merge", help="merge the best adapter into a bf16 copy of the base model (for sharing)")
    add_params_options(merge)
    merge.add_argument("--out", required=True, help="output folder for the merged model (replaced if it exists)")
    merge.add_argument("--adapter", default=None, help="adapter folder (default: <run>/train/best_adapter)")
    merge.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32", "float16"])
    merge.set_defaults(handler=_guard(_merge))


def _guard(func):
    from stxlib.modeling import ModelLoadError

    def handler(args: argparse.Namespace) -> int:
        from stxlib.training.errors import TrainingDivergedError, TrainSetupError

        return guarded(func, TrainSetupError, TrainingDivergedError, ModelLoadError, FileNotFoundError)(args)

    return handler


def torchrun_command(args: argparse.Namespace) -> list[str]:
    """`python -m torch.distributed.run --standalone --nproc_per_node N -m stxlib.train PARAMS ...`."""
    from stxlib.distributed import torchrun_command as torchrun

    extra = [
        *(a for item in args.overrides for a in ("--set", item)),
        *(["--run-dir", args.run_dir] if args.run_dir else []),
    ]
    return torchrun(args.nproc_per_node, "stxlib.train", [args.params, *extra])


def _train(args: argparse.Namespace) -> int:
    if args.nproc_per_node < 1:
        return fail(f"--nproc-per-node must be at least 1, got {args.nproc_per_node}", 2)
    config = config_from_args(args)  # validate before starting processes
    if args.nproc_per_node > 1:
        return subprocess.call(torchrun_command(args))
    from stxlib.train import run_training

    paths = RunPaths.for_config(config, args.run_dir)
    result = run_training(config, paths)
    if result is not None:
        print(f"best adapter: {result.exported} (step {result.best.step}, eval_loss {result.best.eval_loss:.4f})")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from stxlib.train import merge_adapter

    config = config_from_args(args)
    adapter = args.adapter or RunPaths.for_config(config, args.run_dir).best_adapter
    out = merge_adapter(config.model, adapter, args.out, dtype=args.dtype)
    print(f"merged model written to {out}")
    return 0
