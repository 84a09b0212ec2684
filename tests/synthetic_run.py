"""Synthetic run folders with realistic artifacts (the card's 1000-step schedule, jp-stable results),
written the way the stages write them, for the report and plot tests (`test_report_synthetic.py` checks
the builder itself against the contracts)."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import yaml
from helpers import SMOKE

from stxlib.config import load_params
from stxlib.io import write_json, write_jsonl
from stxlib.paths import RunPaths
from stxlib.plots.loss_curves import parse_log_history

BASE_RESULTS = {
    "jsquad-1.1-0.3": {"exact_match": 68.7303, "f1": 80.9142},
    "jcommonsenseqa-1.1-0.3": {"acc": 0.8284, "acc_stderr": 0.0113, "acc_norm": 0.7846, "acc_norm_stderr": 0.0123},
    "jnli-1.1-0.3": {"acc": 0.5062, "acc_stderr": 0.0101, "acc_norm": 0.3246, "acc_norm_stderr": 0.0095},
    "marc_ja-1.1-0.3": {"acc": 0.9372, "acc_stderr": 0.0032, "acc_norm": 0.9372, "acc_norm_stderr": 0.0032},
}
FINETUNED_RESULTS = {
    "jsquad-1.1-0.3": {"exact_match": 83.5209, "f1": 90.0713},
    "jcommonsenseqa-1.1-0.3": {"acc": 0.7819, "acc_stderr": 0.0124, "acc_norm": 0.7462, "acc_norm_stderr": 0.0130},
    "jnli-1.1-0.3": {"acc": 0.4811, "acc_stderr": 0.0101, "acc_norm": 0.3324, "acc_norm_stderr": 0.0095},
    "marc_ja-1.1-0.3": {"acc": 0.9588, "acc_stderr": 0.0026, "acc_norm": 0.9588, "acc_norm_stderr": 0.0026},
}


# The headline block the eval stage writes into results.json: JSQuAD exact match / 100, `acc` otherwise.
HEADLINE_METRICS = {"jsquad-1.1-0.3": ("exact_match", 0.01)}


def results_json(results: dict[str, dict[str, float]], label: str, *, headline: bool = True) -> dict[str, Any]:
    """eval/<label>/results.json as the eval stage writes it; `headline=False`: as stx wrote it before the
    `headline` block existed."""
    data: dict[str, Any] = {"results": results}
    if headline:
        data["headline"] = {}
        for task, metrics in results.items():
            metric, scale = HEADLINE_METRICS.get(task, ("acc", 1.0))
            data["headline"][task] = {"metric": metric, "scale": scale, "value": metrics[metric] * scale}
    data["config"] = eval_config(label)
    return data


def synthetic_log_history(
    max_steps: int = 1000,
    logging_steps: int = 10,
    eval_steps: int = 50,
    steps_per_epoch: float = 823.0,
    lr: float = 2e-4,
    best_at: int = 350,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """A trainer.state.log_history like transformers writes it: noisy falling train loss, a U-shaped
    eval loss with its minimum at `best_at`, a constant learning rate, and the final summary record."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for step in range(1, max_steps + 1):
        epoch = round(step / steps_per_epoch, 4)
        if step % logging_steps == 0:
            loss = 1.05 + 0.55 * math.exp(-step / 120) - 0.08 * step / max_steps + rng.gauss(0, 0.03)
            records.append(
                {
                    "loss": round(loss, 4),
                    "grad_norm": round(0.3 + rng.random() * 0.2, 4),
                    "learning_rate": lr,
                    "epoch": epoch,
                    "step": step,
                }
            )
        if step % eval_steps == 0:
            before = max(0.0, (best_at - step) / best_at)
            after = max(0.0, (step - best_at) / max_steps)
            eval_loss = 1.13 + 0.4 * before**2 + 0.15 * after + 0.1 * after**2
            records.append(
                {
                    "eval_loss": round(eval_loss, 4),
                    "eval_runtime": 41.2,
                    "eval_samples_per_second": 24.85,
                    "eval_steps_per_second": 1.553,
                    "epoch": epoch,
                    "step": step,
                }
            )
    records.append(
        {
            "train_runtime": 15890.2,
            "train_samples_per_second": 1.007,
            "train_steps_per_second": 0.063,
            "total_flos": 4.1e17,
            "train_loss": 1.1523,
            "epoch": round(max_steps / steps_per_epoch, 4),
            "step": max_steps,
        }
    )
    return records


