"""Evaluate one model over JGLUE tasks and write `results.json` and `samples_<task>.jsonl` (atomically).

Flow: `prepare_tasks` loads the data and builds every prompt (fails fast on missing data, before any model
is loaded); `evaluate` loads the model, scores each task with the chosen scorer (`fast` engine or
`reference`), writes `samples_<task>.jsonl` as each task finishes and `results.json` last. An interrupted
run resumes: finished tasks of the same request (same fingerprint) are kept, and a complete `results.json`
of the same request is returned as is.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stxlib.config.evaluation import DEFAULT_PARQUET_REVISION, EvalSection
from stxlib.config.model import QuantizationSection
from stxlib.io import read_json, write_json, write_jsonl
from stxlib.jglue.data import JGlueDataNotFoundError, SplitData, data_checks, load_split
from stxlib.jglue.fewshot import FEWSHOT_SEED
from stxlib.jglue.lm import EvalLM, check_model_paths, load_eval_lm
from stxlib.jglue.metrics import aggregate_multiple_choice, choice_scores, jsquad_corpus, jsquad_scores
from stxlib.jglue.progress import document_bar
from stxlib.jglue.prompts import PromptedDoc, prepare_documents
from stxlib.jglue.scoring import ChoiceItem, Scorer, is_truncated
from stxlib.jglue.tasks import PROMPT_VERSION, TASK_VERSION, get_task, parse_fewshot, resolve_tasks

RESULTS_FILE = "results.json"
PARTIAL_FILE = ".partial.json"
SHOTS_FROM = ("train", "validation", "auto")
ENGINES = ("fast", "reference")


def samples_file(task: str) -> str:
    return f"samples_{task}.jsonl"


@dataclass
class EvalSettings:
    """Everything about an evaluation except the model (the `eval` params section, or `stx eval` options)."""

    tasks: list[str]
    num_fewshot: list[int]
    data_dir: str | None = None
    shots_from: str = "train"
    shots_dir: str | None = None
    hub_revision: str = DEFAULT_PARQUET_REVISION
    cache_dir: str | None = None
    limit: int | None = None
    batch_size: int = 4
    engine: str = "fast"
    fewshot_seed: int = FEWSHOT_SEED

    def __post_init__(self) -> None:
        self.tasks = resolve_tasks(self.tasks)
        self.num_fewshot = parse_fewshot(self.num_fewshot, len(self.tasks))
        if self.shots_from not in SHOTS_FROM:
            raise ValueError(f"shots_from must be one of {', '.join(SHOTS_FROM)}, got {self.shots_from!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be a positive integer, got {self.limit}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size}")

    @classmethod
    def from_section(cls, section: EvalSection, cache_dir: str | None = None) -> EvalSettings:
        return cls(
            tasks=list(section.tasks),
            num_fewshot=list(section.num_fewshot),
            data_dir=section.data_dir,
            shots_from=section.shots_from,
            shots_dir=section.shots_dir,
            hub_revision=section.hub_revision,
            cache_dir=cache_dir,
            limit=section.limit,
            batch_size=section.batch_size,
            engine=section.engine,
            fewshot_seed=section.fewshot_seed,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ModelSpec:
    """Which model to evaluate and how to load it."""

    label: str
    model: str
    adapter: str | None = None
    dtype: str = "auto"
    quantization: QuantizationSection | None = None
    tokenizer: str | None = None
    revision: str | None = None
    max_length: int | None = None
    trust_remote_code: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quantization"] = self.quantization.model_dump() if self.quantization else None
        data["adapter_fingerprint"] = _adapter_fingerprint(self.adapter)
        return data

    def check(self) -> None:
        """Fail before any work when the model or adapter folder does not exist."""
        check_model_paths(self.model, self.adapter)

    def load(self) -> EvalLM:
        return load_eval_lm(
            self.model,
            adapter=self.adapter,
            dtype=self.dtype,
            quantization=self.quantization,
            tokenizer=self.tokenizer,
            revision=self.revision,
            max_length=self.max_length,
            trust_remote_code=self.trust_remote_code,
        )


def _adapter_fingerprint(adapter: str | None) -> str | None:
    """Size and mtime of the adapter weights: a retrained adapter is a different request."""
    if adapter is None:
        return None
    for name in ("adapter_model.safetensors", "adapter_model.bin"):
        path = Path(adapter).expanduser() / name
        if path.is_file():
            stat = path.stat()
            return f"{stat.st_size}:{stat.st_mtime_ns}"
    return None


@dataclass
class TaskInputs:
    """A task's evaluated documents (in evaluation order) and where their data and shots came from."""

    task: str
    k: int
    docs: list[PromptedDoc]
    detail: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None

    @property
    def jp_stable_prompts(self) -> bool:
        return self.warning is None


