"""What `stx publish` reads from a run folder (files only, never a stage's code): the params, the trained model
to share (the last training stage with outputs), its summary and log history, the data mix, evaluation results
(JGLUE, llm-jp-eval, MT-Bench) and the paired-bootstrap intervals the samples allow."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig, load_params
from stxlib.io import read_json
from stxlib.paths import RunPaths, TrainingDirs, looks_local
from stxlib.publish.licenses import DataSource
from stxlib.published import CARD_METRICS
from stxlib.stats import jglue_intervals
from stxlib.stats.align import AlignmentError
from stxlib.stats.deltas import bootstrap_options

#: Training stages in pipeline order; the last one with outputs is the model a run shares.
TRAINING_STAGES = ("train", "pretrain", "sft", "dpo")
#: Keys in a training stage's params section that name a hub dataset.
DATASET_KEYS = ("hub_id", "dataset", "datasets", "hub_ids")


class PublishError(RuntimeError):
    """The run folder lacks what publishing needs; the message says what and how to get it."""


@dataclass
class TrainedModel:
    stage: str
    dirs: TrainingDirs
    folder: Path  # best_adapter/ (LoRA) or final/ (full fine-tuning)
    adapter: bool
    base_model: str | None  # a hub id, or None when only a local path is known
    base_source: str  # what to load as the base for merging (the adapter's recorded base, else model.name_or_path)
    summary: dict[str, Any]
    log_history: list[dict[str, Any]]


@dataclass
class RunForPublishing:
    paths: RunPaths
    config: StxConfig
    manifest: dict[str, Any]
    model: TrainedModel
    sources: list[DataSource]
    mix: dict[str, Any] | None
    jglue: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> results.json
    intervals: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> task -> Interval
    llm_jp_eval: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> score_eval.json
    mt_bench: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> scores.json


def _read(path: Path) -> Any:
    return read_json(path) if path.is_file() else None


def trained_model(paths: RunPaths, config: StxConfig) -> TrainedModel:
    """The last training stage (pipeline order) whose best adapter (or full model) exists."""
    for stage in reversed(TRAINING_STAGES):
        dirs = paths.training(stage)
        if (dirs.best_adapter / "adapter_config.json").is_file():
            folder, adapter = dirs.best_adapter, True
            base = read_json(folder / "adapter_config.json").get("base_model_name_or_path")
        elif (dirs.final / "config.json").is_file():
            folder, adapter, base = dirs.final, False, None
        else:
            continue
        hub_base = next((b for b in (base, config.model.name_or_path) if is_hub_id(b)), None)
        return TrainedModel(
            stage=stage,
            dirs=dirs,
            folder=folder,
            adapter=adapter,
            base_model=hub_base,
            base_source=base or config.model.name_or_path,
            summary=_read(dirs.train_summary) or {},
            log_history=_read(dirs.log_history) or [],
        )
    raise PublishError(
        f"{paths.root} has no trained model: none of {', '.join(f'{s}/best_adapter' for s in TRAINING_STAGES)} "
        "(or final/) exists; run the training stage first (stx run PARAMS --stages train)"
    )


def is_hub_id(name: str | None) -> bool:
    """An `owner/name` model on the Hub: not a local path, not the embedded `stx-tiny` (which has no owner)."""
    return bool(name) and "/" in name and not looks_local(name)


def _collect_datasets(section: Any, found: list[str]) -> None:
    if isinstance(section, dict):
        for key, value in section.items():
            if key in DATASET_KEYS and isinstance(value, str):
                found.append(value)
            elif key in DATASET_KEYS and isinstance(value, list):
                found += [v for v in value if isinstance(v, str)]
            else:
                _collect_datasets(value, found)
    elif isinstance(section, list):
        for item in section:
            _collect_datasets(item, found)


def data_sources(config: StxConfig, stage: str) -> list[DataSource]:
    """The STX mix's enabled sources for `train`; for other stages, the hub datasets their params section names."""
    if stage == "train":
        return [DataSource(name, src.hub_id) for name, src in config.data.sources.items() if src.enabled]
    found: list[str] = []
    _collect_datasets(config.to_dict().get(stage, {}), found)
    return [DataSource(hub_id, hub_id) for hub_id in dict.fromkeys(found)]


def headline(results: dict[str, Any]) -> dict[str, float]:
    """task -> the card's headline number (results.json `headline`, or recomputed: JSQuAD EM/100, acc)."""
    if results.get("headline"):
        return {task: entry["value"] for task, entry in results["headline"].items()}
    out = {}
    for task, metrics in results.get("results", {}).items():
        metric, scale = CARD_METRICS.get(task, ("acc", 1.0))
        if isinstance(metrics.get(metric), int | float):
            out[task] = metrics[metric] * scale
    return out


def _labelled(root: Path, filename: str) -> dict[str, dict[str, Any]]:
    return {p.parent.name: read_json(p) for p in sorted(root.glob(f"*/{filename}"))} if root.is_dir() else {}


def read_run(run_dir: str | Path) -> RunForPublishing:
    """Everything the card needs, read from the run folder's files."""
    paths = RunPaths(Path(run_dir).expanduser().resolve())
    if not paths.params.is_file():
        raise PublishError(f"{paths.params} not found: {paths.root} is not an stx run folder (stx run writes it)")
    config = load_params(paths.params)
    model = trained_model(paths, config)
    jglue = _labelled(paths.eval_root, "results.json")
    intervals: dict[str, dict[str, Any]] = {}
    if "base" in jglue:
        try:
            found = jglue_intervals(paths.eval_root, "base", labels=list(jglue), **bootstrap_options(config.stats))
        except AlignmentError as err:  # e.g. models evaluated on different documents: no paired interval
            print(f"publish: no JGLUE intervals ({err})")
            found = {}
        intervals = {
            label: {task: iv for task, iv in row.items() if math.isfinite(iv.delta)} for label, row in found.items()
        }
    return RunForPublishing(
        paths=paths,
        config=config,
        manifest=_read(paths.manifest) or {},
        model=model,
        sources=data_sources(config, model.stage),
        mix=_read(paths.mix_stats),
        jglue=jglue,
        intervals=intervals,
        llm_jp_eval=_labelled(paths.root / "llm_jp_eval", "score_eval.json"),
        mt_bench=_labelled(paths.root / "mt_bench", "scores.json"),
    )
