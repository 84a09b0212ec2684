"""Which engine backend answers or judges: an OpenAI-compatible server, or a local Hugging Face model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stxlib.config.mt_bench import MtBenchJudgeSection
from stxlib.engine import Backend, LocalBackend, LocalModelSpec
from stxlib.engine.http import HttpBackend
from stxlib.mt_bench.judging import Judge
from stxlib.mt_bench.templates import resolve_chat_template


def local_backend(spec: LocalModelSpec, batch_size: int = 8) -> Backend:
    """The engine's local Hugging Face backend for `spec` (checked first: a missing folder fails at once)."""
    spec.check()
    return LocalBackend.load(spec, batch_size=batch_size)


def default_judge_name(kind: str, model: str) -> str:
    """The judge's name in rows: the API model name, or a local model's folder name."""
    return model if kind == "api" else (Path(model.rstrip("/")).name or model)


def make_judge(
    section: MtBenchJudgeSection, *, quantization: Any = None, template_setting: str = "mt_bench.judge.chat_template"
) -> Judge:
    """A Judge from the `mt_bench.judge` params (api: key from OPENAI_API_KEY only)."""
    name = section.name or default_judge_name(section.kind, section.model)
    if section.kind == "api":
        backend: Backend = HttpBackend(
            section.model,
            section.url,
            timeout_s=section.timeout_s,
            max_retries=section.max_retries,
            backoff_s=section.backoff_s,
            concurrency=section.concurrency,
            name=name,
        )
        template = None
    else:
        _, template = resolve_chat_template(section.chat_template, template_setting)
        quant = None
        if section.load_in_4bit and quantization is not None:
            quant = quantization.model_copy(update={"load_in_4bit": True})
        spec = LocalModelSpec(model=section.model, dtype=section.dtype, quantization=quant)
        backend = local_backend(spec, section.batch_size)
    return Judge(
        backend,
        name,
        max_new_tokens=section.max_new_tokens,
        chat_template=template,
        rating_fallback=section.rating_fallback,
    )


def close_backend(backend: Backend) -> None:
    """Free a backend's model (if it holds one) before the next one loads."""
    close = getattr(backend, "close", None)
    if callable(close):
        close()