def set_cpu_threads(threads: int | None) -> None:
    """Use `threads` torch CPU threads when there is no CUDA GPU (tiny models run best on one)."""
    import torch

    if threads and not torch.cuda.is_available():
        torch.set_num_threads(threads)


# ------------------------------------------------------------------ data and prompts


def prepare_tasks(settings: EvalSettings) -> list[TaskInputs]:
    """Load every task's data and build its prompts; raises before any model is loaded when data is missing."""
    return [prepare_task(task, k, settings) for task, k in zip(settings.tasks, settings.num_fewshot, strict=True)]


def prepare_task(task: str, k: int, settings: EvalSettings) -> TaskInputs:
    spec = get_task(task)
    kwargs = {"revision": settings.hub_revision, "cache_dir": settings.cache_dir}
    validation = load_split(spec.name, "validation", settings.data_dir, **kwargs)
    pool, pool_split, warning = _shot_pool(spec.name, k, validation, settings)
    docs = prepare_documents(
        spec,
        validation.rows,
        pool.rows if pool is not None else [],
        k,
        pool=pool_split if pool_split != "none" else "train",
        seed=settings.fewshot_seed,
        limit=settings.limit,
    )
    detail = {
        "validation": validation.origin,
        "n_validation": len(validation.rows),
        "n_evaluated": len(docs),
        "num_fewshot": k,
        "shot_pool": {
            "split": pool_split,
            "origin": pool.origin if pool is not None else None,
            "rows": len(pool.rows) if pool is not None else 0,
        },
        "jp_stable_prompts": warning is None,
        "data_checks": {"validation": data_checks(spec.name, "validation", validation.rows)},
    }
    if pool is not None and pool_split == "train":
        detail["data_checks"]["train"] = data_checks(spec.name, "train", pool.rows)
    return TaskInputs(spec.name, k, docs, detail, warning)


def _shot_pool(
    task: str, k: int, validation: SplitData, settings: EvalSettings
) -> tuple[SplitData | None, str, str | None]:
    """(pool rows, "train" | "validation" | "none", warning when the prompts are not jp-stable's)."""
    if k == 0:
        return None, "none", None
    source = settings.shots_dir or settings.data_dir
    kwargs = {"revision": settings.hub_revision, "cache_dir": settings.cache_dir}
    if settings.shots_from in ("train", "auto"):
        try:
            train = load_split(task, "train", source, **kwargs)
        except JGlueDataNotFoundError as err:
            if settings.shots_from == "train":
                raise JGlueDataNotFoundError(
                    f"{err}\njp-stable draws the few-shot examples of {task} from its train split, so it is needed "
                    "for the exact prompts. To run without it, set --shots-from auto (eval.shots_from: auto; "
                    "validation stand-in where train is missing) or --shots-dir DIR (eval.shots_dir) with train "
                    "files in the raw layout; the prompts are then NOT the exact jp-stable prompts."
                ) from None
        else:
            warning = None
            if settings.shots_dir and settings.shots_dir != settings.data_dir:
                warning = (
                    f"{task}: few-shot examples come from {train.origin} (shots_dir), not from the evaluated "
                    "data's train split: the prompts are NOT the exact jp-stable prompts"
                )
            return train, "train", warning
    warning = (
        f"{task}: no train split used; few-shot examples are drawn from the validation split ({validation.origin}) "
        "excluding the evaluated document (the harness's own no-train fallback): the prompts are NOT the exact "
        "jp-stable prompts and the numbers are not comparable with the card's"
    )
    return validation, "validation", warning


