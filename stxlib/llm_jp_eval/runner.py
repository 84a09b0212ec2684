"""Evaluate one model on llm-jp-eval 1.1: generate through an engine backend, write the result files.

Generation as 1.1 did it through the Hugging Face text-generation pipeline: greedy, at most `output_length` new
tokens per dataset, the prompt tokenised **without** special tokens (the pipeline of transformers < 4.43 called
the tokenizer with `add_special_tokens=False`; `add_special_tokens=True` is offered as the fix). Only the first
line of the output is scored, so generation stops at the first newline: the text before it is the same either
way (greedy decoding is causal and NFKC never creates or absorbs a newline), so `pred` does not change.

Resumable: each dataset's records go to `parts/<dataset>.json` (atomically) as soon as they exist, tagged with a
fingerprint of everything that decides them; a dataset whose part matches is not generated again.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stxlib.config.model import QuantizationSection
from stxlib.engine import Backend, Generation, GenerationRequest
from stxlib.llm_jp_eval import files
from stxlib.llm_jp_eval.data import EvalFile, fixtures_dir, load_datasets
from stxlib.llm_jp_eval.datasets import VERSION, resolve_datasets
from stxlib.llm_jp_eval.metrics import normalize, postprocess
from stxlib.llm_jp_eval.prompts import dataset_template, render_prompt
from stxlib.llm_jp_eval.scoring import Scores, score_output

STOP = ("\n",)


class BackendUnavailableError(RuntimeError):
    """No generation backend could be opened for a model."""


@dataclass(frozen=True)
class ModelSpec:
    """One model to evaluate: a hub id, local folder or stx-tiny, optionally with a PEFT adapter (not merged)."""

    label: str
    model: str
    adapter: str | None = None
    tokenizer: str | None = None
    revision: str | None = None
    dtype: str = "auto"
    quantization: QuantizationSection | None = None  # 4-bit settings, None = full precision
    trust_remote_code: bool = False

    def identity(self) -> dict[str, Any]:
        """What decides this model's outputs (the adapter by its files' sizes and times)."""
        ident = asdict(self)
        ident.pop("label")
        ident["quantization"] = self.quantization.model_dump() if self.quantization else None
        if self.adapter and Path(self.adapter).is_dir():
            ident["adapter_files"] = sorted(
                (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(self.adapter).iterdir() if p.is_file()
            )
        return ident


BackendFactory = Callable[[ModelSpec, int], Backend]  # (model, batch size) -> backend


@dataclass(frozen=True)
class RunSettings:
    data_dir: str | None = None  # None: stx's invented fixtures
    datasets: tuple[str, ...] = ("all",)
    limit: int | None = 100  # llm-jp-eval's max_num_samples: the first N test samples; None = all
    num_few_shots: int = 4
    shisa_bos: bool = False
    add_special_tokens: bool = False
    batch_size: int = 8

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else fixtures_dir()

    @property
    def uses_fixtures(self) -> bool:
        return self.data_dir is None

    def names(self, where: str = "dataset") -> list[str]:
        """The datasets in 1.1's order (`all` = the ten); an unknown name is an error naming `where`."""
        wanted = [n for n in self.datasets if n != "all"]
        return resolve_datasets(None if "all" in self.datasets else wanted, where)


@dataclass(frozen=True)
class PreparedDataset:
    data: EvalFile
    template: str
    samples: tuple[Any, ...]  # the scored samples (the first `limit`)

    @property
    def name(self) -> str:
        return self.data.name

    def requests(self, add_special_tokens: bool) -> list[GenerationRequest]:
        return [
            GenerationRequest(
                prompt=render_prompt(self.template, s.input, where=f"{self.data.path} samples[{i}]"),
                add_special_tokens=add_special_tokens,
                max_new_tokens=self.data.output_length,
                stop=STOP,
                temperature=0.0,
            )
            for i, s in enumerate(self.samples)
        ]

    def records(self, generations: Sequence[Generation]) -> list[dict[str, str]]:
        return [
            {"prompt": self.template, "input": s.input, "pred": postprocess(g.text), "gold": normalize(s.output)}
            for s, g in zip(self.samples, generations, strict=True)
        ]


def prepare(settings: RunSettings) -> list[PreparedDataset]:
    """Load every dataset and build its template (errors surface before any model is loaded)."""
    prepared = []
    for data in load_datasets(settings.data_path, settings.names()):
        template = dataset_template(data, settings.num_few_shots, shisa_bos=settings.shisa_bos)
        samples = data.samples if settings.limit is None else data.samples[: settings.limit]
        prepared.append(PreparedDataset(data, template, samples))
    return prepared


