"""`stx eval --model PATH_OR_HUB_ID ...`: evaluate one model (optionally with a LoRA adapter) on JGLUE."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from stxlib.cli.common import guarded
from stxlib.config import ParamsError, StxConfig
from stxlib.config.evaluation import DEFAULT_PARQUET_REVISION, DEFAULT_TASKS
from stxlib.config.params import validate_params
from stxlib.hub import HubUnavailableError
from stxlib.jglue.data import JGlueDataError
from stxlib.modeling import ModelLoadError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "eval",
        help="evaluate one model on JGLUE (jp-stable prompt version 0.3)",
        description="Evaluate one model (optionally with a PEFT adapter, applied without merging) on the "
        "jp-stable JGLUE tasks; writes OUT/results.json and OUT/samples_<task>.jsonl.",
    )
    parser.add_argument("--model", required=True, help="hub id, local model folder, or stx-tiny")
    parser.add_argument("--adapter", default=None, help="PEFT adapter folder applied on top (not merged)")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS), help="comma-separated task names (or short names)")
    parser.add_argument(
        "--num-fewshot",
        default=None,
        help="few-shot count per task, in task order (default: each task's own, jp-stable's 2,3,3,3)",
    )
    parser.add_argument("--data-dir", default=None, help="raw JGLUE layout folder; default: shunk031/JGLUE on the hub")
    parser.add_argument("--limit", type=int, default=None, help="evaluate the first N documents (shuffled order)")
    parser.add_argument("--batch-size", type=int, default=None, help="documents per batch (default: eval.batch_size)")
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto")
    parser.add_argument("--out", default=None, help="output folder (default: results/eval/<model>[+<adapter>])")
    parser.add_argument(
        "--shots-from",
        choices=["train", "validation", "auto"],
        default="train",
        help="few-shot pool: train (jp-stable), validation (stand-in), auto (train where present)",
    )
    parser.add_argument("--shots-dir", default=None, help="raw-layout folder whose train files supply the shots")
    parser.add_argument("--engine", choices=["fast", "reference"], default="fast")
    parser.add_argument("--load-in-4bit", action="store_true", help="load the model in 4-bit nf4 (bitsandbytes)")
    parser.add_argument("--max-length", type=int, default=None, help="override the model's context length")
    parser.add_argument("--tokenizer", default=None, help="tokenizer to use (default: the adapter's, else the model's)")
    parser.add_argument("--hub-revision", default=DEFAULT_PARQUET_REVISION, help="revision of shunk031/JGLUE parquet")
    parser.add_argument("--label", default=None, help="name of this model in the outputs")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (no GPU only)")
    parser.add_argument("--force", action="store_true", help="re-run even when OUT/results.json is complete")
    parser.set_defaults(
        handler=guarded(_eval, ModelLoadError, JGlueDataError, HubUnavailableError, ValueError, OSError)
    )


def default_label(model: str, adapter: str | None) -> str:
    name = Path(model.rstrip("/")).name or model
    if adapter:
        name += "+" + Path(adapter.rstrip("/")).name
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", name)


def eval_config(args: argparse.Namespace, label: str) -> StxConfig:
    """The options as params: `model` is the base, `eval` the same section the pipeline's stage uses."""
    from stxlib.jglue import UnknownTaskError, parse_fewshot, resolve_tasks

    try:
        tasks = resolve_tasks(args.tasks)
    except UnknownTaskError as err:
        raise ParamsError(f"--tasks: {err}") from None
    try:
        shots = parse_fewshot(args.num_fewshot, tasks)
    except ValueError as err:
        raise ParamsError(f"--num-fewshot: {err}") from None
    entry: dict[str, object] = {"label": label, "adapter": args.adapter, "load_in_4bit": args.load_in_4bit}
    data = {
        "model": {"name_or_path": args.model, "tokenizer": args.tokenizer},
        "eval": {
            "models": [entry],
            "tasks": tasks,
            "num_fewshot": shots,
            "data_dir": _absolute(args.data_dir),
            "shots_from": args.shots_from,
            "shots_dir": _absolute(args.shots_dir),
            "hub_revision": args.hub_revision,
            "limit": args.limit,
            **({"batch_size": args.batch_size} if args.batch_size else {}),
            "dtype": args.dtype,
            "engine": args.engine,
            "max_length": args.max_length,
            "cpu_threads": args.threads,
        },
    }
    return validate_params(data, origin="stx eval options")


def _absolute(path: str | None) -> str | None:
    return str(Path(path).expanduser().resolve()) if path else None


def _eval(args: argparse.Namespace) -> int:
    from stxlib.jglue import check_config, evaluate, model_specs, use_cpu_threads
    from stxlib.jglue.compare import results_frame

    label = args.label or default_label(args.model, args.adapter)
    config = eval_config(args, label)
    check_config(config)
    (spec,) = model_specs(config, run_root=None)
    out = Path(args.out) if args.out else Path("results") / "eval" / label
    use_cpu_threads(config.eval)
    results = evaluate(spec, config.eval, out, force=args.force)
    print(results_frame({label: results}).to_string())
    for warning in [*results["config"]["warnings"], *results["config"].get("data_warnings", [])]:
        print(f"warning: {warning}")
    print(f"wrote {out / 'results.json'}")
    return 0