# ------------------------------------------------------------------ scoring


def make_scorer(engine: str, batch_size: int) -> Scorer:
    from stxlib.jglue.engine import FastEngine
    from stxlib.jglue.reference import ReferenceScorer

    if engine == "fast":
        return FastEngine(batch_size=batch_size)
    if engine == "reference":
        return ReferenceScorer()
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


def score_task(lm: EvalLM, inputs: TaskInputs, scorer: Scorer, *, label: str = "") -> tuple[dict, list[dict], dict]:
    """Run the model over a task: (metrics, samples in doc_id order, run detail)."""
    docs = inputs.docs
    desc = f"{label + ' ' if label else ''}{get_task(inputs.task).short}"
    start = time.perf_counter()
    with document_bar(len(docs), desc) as bar:
        if get_task(inputs.task).is_generation:
            contexts = [lm.encode(d.context) for d in docs]
            truncated = sum(len(c) > lm.max_length - lm.max_new_tokens for c in contexts)
            predictions = scorer.generate(lm, contexts, bar.update)
            metrics, samples = _generation_results(docs, predictions)
        else:
            items = [
                ChoiceItem(tuple(lm.encode(d.context)), tuple(tuple(lm.encode(c)) for c in d.choices)) for d in docs
            ]
            truncated = sum(is_truncated(i.context, c, lm.max_length) for i in items for c in i.continuations)
            lls = scorer.loglikelihoods(lm, items, bar.update)
            metrics, samples = _choice_results(docs, lls)
    seconds = time.perf_counter() - start
    detail = {
        "seconds": round(seconds, 3),
        "docs_per_second": round(len(docs) / seconds, 3) if seconds > 0 else None,
        "truncated_requests": int(truncated),
    }
    return metrics, sorted(samples, key=lambda s: s["doc_id"]), detail


def _generation_results(docs: Sequence[PromptedDoc], predictions: Sequence[str]) -> tuple[dict, list[dict]]:
    golds = [list(d.gold) for d in docs]  # type: ignore[arg-type]
    samples = []
    for doc, prediction, gold in zip(docs, predictions, golds, strict=True):
        em, f1 = jsquad_scores(prediction, gold)
        samples.append(
            {
                "doc_id": doc.doc_id,
                "position": doc.position,
                "prompt": doc.context,
                "prediction": prediction,
                "gold": gold,
                "exact_match": 100 * em,
                "f1": 100.0 * f1,
            }
        )
    return jsquad_corpus(predictions, golds), samples


def _choice_results(docs: Sequence[PromptedDoc], lls: Sequence[Sequence[float]]) -> tuple[dict, list[dict]]:
    samples = []
    for doc, doc_lls in zip(docs, lls, strict=True):
        gold = int(doc.gold)  # type: ignore[arg-type]
        scores = choice_scores(doc_lls, doc.choices, gold)
        samples.append(
            {
                "doc_id": doc.doc_id,
                "position": doc.position,
                "prompt": doc.context,
                "choices": list(doc.choices),
                "loglikelihoods": [float(x) for x in doc_lls],
                "prediction": scores["prediction"],
                "gold": gold,
                "acc": scores["acc"],
                "acc_norm": scores["acc_norm"],
            }
        )
    metrics = aggregate_multiple_choice([s["acc"] for s in samples], [s["acc_norm"] for s in samples])
    return metrics, samples


# ------------------------------------------------------------------ one model, written to disk


def request_config(spec: ModelSpec, settings: EvalSettings) -> dict[str, Any]:
    """What determines the results: the model request and the settings (its hash makes resuming safe)."""
    return {"model": spec.to_dict(), "settings": settings.to_dict()}


def fingerprint(request: dict[str, Any]) -> str:
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def completed_results(out_dir: str | Path) -> dict[str, Any] | None:
    """The results.json in `out_dir`, or None."""
    path = Path(out_dir) / RESULTS_FILE
    return read_json(path) if path.is_file() else None