def mix_stats(samples: int = 4389, eval_size: int = 1024) -> dict[str, Any]:
    """data/mix_stats.json in the shape `stxlib.data.stats.mix_stats` writes."""

    def summary(n: int, median: float, p95: float, top: int) -> dict[str, Any]:
        return {"n": n, "min": 12, "mean": round(median * 1.1, 2), "median": median, "p95": p95, "max": top}

    share = eval_size // 3
    sources = {
        "snow": {
            "available_train": 50000,
            "available_validation": None,
            "train": samples,
            "validation": share + 1,
            "validation_from": "held out from train",
            "origin": "hub SNOW-NLP/snow_simplified_japanese_corpus",
        },
        "tydiqa": {
            "available_train": 3552,
            "available_validation": 356,
            "train": samples,
            "validation": share + 1,
            "validation_from": "validation split",
            "origin": "hub khalidalt/tydiqa-goldp",
        },
        "xlsum": {
            "available_train": 7113,
            "available_validation": 889,
            "train": samples,
            "validation": share,
            "validation_from": "validation split",
            "origin": "hub csebuetnlp/xlsum",
        },
    }
    lengths = {}
    for split, n in (("train", samples), ("validation", share)):
        per = {}
        for name, (src, tgt, cut) in {
            "snow": (28, 22, 0.0),
            "tydiqa": (310, 9, 0.004),
            "xlsum": (880, 70, 0.21),
        }.items():
            per[name] = {
                "rows": n,
                "input_chars": summary(n, src * 0.9, src * 2, src * 4),
                "output_chars": summary(n, tgt * 0.9, tgt * 2, tgt * 3),
                "source_tokens": summary(n, src, src * 2.1, src * 4),
                "target_tokens": summary(n, tgt, tgt * 2, tgt * 3),
                "source_truncated": cut,
                "target_truncated": 0.0,
            }
        per["all"] = dict(per["xlsum"], rows=3 * n)
        lengths[split] = per
    return {
        "split_option": "A",
        "seed": 42,
        "samples_per_source": samples,
        "eval_size": eval_size,
        "source_max_len": 1024,
        "target_max_len": 256,
        "tokenizer": "Open-Orca/OpenOrcaxOpenChat-Preview2-13B",
        "totals": {"train": 3 * samples, "validation": eval_size, "discarded": 0},
        "sources": sources,
        "lengths": lengths,
    }


def train_summary(log_history: list[dict[str, Any]]) -> dict[str, Any]:
    """train/train_summary.json in the shape `stxlib.training.summary.build_summary` writes."""
    curves = parse_log_history(log_history)
    step, loss = curves.best
    steps = curves.train_steps[-1]
    return {
        "best_step": step,
        "best_eval_loss": loss,
        "first_eval_step": curves.eval_steps[0],
        "first_eval_loss": curves.eval_loss[0],
        "last_eval_loss": curves.eval_loss[-1],
        "evaluations": len(curves.eval_steps),
        "steps": steps,
        "max_steps": steps,
        "epochs": round(steps / 823.0, 4),
        "trainable_parameters": 250347520,
        "expected_trainable_parameters": 250347520,
        "total_parameters": 13266399232,
        "tokens_seen": 11520000,
        "nonpad_tokens_seen": 5431872,
        "target_tokens_seen": 912345,
        "nonpad_token_fraction": 0.4715,
        "wall_time_s": 15890.2,
        "tokens_per_s": 725.0,
        "nonpad_tokens_per_s": 341.8,
        "resumed_from": None,
        "peak_memory_gib": 21.7,
        "peak_memory_kind": "cuda",
        "mixed_precision": "bf16",
        "load_in_4bit": True,
        "compute_dtype": "bfloat16",
        "lora_dtype": "float32",
    }


VALIDATION_ROWS = {
    "jsquad-1.1-0.3": 4442,
    "jcommonsenseqa-1.1-0.3": 1119,
    "jnli-1.1-0.3": 2434,
    "marc_ja-1.1-0.3": 5654,
}