def part_fingerprint(spec: ModelSpec, settings: RunSettings, item: PreparedDataset) -> str:
    blob = {
        "version": VERSION,
        "model": spec.identity(),
        "data_sha256": item.data.sha256,
        "samples": len(item.samples),
        "template": item.template,
        "add_special_tokens": settings.add_special_tokens,
        "generation": {"greedy": True, "max_new_tokens": item.data.output_length, "stop": list(STOP)},
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass
class ModelResult:
    label: str
    out_dir: Path
    scores: Scores
    run_info: dict[str, Any]
    output: files.Output = field(repr=False)


def evaluate_model(
    spec: ModelSpec,
    settings: RunSettings,
    out_dir: str | Path,
    *,
    backend_factory: BackendFactory | None = None,
    prepared: list[PreparedDataset] | None = None,
    force: bool = False,
    progress: bool = True,
) -> ModelResult:
    """Generate what is missing, then write output_eval.json, score_eval.json, per_sample.jsonl, run_info.json."""
    out_dir = Path(out_dir)
    prepared = prepared if prepared is not None else prepare(settings)
    factory = backend_factory or open_local_backend
    backend: Backend | None = None
    output: files.Output = {}
    generated, reused, seconds, backend_name = [], [], 0.0, None
    try:
        for item in prepared:
            fingerprint = part_fingerprint(spec, settings, item)
            part = None if force else files.read_part(out_dir, item.name)
            if part is not None and part.get("fingerprint") == fingerprint:
                output[item.name] = part["records"]
                reused.append(item.name)
                continue
            if backend is None:
                backend = factory(spec, settings.batch_size)
                backend_name = getattr(backend, "name", type(backend).__name__)
            started = time.perf_counter()
            generations = _generate(backend, item, settings, spec.label, progress)
            took = time.perf_counter() - started
            seconds += took
            records = item.records(generations)
            files.write_part(
                out_dir,
                item.name,
                {
                    "fingerprint": fingerprint,
                    "backend": backend_name,
                    "seconds": round(took, 3),
                    "raw_outputs": [g.text for g in generations],
                    "new_tokens": [g.new_tokens for g in generations],
                    "records": records,
                },
            )
            output[item.name] = records
            generated.append(item.name)
    finally:
        _release(backend)
    scores = score_output(output, {item.name: item.data.metrics for item in prepared})
    info = run_info(spec, settings, prepared, generated, reused, seconds, backend_name)
    files.write_results(out_dir, output, scores, info)
    return ModelResult(spec.label, out_dir, scores, info, output)


def _generate(
    backend: Backend, item: PreparedDataset, settings: RunSettings, label: str, progress: bool
) -> list[Generation]:
    from tqdm.auto import tqdm

    requests = item.requests(settings.add_special_tokens)
    with tqdm(total=len(requests), desc=f"{label} · {item.name}", unit="sample", disable=not progress) as bar:
        generations = backend.generate(requests, bar.update)
    if len(generations) != len(requests):
        raise RuntimeError(f"backend {backend.name!r} returned {len(generations)} generations for {len(requests)}")
    return list(generations)


def _release(backend: Backend | None) -> None:
    close = getattr(backend, "close", None)
    if callable(close):
        close()
    del backend
    gc.collect()


def run_info(
    spec: ModelSpec,
    settings: RunSettings,
    prepared: list[PreparedDataset],
    generated: list[str],
    reused: list[str],
    seconds: float,
    backend_name: str | None,
) -> dict[str, Any]:
    samples = sum(len(item.samples) for item in prepared if item.name in generated)
    warnings = [note for item in prepared for note in item.data.differences_from_release()]
    if settings.uses_fixtures:
        warnings.insert(0, "data: stx's invented fixture files, not llm-jp-eval's data; the scores mean nothing")
    return {
        "llm_jp_eval_version": VERSION,
        "label": spec.label,
        "model": spec.model,
        "adapter": spec.adapter,
        "tokenizer": spec.tokenizer,
        "dtype": spec.dtype,
        "load_in_4bit": spec.quantization is not None,
        "data_dir": str(settings.data_path),
        "data_is_fixture": settings.uses_fixtures,
        "datasets": {
            item.name: {"file": str(item.data.path), "sha256": item.data.sha256, "samples": len(item.samples)}
            for item in prepared
        },
        "limit": settings.limit,
        "num_few_shots": settings.num_few_shots,
        "shisa_bos": settings.shisa_bos,
        "add_special_tokens": settings.add_special_tokens,
        "generation": {"greedy": True, "max_new_tokens": "output_length", "stop": list(STOP)},
        "backend": backend_name,
        "batch_size": settings.batch_size,
        "generated": generated,
        "reused": reused,
        "generated_samples": samples,
        "seconds": round(seconds, 3),
        "samples_per_second": round(samples / seconds, 3) if seconds > 0 else None,
        "warnings": warnings,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def open_local_backend(spec: ModelSpec, batch_size: int) -> Backend:
    """The engine's local Hugging Face backend for `spec` (greedy, batched, per-request stops)."""
    raise BackendUnavailableError(
        f"cannot generate with {spec.model!r}: stxlib.engine has no local Hugging Face backend in this checkout "
        "yet (it lands with the engine restructure). Scoring a logged output works now: stx llm-jp-eval score FILE"
    )