def evaluate(
    spec: ModelSpec,
    settings: EvalSettings,
    out_dir: str | Path,
    *,
    inputs: list[TaskInputs] | None = None,
    force: bool = False,
    lm: EvalLM | None = None,
) -> dict[str, Any]:
    """Evaluate one model and write `out_dir/results.json` and `out_dir/samples_<task>.jsonl`.

    A complete results.json of the same request is returned without loading the model (unless `force`);
    tasks finished by an interrupted run of the same request are not run again. Pass `lm` to reuse a
    loaded model (it is then not closed here).
    """
    out = Path(out_dir)
    key = fingerprint(request_config(spec, settings))
    done = completed_results(out)
    if done is not None and not force and done.get("config", {}).get("fingerprint") == key:
        print(f"{spec.label}: {out / RESULTS_FILE} is already complete for these settings; not re-running")
        return done
    if lm is None:
        spec.check()
    inputs = inputs if inputs is not None else prepare_tasks(settings)
    partial = {} if force else _read_partial(out, key)
    finished: dict[str, dict[str, Any]] = partial.get("tasks", {})
    lm_info: dict[str, Any] = partial.get("lm_info", {})
    model = lm
    try:
        task_results: dict[str, dict[str, Any]] = {}
        for task_inputs in inputs:
            task = task_inputs.task
            if task in finished and (out / samples_file(task)).is_file():
                task_results[task] = finished[task]
                print(f"{spec.label}: {task} already done by an interrupted run; keeping it")
                continue
            if model is None:
                model = spec.load()
            lm_info = model.info
            scorer = make_scorer(settings.engine, settings.batch_size)
            metrics, samples, run_detail = score_task(model, task_inputs, scorer, label=spec.label)
            # results.json of another request must not stand beside this request's samples
            (out / RESULTS_FILE).unlink(missing_ok=True)
            write_jsonl(out / samples_file(task), samples)
            task_results[task] = {"metrics": metrics, "detail": {**task_inputs.detail, **run_detail}}
            write_json(out / PARTIAL_FILE, {"fingerprint": key, "lm_info": lm_info, "tasks": task_results})
        results = _results_document(spec, settings, inputs, task_results, lm_info, key)
        write_json(out / RESULTS_FILE, results)
        (out / PARTIAL_FILE).unlink(missing_ok=True)
        return results
    finally:
        if lm is None and model is not None:
            model.close()


def _read_partial(out: Path, key: str) -> dict[str, Any]:
    path = out / PARTIAL_FILE
    if not path.is_file():
        return {}
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("fingerprint") == key else {}


def _full_size(detail: dict[str, Any]) -> bool:
    checks = detail.get("data_checks", {})
    return all(c.get("full_v1.1_size", False) and c.get("v1.1_labels", True) for c in checks.values())


def _results_document(
    spec: ModelSpec,
    settings: EvalSettings,
    inputs: Sequence[TaskInputs],
    task_results: dict[str, dict[str, Any]],
    lm_info: dict[str, Any],
    key: str,
) -> dict[str, Any]:
    import torch
    import transformers

    from stxlib import __version__

    warnings = [t.warning for t in inputs if t.warning]
    config = {
        "label": spec.label,
        **lm_info,
        "model": spec.model,
        "adapter": spec.adapter,
        "tasks": settings.tasks,
        "num_fewshot": settings.num_fewshot,
        "limit": settings.limit,
        "batch_size": settings.batch_size,
        "engine": settings.engine,
        "fewshot_seed": settings.fewshot_seed,
        "data_dir": settings.data_dir,
        "data_source": settings.data_dir or f"hub:shunk031/JGLUE@{settings.hub_revision}",
        "shots_from": settings.shots_from,
        "shots_dir": settings.shots_dir,
        "jp_stable_prompts": not warnings,
        "full_jglue_v1.1_data": all(_full_size(r["detail"]) for r in task_results.values()),
        "warnings": warnings,
        "prompt_version": PROMPT_VERSION,
        "task_details": {task: r["detail"] for task, r in task_results.items()},
        "fingerprint": key,
        "stx_version": __version__,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return {
        "results": {task: task_results[task]["metrics"] for task in settings.tasks},
        "versions": {task: TASK_VERSION for task in settings.tasks},
        "config": config,
    }
