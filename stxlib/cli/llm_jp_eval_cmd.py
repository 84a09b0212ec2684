"""`stx llm-jp-eval run|score`: llm-jp-eval 1.1 on one model, or the scores of a logged output_eval.json."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from stxlib.cli.common import guarded
from stxlib.config.model import QuantizationSection
from stxlib.llm_jp_eval.data import LlmJpEvalDataError
from stxlib.llm_jp_eval.datasets import DATASET_NAMES, UnknownDatasetError, check_dataset_name
from stxlib.llm_jp_eval.files import OutputEvalError
from stxlib.llm_jp_eval.generation import DECODINGS
from stxlib.modeling import ModelLoadError

KNOWN_ERRORS = (
    LlmJpEvalDataError,
    UnknownDatasetError,
    OutputEvalError,
    ModelLoadError,
    ValueError,
    OSError,
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "llm-jp-eval",
        help="llm-jp-eval 1.1 (Shisa's version): run a model, or score a logged output_eval.json",
        description="llm-jp-eval 1.1 re-implemented: the same prompts, post-processing, metrics and files.",
    )
    commands = parser.add_subparsers(dest="llm_jp_eval_command", metavar="{run,score}", required=True)
    _register_run(commands)
    _register_score(commands)


def _register_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="evaluate one model (optionally with a PEFT adapter)",
        description="Greedy generation of every sample's answer (max new tokens = the dataset's output_length); "
        "writes OUT/output_eval.json and OUT/score_eval.json in llm-jp-eval's formats, plus per_sample.jsonl "
        "and run_info.json. An interrupted run resumes: finished datasets are kept.",
    )
    run.add_argument("--model", required=True, help="hub id, local model folder, or stx-tiny")
    run.add_argument("--adapter", default=None, help="PEFT adapter folder applied on top (not merged)")
    run.add_argument(
        "--data-dir",
        default=None,
        help="llm-jp-eval evaluation files (<dataset>.json or test/<dataset>.json); default: stx's invented "
        "fixtures (plumbing only)",
    )
    run.add_argument("--datasets", default="all", help=f"comma-separated, or all ({', '.join(DATASET_NAMES)})")
    run.add_argument("--limit", type=int, default=100, help="first N samples per dataset (1.1: 100); 0 = all")
    run.add_argument("--num-few-shots", type=int, default=4, help="few-shots from each file (1.1: 4)")
    run.add_argument("--shisa-bos", action="store_true", help="Shisa's patch: a literal <s> after '### 指示\\n'")
    run.add_argument(
        "--add-special-tokens",
        action="store_true",
        help="tokenise prompts with the tokenizer's special tokens (BOS); 1.1's pipeline did not",
    )
    run.add_argument(
        "--decoding",
        choices=DECODINGS,
        default="pipeline",
        help="pipeline (1.1's): new tokens decoded in the prompt's context with transformers 4's clean-up; "
        "new_tokens: decoded alone",
    )
    run.add_argument("--batch-size", type=int, default=8, help="prompts per generation batch")
    run.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"], default="auto")
    run.add_argument("--load-in-4bit", action="store_true", help="load the model in 4-bit nf4 (bitsandbytes)")
    run.add_argument("--tokenizer", default=None, help="tokenizer to use (default: the adapter's, else the model's)")
    run.add_argument("--revision", default=None, help="hub revision of the model (and of its own tokenizer)")
    run.add_argument("--trust-remote-code", action="store_true", help="allow the model's own code from the hub")
    run.add_argument("--label", default=None, help="name of this model in the outputs")
    run.add_argument("--out", default=None, help="output folder (default: results/llm_jp_eval/<label>)")
    run.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    run.add_argument("--force", action="store_true", help="generate again even where finished datasets exist")
    run.set_defaults(handler=guarded(_run, *KNOWN_ERRORS))


def _register_score(commands: argparse._SubParsersAction) -> None:
    score = commands.add_parser(
        "score",
        help="recompute the scores of a logged output_eval.json",
        description="Score the pred/gold pairs of an llm-jp-eval 1.1 output_eval.json exactly as 1.1 did and write "
        "its score_eval.json (same keys, 4-decimal strings, csv_line).",
    )
    score.add_argument("output_eval", help="an output_eval.json (dataset -> records with pred and gold)")
    score.add_argument("--out", default=None, help="score_eval.json to write (default: print only)")
    score.add_argument("--per-sample", default=None, help="also write per-sample values (JSON lines) here")
    score.set_defaults(handler=guarded(_score, *KNOWN_ERRORS))


def default_label(model: str, adapter: str | None) -> str:
    name = Path(model.rstrip("/")).name or model
    if adapter:
        name += "+" + Path(adapter.rstrip("/")).name
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", name)


def _run(args: argparse.Namespace) -> int:
    from stxlib.engine import LocalModelSpec
    from stxlib.hardware import set_cpu_threads
    from stxlib.llm_jp_eval.runner import RunSettings, evaluate_model
    from stxlib.llm_jp_eval.views import score_table

    if args.limit < 0 or args.batch_size < 1 or args.num_few_shots < 0:
        raise ValueError("--limit and --num-few-shots must be >= 0 and --batch-size >= 1")
    settings = RunSettings(
        data_dir=str(Path(args.data_dir).expanduser().resolve()) if args.data_dir else None,
        datasets=tuple(args.datasets.split(",")),
        limit=args.limit or None,
        num_few_shots=args.num_few_shots,
        shisa_bos=args.shisa_bos,
        add_special_tokens=args.add_special_tokens,
        decoding=args.decoding,
        batch_size=args.batch_size,
    )
    label = args.label or default_label(args.model, args.adapter)
    spec = LocalModelSpec(
        model=args.model,
        adapter=str(Path(args.adapter).expanduser()) if args.adapter else None,
        dtype=args.dtype,
        quantization=QuantizationSection(load_in_4bit=True) if args.load_in_4bit else None,
        tokenizer=args.tokenizer,
        revision=args.revision,
        trust_remote_code=args.trust_remote_code,
    )
    spec.check()
    out = Path(args.out) if args.out else Path("results") / "llm_jp_eval" / label
    set_cpu_threads(args.threads)
    result = evaluate_model(label, spec, settings, out, force=args.force)
    print(score_table({label: result.scores.score_eval()}).to_string())
    for warning in result.run_info["warnings"]:
        print(f"warning: {warning}")
    print(f"wrote {out / 'output_eval.json'} and {out / 'score_eval.json'}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from stxlib.io import write_jsonl
    from stxlib.llm_jp_eval.files import read_output_eval, write_llm_jp
    from stxlib.llm_jp_eval.scoring import score_output
    from stxlib.llm_jp_eval.views import score_table

    path = Path(args.output_eval)
    output = read_output_eval(path)
    for name in output:
        check_dataset_name(name, f"{path}: dataset")
    scores = score_output(output)
    print(score_table({path.parent.name or "scores": scores.score_eval()}).to_string())
    if args.out:
        write_llm_jp(args.out, scores.score_eval())
        print(f"wrote {args.out}")
    if args.per_sample:
        write_jsonl(args.per_sample, scores.per_sample)
        print(f"wrote {args.per_sample}")
    return 0
