"""`stx mt-bench generate|judge|score`: Japanese MT-Bench answers, judging and scores (FastChat jp-stable)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from stxlib.cli.common import fail, guarded
from stxlib.cli.eval_cmd import default_label
from stxlib.config.mt_bench import FASTCHAT_TEMPERATURES, SHISA_SYSTEM_PROMPT
from stxlib.engine.http import EndpointError
from stxlib.modeling import ModelLoadError
from stxlib.mt_bench.judging import JudgeError
from stxlib.mt_bench.questions import MtBenchError

ERRORS = (MtBenchError, JudgeError, EndpointError, ModelLoadError, ValueError, OSError)

QUESTION_SETS = ["default60", "full80", "shisa-fork", "shisa-fork-full80"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "mt-bench",
        help="Japanese MT-Bench: generate answers, judge them, score judgments",
        description="Japanese MT-Bench as FastChat jp-stable ran it. An API key, if the server needs one, comes "
        "only from the environment variable OPENAI_API_KEY.",
    )
    commands = parser.add_subparsers(dest="mt_bench_command", metavar="STEP", required=True)
    _register_generate(commands)
    _register_judge(commands)
    _register_score(commands)


def _question_options(parser: argparse.ArgumentParser, default_help: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--questions", default=None, help="question file (FastChat question.jsonl rows)")
    group.add_argument("--question-set", choices=QUESTION_SETS, default=None, help=f"shipped set ({default_help})")


def _retry_options(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument(f"--{prefix}timeout", type=float, default=120.0, help="seconds per request (default 120)")
    parser.add_argument(f"--{prefix}retries", type=int, default=5, help="retries on connection errors, 429, 5xx")
    parser.add_argument(f"--{prefix}backoff", type=float, default=2.0, help="first retry delay in s, doubling")
    parser.add_argument(f"--{prefix}concurrency", type=int, default=1, help="requests in flight (default 1)")


def _register_generate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "generate",
        help="answer the questions with a local model or an OpenAI-compatible server",
        description="Answer Japanese MT-Bench with FastChat's settings (temperature by category, top-p 0.9, "
        "repetition penalty 1.1, 512 new tokens, choice i with seed i). Resumable: rerun to continue.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="hub id, local model folder or stx-tiny (local engine)")
    source.add_argument("--api-url", help="base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--api-model", default=None, help="the server's model name (with --api-url)")
    parser.add_argument("--adapter", default=None, help="PEFT adapter folder applied on top (local model)")
    _question_options(parser, "default: default60")
    parser.add_argument("--out", default=None, help="answers file (default: results/mt_bench/<model-id>/answers.jsonl)")
    parser.add_argument("--model-id", default=None, help="model name in the answer rows (default: from --model)")
    parser.add_argument("--system-prompt", default=SHISA_SYSTEM_PROMPT, help="system prompt ('' for none)")
    parser.add_argument("--chat-template", default=None, help="llama-2, fastchat-llama-2 or a Jinja string")
    parser.add_argument("--turns", type=int, choices=[1, 2], default=1, help="1 (default) or 2")
    parser.add_argument("--num-choices", type=int, default=1, help="choices per question (seed i for choice i)")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--limit", type=int, default=None, help="the first N questions only")
    parser.add_argument("--batch-size", type=int, default=8, help="questions per engine call")
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto")
    parser.add_argument("--load-in-4bit", action="store_true", help="load the local model in 4-bit nf4")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (no GPU only)")
    _retry_options(parser, "")
    parser.add_argument("--force", action="store_true", help="generate again even when --out exists")
    parser.set_defaults(handler=guarded(_generate, *ERRORS))


def _register_judge(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "judge",
        help="grade turn 1 of an answers file (FastChat's JA single-answer prompts)",
        description="Judge turn 1 of every answer with FastChat jp-stable's JA single-answer grading; writes "
        "OUT/judgments.jsonl (resumable: judged rows are never re-sent) and OUT/scores.json.",
    )
    parser.add_argument("--answers", required=True, help="FastChat model_answer rows (answers.jsonl)")
    _question_options(parser, "default: the set the answers record, else default60")
    parser.add_argument("--judge-prompts", default=None, help="judge prompt file (default: the shipped JA prompts)")
    parser.add_argument("--reference-answers", default=None, help="reference answers (default: shipped GPT-4)")
    judge = parser.add_mutually_exclusive_group(required=True)
    judge.add_argument("--judge-model", help="the judge's model name on the server (e.g. gpt-4)")
    judge.add_argument("--judge-local-model", help="a local Hugging Face chat model (folder, hub id or stx-tiny)")
    parser.add_argument("--judge-url", default=None, help="judge server base URL (default: OPENAI_BASE_URL or OpenAI)")
    parser.add_argument("--judge-name", default=None, help="judge name in the rows (default: the model's name)")
    parser.add_argument("--judge-chat-template", default=None, help="for a local judge without a chat template")
    parser.add_argument("--judge-max-new-tokens", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for a local judge (no GPU only)")
    parser.add_argument("--batch-size", type=int, default=8, help="judge prompts per call and per save")
    parser.add_argument(
        "--rating-fallback",
        choices=["none", "loglikelihood"],
        default="none",
        help="not FastChat, local judge only: for an unparsable judgment also record the rating 1-10 whose "
        "[[k]] is most likely after it (fallback_rating; the score stays -1). Default none (FastChat exactly)",
    )
    parser.add_argument("--model-name", default=None, help="model name in the rows (default: the answers' model_id)")
    _retry_options(parser, "judge-")
    parser.add_argument("--out", required=True, help="output folder for judgments.jsonl and scores.json")
    parser.set_defaults(handler=guarded(_judge, *ERRORS))


def _register_score(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "score",
        help="FastChat's score and per-category means of a judgments file",
        description="Recompute scores from FastChat single judgment rows (as show_result.py: mean of the turn-1 "
        "ratings that are not -1, duplicates included). Judgments of different judges are refused.",
    )
    parser.add_argument("judgments", help="judgments.jsonl (FastChat single rows)")
    _question_options(parser, "for categories; default: default60")
    parser.set_defaults(handler=guarded(_score, *ERRORS))


def _generate(args: argparse.Namespace) -> int:
    from stxlib.engine import LocalModelSpec
    from stxlib.engine.http import HttpBackend
    from stxlib.mt_bench.backends import close_backend, local_backend
    from stxlib.mt_bench.generate import GenerationSettings
    from stxlib.mt_bench.pipeline import generate_file
    from stxlib.mt_bench.questions import load_answers
    from stxlib.mt_bench.stage import set_cpu_threads
    from stxlib.mt_bench.templates import resolve_chat_template

    if args.api_url and not args.api_model:
        return fail("--api-url needs --api-model NAME (the model name the server knows)", 2)
    model_id = args.model_id or default_label(args.api_model if args.api_url else args.model, args.adapter)
    out = Path(args.out) if args.out else Path("results") / "mt_bench" / model_id / "answers.jsonl"
    if out.is_file() and not args.force:
        rows = load_answers(out)
        print(f"{out} already holds {len(rows)} answers; --force generates them again")
        return 0
    if args.force:
        out.unlink(missing_ok=True)
    name, template = resolve_chat_template(args.chat_template, "--chat-template")
    settings = GenerationSettings(
        system_prompt=args.system_prompt or None,
        chat_template_name=name,
        chat_template=template,
        max_new_tokens=args.max_new_tokens,
        temperatures=dict(FASTCHAT_TEMPERATURES),
        num_choices=args.num_choices,
        turns=args.turns,
        batch_size=args.batch_size,
    )
    if args.api_url:
        backend = HttpBackend(
            args.api_model,
            args.api_url,
            timeout_s=args.timeout,
            max_retries=args.retries,
            backoff_s=args.backoff,
            concurrency=args.concurrency,
        )
    else:
        from stxlib.config.model import QuantizationSection

        quant = QuantizationSection(load_in_4bit=True) if args.load_in_4bit else None
        set_cpu_threads(args.threads)
        spec = LocalModelSpec(model=args.model, adapter=args.adapter, dtype=args.dtype, quantization=quant)
        backend = local_backend(spec, args.batch_size)
    try:
        rows = generate_file(
            backend,
            out,
            model_id,
            settings,
            questions=args.questions,
            question_set=args.question_set,
            limit=args.limit,
        )
    finally:
        close_backend(backend)
    print(f"wrote {len(rows)} answers to {out}")
    return 0


def _judge(args: argparse.Namespace) -> int:
    from stxlib.config.mt_bench import MtBenchJudgeSection
    from stxlib.mt_bench.backends import close_backend, make_judge
    from stxlib.mt_bench.pipeline import judge_file
    from stxlib.mt_bench.stage import set_cpu_threads

    local = args.judge_local_model is not None
    section = MtBenchJudgeSection(
        kind="local" if local else "api",
        model=args.judge_local_model if local else args.judge_model,
        url=args.judge_url,
        name=args.judge_name,
        max_new_tokens=args.judge_max_new_tokens,
        chat_template=args.judge_chat_template,
        batch_size=args.batch_size,
        concurrency=args.judge_concurrency,
        timeout_s=args.judge_timeout,
        max_retries=args.judge_retries,
        backoff_s=args.judge_backoff,
        rating_fallback=args.rating_fallback,
    )
    if local:
        set_cpu_threads(args.threads)
    judge = make_judge(section, template_setting="--judge-chat-template")
    try:
        scores = judge_file(
            judge,
            args.answers,
            args.out,
            questions=args.questions,
            question_set=args.question_set,
            judge_prompts=args.judge_prompts,
            reference_answers=args.reference_answers,
            model=args.model_name,
            batch_size=args.batch_size,
            extra={"judge_kind": section.kind},
        )
    finally:
        close_backend(judge.backend)
    _print_scores(scores)
    print(f"wrote {Path(args.out) / 'judgments.jsonl'} and {Path(args.out) / 'scores.json'}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from stxlib.mt_bench.judging import load_judgments
    from stxlib.mt_bench.pipeline import resolve_questions
    from stxlib.mt_bench.questions import load_questions
    from stxlib.mt_bench.scoring import score_rows

    rows = load_judgments(args.judgments)
    path, _ = resolve_questions(args.questions, args.question_set)
    categories = {q.question_id: q.category for q in load_questions(path)}
    scores = score_rows(rows, categories, where=args.judgments)
    _print_scores(scores)
    print(json.dumps({k: v for k, v in scores.items() if k != "per_question"}, ensure_ascii=False))
    return 0


def _print_scores(scores: dict) -> None:
    score = scores.get("score")
    shown = f"{score:.3f}" if score is not None else "n/a (no parsable rating)"
    print(f"model {scores['model']}, judge {scores['judge']}: score {shown}")
    print(f"judged {scores['n_judged']}, unparsable {scores['n_unparsable']}")
    for category, value in scores.get("per_category", {}).items():
        print(f"  {category:<12} {value:.3f}" if value is not None else f"  {category:<12} n/a")
    if scores.get("pct_ja") is not None:
        print(f"% JA (legacy) {scores['pct_ja']:.2f}, % JA (letters) {scores.get('pct_ja_letters') or 0:.2f}")
