"""Evaluate one model on llm-jp-eval 1.1: generate through an engine backend, write the result files.

Generation as 1.1 did it through the Hugging Face text-generation pipeline: greedy, at most `output_length` new
tokens per dataset, the prompt tokenised **without** special tokens (the pipeline of transformers < 4.43 called
the tokenizer with `add_special_tokens=False`; `add_special_tokens=True` is offered as the fix), the new tokens
decoded in the prompt's context (`generation.py`). Only the first line of the output is scored, so generation
stops at the first newline: the text before it is the same either way (greedy decoding is causal and NFKC never
creates or absorbs a newline), so `pred` does not change.

Resumable: each dataset's records go to `parts/<dataset>.json` (atomically) as soon as they exist, tagged with a
fingerprint of everything that decides them; a dataset whose part matches is not generated again.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stxlib.engine import Backend, Generation, GenerationRequest, LocalModelSpec, progress_bar
from stxlib.engine.sharded import shard_backend
from stxlib.hardware import is_main_process
from stxlib.llm_jp_eval import files
from stxlib.llm_jp_eval.data import EvalFile, fixtures_dir, load_datasets
from stxlib.llm_jp_eval.datasets import VERSION, resolve_datasets
from stxlib.llm_jp_eval.generation import STOP, Decoding, open_local_backend, output_texts
from stxlib.llm_jp_eval.metrics import normalize, postprocess
from stxlib.llm_jp_eval.prompts import dataset_template, render_prompt
from stxlib.llm_jp_eval.scoring import Scores, score_output

BackendFactory = Callable[[LocalModelSpec, int], Backend]  # (model, batch size) -> backend


@dataclass(frozen=True)
class RunSettings:
    data_dir: str | None = None  # None: stx's invented fixtures
    datasets: tuple[str, ...] = ("all",)
    limit: int | None = 100  # llm-jp-eval's max_num_samples: the first N test samples; None = all
    num_few_shots: int = 4
    shisa_bos: bool = False
    add_special_tokens: bool = False
    decoding: Decoding = "pipeline"  # 1.1's: the new tokens decoded in the prompt's context; or "new_tokens"
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

    def records(self, texts: Sequence[str]) -> list[dict[str, str]]:
        """output_eval.json's records from the generated texts (one per sample)."""
        return [
            {"prompt": self.template, "input": s.input, "pred": postprocess(text), "gold": normalize(s.output)}
            for s, text in zip(self.samples, texts, strict=True)
        ]


def prepare(settings: RunSettings) -> list[PreparedDataset]:
    """Load every dataset and build its template (errors surface before any model is loaded)."""
    prepared = []
    for data in load_datasets(settings.data_path, settings.names()):
        template = dataset_template(data, settings.num_few_shots, shisa_bos=settings.shisa_bos)
        samples = data.samples if settings.limit is None else data.samples[: settings.limit]
        prepared.append(PreparedDataset(data, template, samples))
    return prepared


def part_fingerprint(spec: LocalModelSpec, settings: RunSettings, item: PreparedDataset) -> str:
    blob = {
        "version": VERSION,
        "model": spec.to_dict(),
        "data_sha256": item.data.sha256,
        "samples": len(item.samples),
        "template": item.template,
        "add_special_tokens": settings.add_special_tokens,
        "decoding": settings.decoding,
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
    label: str,
    spec: LocalModelSpec,
    settings: RunSettings,
    out_dir: str | Path,
    *,
    backend_factory: BackendFactory | None = None,
    prepared: list[PreparedDataset] | None = None,
    force: bool = False,
    progress: bool = True,
) -> ModelResult:
    """Generate what is missing, then write output_eval.json, score_eval.json, per_sample.jsonl, run_info.json
    into `out_dir` (`label` names the model in progress bars and run_info.json)."""
    out_dir = Path(out_dir)
    prepared = prepared if prepared is not None else prepare(settings)
    factory = backend_factory or open_local_backend
    backend: Backend | None = None
    output: files.Output = {}
    generated, reused, seconds, backend_name, loaded = [], [], 0.0, None, None
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
                loaded = getattr(backend, "info", None)
            started = time.perf_counter()
            requests = item.requests(settings.add_special_tokens)
            generations = _generate(backend, requests, f"{label} · {item.name}", progress)
            texts, decoding = output_texts(backend, requests, generations, settings.decoding)
            took = time.perf_counter() - started
            seconds += took
            records = item.records(texts)
            if is_main_process():  # under torchrun rank 0 writes, as for every file of the run
                files.write_part(
                    out_dir,
                    item.name,
                    {
                        "fingerprint": fingerprint,
                        "backend": backend_name,
                        "decoding": decoding,
                        "seconds": round(took, 3),
                        "raw_outputs": texts,
                        "new_tokens": [g.new_tokens for g in generations],
                        "truncated": sum(bool(g.meta.get("truncated")) for g in generations),
                        "records": records,
                    },
                )
            output[item.name] = records
            generated.append(item.name)
    finally:
        _release(backend)
    scores = score_output(output, {item.name: item.data.metrics for item in prepared})
    info = run_info(label, spec, settings, prepared, generated, reused, seconds, backend_name)
    info["loaded"] = loaded  # what the backend loaded (dtype in memory, tokenizer source); None if nothing ran
    info["warnings"] += _part_warnings(out_dir, prepared, settings)
    if is_main_process():
        files.write_results(out_dir, output, scores, info)
    return ModelResult(label, out_dir, scores, info, output)


def _generate(backend: Backend, requests: list[GenerationRequest], desc: str, progress: bool) -> list[Generation]:
    with progress_bar(len(requests), desc, unit="sample", disable=not progress) as bar:
        generations = shard_backend(backend).generate(requests, bar.update)  # data parallel under torchrun
    if len(generations) != len(requests):
        raise RuntimeError(f"backend {backend.name!r} returned {len(generations)} generations for {len(requests)}")
    return list(generations)


def _release(backend: Backend | None) -> None:
    close = getattr(backend, "close", None)
    if callable(close):
        close()
    del backend
    gc.collect()


def _part_warnings(out_dir: Path, prepared: list[PreparedDataset], settings: RunSettings) -> list[str]:
    """Truncated prompts and a decoding other than the one asked for, from the parts (generated or reused)."""
    notes = []
    for item in prepared:
        part = files.read_part(out_dir, item.name) or {}
        if part.get("truncated"):
            notes.append(
                f"{item.name}: {part['truncated']} prompt(s) longer than the model's context lost tokens on the "
                "left (1.1 sent the whole prompt)"
            )
        if settings.decoding == "pipeline" and part.get("decoding") not in (None, "pipeline"):
            notes.append(f"{item.name}: the backend returned text only, used as it is (not 1.1's decoding)")
    return notes


def run_info(
    label: str,
    spec: LocalModelSpec,
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
        "label": label,
        "model": spec.model,
        "adapter": spec.adapter,
        "tokenizer": spec.tokenizer,
        "revision": spec.revision,
        "dtype": spec.dtype,
        "load_in_4bit": bool(spec.quantization is not None and spec.quantization.load_in_4bit),
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
        "decoding": settings.decoding,
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
