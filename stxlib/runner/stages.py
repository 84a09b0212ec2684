"""The four pipeline stages: their notebooks, the outputs that make them complete, and the
params each depends on (a change re-runs the stage)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stxlib.config import StxConfig
from stxlib.paths import RunPaths

_DATA_KEYS = ["run.seed", "data", "model.name_or_path", "model.tokenizer", "model.revision"]
_TRAIN_KEYS = [*_DATA_KEYS, "model", "lora", "train"]
_EVAL_KEYS = [*_TRAIN_KEYS, "eval"]
_REPORT_KEYS = [*_EVAL_KEYS, "report", "run.name"]


def _data_outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
    return [paths.train_file, paths.validation_file, paths.mix_stats]


def _train_outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
    return [
        paths.best_adapter / "adapter_config.json",
        paths.best_adapter / "adapter_model.safetensors",
        paths.log_history,
        paths.train_summary,
    ]


def _eval_outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
    return [paths.eval_dir(m.label) / "results.json" for m in config.eval.models]


def _report_outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
    return [paths.report, paths.plots / "loss_curves.png"]


@dataclass(frozen=True)
class Stage:
    name: str
    notebook: str  # stem, e.g. "01_data_mixing"
    outputs: Callable[[RunPaths, StxConfig], list[Path]]
    keys: tuple[str, ...]

    def missing_outputs(self, paths: RunPaths, config: StxConfig) -> list[Path]:
        return [p for p in self.outputs(paths, config) if not p.exists()]


STAGES: tuple[Stage, ...] = (
    Stage("data", "01_data_mixing", _data_outputs, tuple(_DATA_KEYS)),
    Stage("train", "02_qlora_training", _train_outputs, tuple(_TRAIN_KEYS)),
    Stage("eval", "03_jglue_eval", _eval_outputs, tuple(_EVAL_KEYS)),
    Stage("report", "04_loss_curves", _report_outputs, tuple(_REPORT_KEYS)),
)
STAGE_NAMES = tuple(s.name for s in STAGES)


def select_stages(names: str | None) -> list[Stage]:
    """`"data,train"` -> those stages in pipeline order; None -> all."""
    if not names:
        return list(STAGES)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in STAGE_NAMES]
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGE_NAMES)}")
    return [s for s in STAGES if s.name in wanted]
