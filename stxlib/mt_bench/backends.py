"""Which engine backend answers or judges: an OpenAI-compatible server, or a local Hugging Face model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.config.mt_bench import MtBenchJudgeSection
from stxlib.engine import Backend
from stxlib.engine.http import HttpBackend
from stxlib.mt_bench.judging import Judge
from stxlib.mt_bench.questions import MtBenchError
from stxlib.mt_bench.templates import resolve_chat_template


@dataclass(frozen=True)
class LocalModelSpec:
    """A local model to load through the engine (model path/hub id, optional adapter, precision)."""

    model: str
    adapter: str | None = None
    dtype: str = "auto"
    quantization: Any = None  # a QuantizationSection with load_in_4bit, or None
    tokenizer: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False
    batch_size: int = 8


def local_backend(spec: LocalModelSpec) -> Backend:
    """The engine's local Hugging Face backend for `spec` (`LocalBackend.load(engine spec, batch_size=...)`)."""
    try:
        from stxlib.engine.loading import LocalModelSpec as EngineModelSpec
        from stxlib.engine.local import LocalBackend
    except ImportError:
        raise MtBenchError(
            "the local Hugging Face backend (stxlib.engine.local) is not in this checkout; generate or judge "
            "through an OpenAI-compatible server instead (--api-url / --judge-url, or mt_bench.judge.kind: api)"
        ) from None
    engine_spec = EngineModelSpec(
        model=spec.model,
        adapter=spec.adapter,
        dtype=spec.dtype,
        quantization=spec.quantization,
        tokenizer=spec.tokenizer,
        revision=spec.revision,
        trust_remote_code=spec.trust_remote_code,
    )
    return LocalBackend.load(engine_spec, batch_size=spec.batch_size)


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
        backend = local_backend(
            LocalModelSpec(
                model=section.model,
                dtype=section.dtype,
                quantization=quantization if section.load_in_4bit else None,
                batch_size=section.batch_size,
            )
        )
    return Judge(backend, name, max_new_tokens=section.max_new_tokens, chat_template=template)


def close_backend(backend: Backend) -> None:
    """Free a backend's model (if it holds one) before the next one loads."""
    close = getattr(backend, "close", None)
    if callable(close):
        close()
