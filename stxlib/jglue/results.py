"""Evaluate one model into `results.json` and `samples_<task>.jsonl` (atomic writes, resumable).

`evaluate` loads the model only when there is work, scores each task, writes `samples_<task>.jsonl` as each
task finishes and `results.json` last. An interrupted run resumes: finished tasks of the same request (same
fingerprint) are kept, and a complete `results.json` of the same request is returned as is.

`results.json` = `{"results": {task: metrics}, "headline": {task: {"metric", "scale", "value"}}, "versions",
"config"}`; `headline` is each task's number as the card reported it (JSQuAD exact_match x 0.01, acc
otherwise), so that readers need no knowledge of the tasks.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stxlib.config.evaluation import EvalSection
from stxlib.engine import LocalBackend
from stxlib.hardware import is_main_process
from stxlib.io import read_json, write_json, write_jsonl
from stxlib.jglue import scoring
from stxlib.jglue.data import data_warnings
from stxlib.jglue.inputs import TaskInputs, prepare_tasks, task_plan
from stxlib.jglue.model import ModelSpec, open_backend
from stxlib.jglue.tasks import PROMPT_VERSION, TASK_VERSION, get_task

RESULTS_FILE = "results.json"
PARTIAL_FILE = ".partial.json"


def samples_file(task: str) -> str:
    return f"samples_{task}.jsonl"


def request_settings(section: EvalSection, cache_dir: str | None = None) -> dict[str, Any]:
    """The `eval` settings that determine the results (the model's own settings are in its spec)."""
    plan = task_plan(section)
    return {
        "tasks": [task for task, _ in plan],
        "num_fewshot": [k for _, k in plan],
        "data_dir": section.data_dir,
        "shots_from": section.shots_from,
        "shots_dir": section.shots_dir,
        "hub_revision": section.hub_revision,
        "cache_dir": cache_dir,
        "limit": section.limit,
        "batch_size": section.batch_size,
        "engine": section.engine,
        "fewshot_seed": section.fewshot_seed,
    }


def fingerprint(spec: ModelSpec, settings: dict[str, Any]) -> str:
    """Hash of the model request and the settings: resuming is safe only for the same fingerprint."""
    blob = json.dumps({"model": spec.to_dict(), "settings": settings}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def completed_results(out_dir: str | Path) -> dict[str, Any] | None:
    """The results.json in `out_dir`, or None."""
    path = Path(out_dir) / RESULTS_FILE
    return read_json(path) if path.is_file() else None


def evaluate(
    spec: ModelSpec,
    section: EvalSection,
    out_dir: str | Path,
    *,
    cache_dir: str | None = None,
    inputs: list[TaskInputs] | None = None,
    force: bool = False,
    backend: LocalBackend | None = None,
) -> dict[str, Any]:
    """Evaluate one model and write `out_dir/results.json` and `out_dir/samples_<task>.jsonl`.

    A complete results.json of the same request is returned without loading the model (unless `force`);
    tasks finished by an interrupted run of the same request are not run again. Pass `backend` to reuse a
    loaded model (it is then not closed here).
    """
    out = Path(out_dir)
    settings = request_settings(section, cache_dir)
    key = fingerprint(spec, settings)
    done = completed_results(out)
    if done is not None and not force and done.get("config", {}).get("fingerprint") == key:
        print(f"{spec.label}: {out / RESULTS_FILE} is already complete for these settings; not re-running")
        return done
    if backend is None:
        spec.local.check()
    inputs = inputs if inputs is not None else prepare_tasks(section, cache_dir)
    partial = {} if force else _read_partial(out, key)
    finished: dict[str, dict[str, Any]] = partial.get("tasks", {})
    lm_info: dict[str, Any] = partial.get("lm_info", {})
    model = backend
    try:
        task_results: dict[str, dict[str, Any]] = {}
        for task_inputs in inputs:
            task = task_inputs.task
            if task in finished and (out / samples_file(task)).is_file():
                task_results[task] = finished[task]
                print(f"{spec.label}: {task} already done by an interrupted run; keeping it")
                continue
            if model is None:
                model = open_backend(spec, section)
            lm_info = model.info
            metrics, samples, run_detail = scoring.score_task(model, task_inputs, label=spec.label)
            task_results[task] = {"metrics": metrics, "detail": {**task_inputs.detail, **run_detail}}
            if is_main_process():  # under torchrun, rank 0 writes (every rank has every sample)
                # results.json of another request must not stand beside this request's samples
                (out / RESULTS_FILE).unlink(missing_ok=True)
                write_jsonl(out / samples_file(task), samples)
                write_json(out / PARTIAL_FILE, {"fingerprint": key, "lm_info": lm_info, "tasks": task_results})
        results = results_document(spec, settings, inputs, task_results, lm_info, key, threads=thread_info(section))
        if is_main_process():
            write_json(out / RESULTS_FILE, results)
            (out / PARTIAL_FILE).unlink(missing_ok=True)
        return results
    finally:
        if backend is None and model is not None:
            model.close()


def cpu_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def thread_info(section: EvalSection) -> dict[str, Any]:
    """What results.json records of the CPU threads: `cpu_threads` (the setting), `torch_threads` (in use),
    `cpu_cores`."""
    import torch

    return {"cpu_threads": section.cpu_threads, "torch_threads": torch.get_num_threads(), "cpu_cores": cpu_cores()}


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


def headline(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """task -> `{"metric", "scale", "value"}` for a results.json `results` mapping (value = metric x scale)."""
    return {task: get_task(task).headline(metrics) for task, metrics in results.items()}


def results_document(
    spec: ModelSpec,
    settings: dict[str, Any],
    inputs: Sequence[TaskInputs],
    task_results: dict[str, dict[str, Any]],
    lm_info: dict[str, Any],
    key: str,
    *,
    threads: dict[str, Any] | None = None,
) -> dict[str, Any]:
    import torch
    import transformers

    from stxlib import __version__

    tasks = settings["tasks"]
    warnings = [t.warning for t in inputs if t.warning]
    config = {
        "label": spec.label,
        **lm_info,
        "model": spec.local.model,
        "adapter": spec.local.adapter,
        "tasks": tasks,
        "num_fewshot": settings["num_fewshot"],
        "limit": settings["limit"],
        "batch_size": settings["batch_size"],
        "engine": settings["engine"],
        "fewshot_seed": settings["fewshot_seed"],
        "data_dir": settings["data_dir"],
        "data_source": settings["data_dir"] or f"hub:shunk031/JGLUE@{settings['hub_revision']}",
        "shots_from": settings["shots_from"],
        "shots_dir": settings["shots_dir"],
        "jp_stable_prompts": not warnings,
        "full_jglue_v1.1_data": all(_full_size(r["detail"]) for r in task_results.values()),
        "warnings": warnings,
        "data_warnings": data_warnings({task: r["detail"] for task, r in task_results.items()}),
        "prompt_version": PROMPT_VERSION,
        "task_details": {task: r["detail"] for task, r in task_results.items()},
        **(threads or {}),
        "fingerprint": key,
        "stx_version": __version__,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    results = {task: task_results[task]["metrics"] for task in tasks}
    return {
        "results": results,
        "headline": headline(results),
        "versions": {task: TASK_VERSION for task in tasks},
        "config": config,
    }