def eval_config(label: str) -> dict[str, Any]:
    """The `config` of results.json as `stxlib.jglue.runner` writes it (the fields the report reads)."""
    details = {
        task: {
            "n_validation": n,
            "n_evaluated": n,
            "num_fewshot": k,
            "jp_stable_prompts": True,
            "data_checks": {"validation": {"rows": n, "v1.1_rows": n, "full_v1.1_size": True}},
        }
        for (task, n), k in zip(VALIDATION_ROWS.items(), (2, 3, 3, 3), strict=True)
    }
    return {
        "label": label,
        "model": "Open-Orca/OpenOrcaxOpenChat-Preview2-13B",
        "adapter": "/results/openorca_stx/train/best_adapter" if label == "finetuned" else None,
        "dtype": "bfloat16",
        "torch_dtype": "bfloat16",
        "load_in_4bit": False,
        "tasks": list(VALIDATION_ROWS),
        "num_fewshot": [2, 3, 3, 3],
        "limit": None,
        "batch_size": 4,
        "engine": "fast",
        "jp_stable_prompts": True,
        "full_jglue_v1.1_data": True,
        "warnings": [],
        "prompt_version": "0.3",
        "task_details": details,
    }


STAGE_FILES = {
    "data": "01_data_mixing",
    "train": "02_qlora_training",
    "eval": "03_jglue_eval",
    "report": "04_loss_curves",
}


def make_run(
    root: Path,
    name: str = "openorca_stx",
    *,
    stages: tuple[str, ...] = ("data", "train", "eval"),
    failed: dict[str, str] | None = None,
    overrides: list[str] | None = None,
    best_at: int = 350,
    labels: tuple[str, ...] = ("base", "finetuned"),
    headline: bool = True,
) -> RunPaths:
    """Write a run folder `root/name` whose `stages` completed (with realistic artifacts) and whose
    `failed` stages failed with the given error message. `headline=False` writes results.json files of an
    older stx (no `headline` block). The data stage's chart is not drawn (the report then summarises)."""
    failed = failed or {}
    recipe = "run.stages=[data,train,eval,report]"  # the STX recipe (smoke.yaml adds contamination)
    config = load_params(SMOKE, [f"run.name={name}", f"run.output_root={root}", recipe, *(overrides or [])])
    paths = RunPaths.for_config(config)
    paths.root.mkdir(parents=True, exist_ok=True)
    params = config.to_dict()
    paths.params.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    manifest_stages: dict[str, Any] = {}
    if "data" in stages:
        stats = mix_stats()
        write_json(paths.mix_stats, stats)
        rows = [
            {"source": s, "input": f"{s} 入力 {i}", "output": f"出力 {i}"} for s in stats["sources"] for i in range(5)
        ]
        write_jsonl(paths.train_file, rows)
        write_jsonl(paths.validation_file, rows[:3])
    if "train" in stages:
        history = synthetic_log_history(best_at=best_at)
        write_json(paths.log_history, history)
        write_json(paths.train_summary, train_summary(history))
    if "eval" in stages:
        for label in labels:
            results = FINETUNED_RESULTS if label == "finetuned" else BASE_RESULTS
            write_json(paths.eval_dir(label) / "results.json", results_json(results, label, headline=headline))
    for stage, stem in STAGE_FILES.items():
        if stage in stages or stage in failed:
            html = paths.root / f"{stem}.html"
            html.write_text(f"<html><body>{stem}</body></html>", encoding="utf-8")
            (paths.root / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
            manifest_stages[stage] = {
                "status": "failed" if stage in failed else "done",
                "started": "2023-10-01T10:00:00+0000",
                "ended": "2023-10-01T10:05:00+0000",
                "seconds": 300.0,
                "notebook": f"{stem}.ipynb",
                "html": html.name,
                "error": failed.get(stage),
            }
    manifest = {
        "created": "2023-10-01T10:00:00+0000",
        "updated": "2023-10-01T14:00:00+0000",
        "stx_version": "0.1.0",
        "params_file": str(SMOKE),
        "overrides": overrides or [],
        "params": params,
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False, "branch": "main"},
        "packages": {"torch": "2.13.0", "transformers": "5.23.0", "peft": "0.21.2", "bitsandbytes": "0.50.2"},
        "hardware": {
            "python": "3.11.2",
            "platform": "Linux-6.1-x86_64",
            "cpu": "AMD EPYC 7B13",
            "cpu_count": 12,
            "memory_gib": 83.5,
            "torch": "2.13.0",
            "cuda_available": True,
            "cuda_version": "12.8",
            "gpus": [{"name": "NVIDIA A100-SXM4-80GB", "memory_gib": 79.2}],
            "bf16_supported": True,
        },
        "stages": manifest_stages,
    }
    write_json(paths.manifest, manifest)
    return paths
