"""The `mt_bench` stage: answer with every model of `mt_bench.models`, judge turn 1, score, plot.

Writes `mt_bench/<label>/answers.jsonl`, `judgments.jsonl`, `scores.json` and `plots/mt_bench_categories.png`.
Every model is generated first (one model in memory at a time), then the judge loads once and grades them all.
An interrupted stage continues: finished answers and judgments are kept and never re-sent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from stxlib.config import ModelRef, ParamsError, StxConfig
from stxlib.config.mt_bench import MtBenchSection
from stxlib.engine import Backend, LocalModelSpec
from stxlib.mt_bench.backends import close_backend, local_backend, make_judge
from stxlib.mt_bench.generate import GenerationSettings
from stxlib.mt_bench.judging import Judge
from stxlib.mt_bench.pipeline import generate_file, judge_file, resolve_questions
from stxlib.mt_bench.questions import MtBenchError, load_answers
from stxlib.mt_bench.templates import resolve_chat_template
from stxlib.paths import RunPaths

ANSWERS = "answers.jsonl"
CATEGORY_PLOT = "mt_bench_categories"


def stage_root(paths: RunPaths) -> Path:
    return paths.root / "mt_bench"


def model_dir(paths: RunPaths, label: str) -> Path:
    return stage_root(paths) / label


def check_config(config: StxConfig) -> None:
    """Params checks that need this stage's knowledge (templates, question file, judge settings)."""
    section = config.mt_bench
    for key, value in (
        ("mt_bench.chat_template", section.chat_template),
        ("mt_bench.judge.chat_template", section.judge.chat_template),
    ):
        try:
            resolve_chat_template(value, key)
        except MtBenchError as err:
            raise ParamsError(str(err)) from None
    try:
        resolve_questions(section.question_file, section.questions)
    except MtBenchError as err:
        raise ParamsError(f"mt_bench.question_file: {err}") from None
    if section.judge.rating_fallback == "loglikelihood" and section.judge.kind != "local":
        raise ParamsError(
            "mt_bench.judge.rating_fallback: loglikelihood needs a local judge (mt_bench.judge.kind: local); "
            "an API judge returns no log-likelihoods: set rating_fallback: none"
        )
    if section.judge.kind == "api" and section.judge.url is not None:
        from stxlib.engine.http import normalize_base_url

        try:
            normalize_base_url(section.judge.url)
        except ValueError as err:
            raise ParamsError(f"mt_bench.judge.url: {err}") from None


def generation_settings(section: MtBenchSection) -> GenerationSettings:
    name, template = resolve_chat_template(section.chat_template)
    return GenerationSettings(
        system_prompt=section.system_prompt,
        chat_template_name=name,
        chat_template=template,
        max_new_tokens=section.max_new_tokens,
        top_p=section.top_p,
        repetition_penalty=section.repetition_penalty,
        temperatures=dict(section.temperatures),
        default_temperature=section.default_temperature,
        num_choices=section.num_choices,
        turns=section.turns,
        batch_size=section.batch_size,
    )


def model_specs(config: StxConfig, paths: RunPaths) -> list[tuple[ModelRef, LocalModelSpec]]:
    """One local model per `mt_bench.models` entry, checked (a run adapter such as `best` must exist already)."""
    specs = []
    for index, entry in enumerate(config.mt_bench.models):
        spec = LocalModelSpec.from_ref(
            entry, config.model, dtype=config.mt_bench.dtype, run_root=paths.root, key=f"mt_bench.models.{index}"
        )
        spec.check()
        specs.append((entry, spec))
    return specs


def set_cpu_threads(threads: int | None) -> None:
    if threads is None:
        return
    import torch

    if not torch.cuda.is_available():
        torch.set_num_threads(threads)


def run_stage(
    config: StxConfig,
    paths: RunPaths,
    *,
    open_backend: Callable[[LocalModelSpec], Backend] | None = None,
    judge: Judge | None = None,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Answer, judge and score every configured model; returns label -> scores.json content."""
    section = config.mt_bench
    check_config(config)
    specs = model_specs(config, paths)
    set_cpu_threads(section.cpu_threads)
    settings = generation_settings(section)
    open_backend = open_backend or partial(local_backend, batch_size=section.batch_size)
    for entry, spec in specs:
        out = model_dir(paths, entry.label) / ANSWERS
        if out.is_file():
            load_answers(out)  # complete from an earlier, interrupted run of this stage
            continue
        backend = open_backend(spec)
        try:
            generate_file(
                backend,
                out,
                entry.label,
                settings,
                questions=section.question_file,
                question_set=section.questions,
                limit=section.limit,
                progress=progress,
            )
        finally:
            close_backend(backend)
    own_judge = judge is None
    if judge is None:
        judge = make_judge(section.judge, quantization=config.model.quantization)
    results = {}
    try:
        for entry, spec in specs:
            folder = model_dir(paths, entry.label)
            results[entry.label] = judge_file(
                judge,
                folder / ANSWERS,
                folder,
                questions=section.question_file,
                question_set=section.questions,
                reference_answers=section.judge.reference_answers,
                batch_size=section.judge.batch_size,
                run_length=section.leakage_run_length,
                progress=progress,
                extra={
                    "label": entry.label,
                    "model_path": spec.model,
                    "adapter": spec.adapter,
                    "judge_kind": section.judge.kind,
                    "limit": section.limit,
                    "max_new_tokens": section.max_new_tokens,
                },
            )
    finally:
        if own_judge:
            close_backend(judge.backend)
    from stxlib.mt_bench.plots import plot_categories

    plot_categories(results, paths.plots / CATEGORY_PLOT)
    return results
