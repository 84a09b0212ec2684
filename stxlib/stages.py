"""The stage registry: every stage's name, notebook, library package, the params it depends on, the folders
a fresh run replaces and the outputs that make it complete. The runner, the manifest, the report and the
CLI read this table; nothing else lists stages (see docs/architecture.md).

Entries are plain data: `package` is a dotted name, imported only by the runner, so that the report and the
config can read the registry without importing any stage. Every stage package follows `StagePackage`:

    def run_stage(config: StxConfig, paths: RunPaths) -> Any
        run the whole stage, write its outputs into the run folder, return what the notebook shows;
    def check_config(config: StxConfig) -> None        (optional)
        checks that need the stage's own knowledge (e.g. JGLUE task names); raise `ParamsError` naming the key
        and the fix. `stx run` calls it for every selected stage before any stage starts.

This module imports nothing of stxlib at run time (config imports `STX_RECIPE` from here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stxlib.config import StxConfig
    from stxlib.paths import RunPaths

_DATA_KEYS = ("run.seed", "data", "model.name_or_path", "model.tokenizer", "model.revision")
_TRAIN_KEYS = (*_DATA_KEYS, "model", "lora", "train")
_EVAL_KEYS = (*_TRAIN_KEYS, "eval")
_REPORT_KEYS = (*_EVAL_KEYS, "report", "run.name")
_CONTAMINATION_KEYS = (*_DATA_KEYS, "contamination", "eval.data_dir")
_PREFERENCES_KEYS = ("run.seed", "stats", "preferences")
# Derived files only: a fresh run of `preferences` never deletes the human votes in preferences/votes.jsonl.
_PREFERENCES_FILES = ("judge_votes.jsonl", "btl.json", "btl_judge.json", "summary.json")
_PREFERENCES_PLOTS = tuple(
    f"preferences_{who}_{what}.{ext}" for who in ("human", "judge") for what in ("strengths", "winrate")
    for ext in ("png", "svg")
)  # fmt: skip


def _report_outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
    """report.html always; the loss curves only when the run trains (a recipe without `train` has none)."""
    return [paths.report, *([paths.plots / "loss_curves.png"] if "train" in config.run.stages else [])]


class StagePackage(Protocol):
    """The entry-point shape every stage package has (`check_config` is optional, so not listed here)."""

    def run_stage(self, config: StxConfig, paths: RunPaths) -> Any: ...


@dataclass(frozen=True)
class Stage:
    name: str
    notebook: str  # stem in notebooks/, e.g. "01_data_mixing"
    package: str  # e.g. "stxlib.data": run_stage(config, paths), optional check_config(config)
    keys: tuple[str, ...]  # params (dotted paths) whose change re-runs the stage
    workdirs: Callable[[RunPaths], list[Path]]  # what a fresh run of the stage replaces
    outputs: Callable[[RunPaths, StxConfig], list[Path]]  # files that make the stage complete

    def missing_outputs(self, paths: RunPaths, config: StxConfig) -> list[Path]:
        return [p for p in self.outputs(paths, config) if not p.exists()]


def _tokenizer_outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
    """efficiency.json; with the extension on, also extension.json and the extended folder's tokenizer (and model)."""
    folder = paths.root / "tokenizer"
    ext = config.tokenizer.extension
    files = [folder / "efficiency.json"]
    if ext.enabled:
        files += [folder / "extension.json", folder / "extended" / "tokenizer.json"]
        if ext.resize_model:
            files.append(folder / "extended" / "config.json")
    return files


def _training_outputs(stage: str) -> Callable[[RunPaths, StxConfig], list[Path]]:
    """A Shisa training stage is complete with its exported best step (adapter, or `final/` after full
    fine-tuning), log history and summary."""

    def outputs(paths: RunPaths, config: StxConfig) -> list[Path]:
        dirs = paths.training(stage)
        if getattr(config, stage).finetuning == "full":
            exported = [dirs.final / "config.json"]
        else:
            exported = [dirs.best_adapter / "adapter_config.json", dirs.best_adapter / "adapter_model.safetensors"]
        return [*exported, dirs.log_history, dirs.train_summary]

    return outputs


# Shisa's training chain: each stage depends on its own section, the base model and the tokenizer extension
# (a change of an earlier stage re-runs the later ones through the registry's order).
_SHISA_TRAIN_KEYS = ("run.seed", "model", "tokenizer.extension")


STAGES: tuple[Stage, ...] = (
    Stage(
        name="data",
        notebook="01_data_mixing",
        package="stxlib.data",
        keys=_DATA_KEYS,
        workdirs=lambda paths: [paths.data_dir],
        outputs=lambda paths, config: [
            paths.train_file,
            paths.validation_file,
            paths.mix_stats,
            paths.plots / "data_mix.png",  # stage 1 draws its chart; the report embeds it
        ],
    ),
    Stage(
        name="train",
        notebook="02_qlora_training",
        package="stxlib.train",
        keys=_TRAIN_KEYS,
        workdirs=lambda paths: [paths.train_dir],
        outputs=lambda paths, config: [
            paths.best_adapter / "adapter_config.json",
            paths.best_adapter / "adapter_model.safetensors",
            paths.log_history,
            paths.train_summary,
        ],
    ),
    Stage(
        name="eval",
        notebook="03_jglue_eval",
        package="stxlib.jglue",
        keys=_EVAL_KEYS,
        workdirs=lambda paths: [paths.eval_root],
        outputs=lambda paths, config: [paths.eval_dir(m.label) / "results.json" for m in config.eval.models],
    ),
    Stage(
        name="tokenizer",
        notebook="05_tokenizer",
        package="stxlib.tokenizer",
        keys=("model.name_or_path", "model.tokenizer", "model.revision", "tokenizer"),
        workdirs=lambda paths: [paths.root / "tokenizer"],
        outputs=lambda paths, config: _tokenizer_outputs(paths, config),
    ),
    Stage(
        name="pretrain",
        notebook="06_pretrain",
        package="stxlib.pretrain",
        keys=(*_SHISA_TRAIN_KEYS, "pretrain"),
        workdirs=lambda paths: [paths.root / "pretrain"],
        outputs=_training_outputs("pretrain"),
    ),
    Stage(
        name="sft",
        notebook="07_sft",
        package="stxlib.sft",
        keys=(*_SHISA_TRAIN_KEYS, "sft"),
        workdirs=lambda paths: [paths.root / "sft"],
        outputs=_training_outputs("sft"),
    ),
    Stage(
        name="dpo",
        notebook="08_dpo",
        package="stxlib.dpo",
        keys=(*_SHISA_TRAIN_KEYS, "dpo"),
        workdirs=lambda paths: [paths.root / "dpo"],
        outputs=_training_outputs("dpo"),
    ),
    Stage(
        name="llm_jp_eval",
        notebook="09_llm_jp_eval",
        package="stxlib.llm_jp_eval",
        keys=("model", "llm_jp_eval"),
        workdirs=lambda paths: [paths.root / "llm_jp_eval"],
        outputs=lambda paths, config: [
            paths.root / "llm_jp_eval" / m.label / name
            for m in config.llm_jp_eval.models
            for name in ("output_eval.json", "score_eval.json")
        ],
    ),
    Stage(
        name="mt_bench",
        notebook="10_mt_bench",
        package="stxlib.mt_bench",
        keys=("model", "mt_bench"),
        workdirs=lambda paths: [paths.root / "mt_bench"],
        outputs=lambda paths, config: [
            paths.root / "mt_bench" / m.label / name
            for m in config.mt_bench.models
            for name in ("answers.jsonl", "judgments.jsonl", "scores.json")
        ],
    ),
    Stage(
        name="preferences",
        notebook="11_preferences",
        package="stxlib.preferences",
        keys=_PREFERENCES_KEYS,
        workdirs=lambda paths: [
            *(paths.root / "preferences" / name for name in _PREFERENCES_FILES),
            *(paths.plots / name for name in _PREFERENCES_PLOTS),
        ],
        outputs=lambda paths, config: [paths.root / "preferences" / "btl.json"],
    ),
    # cheap and last before the report: running it never makes a training or evaluation stage re-run
    Stage(
        name="contamination",
        notebook="12_contamination",
        package="stxlib.contamination",
        keys=_CONTAMINATION_KEYS,
        workdirs=lambda paths: [
            paths.root / "contamination.json",
            paths.plots / "contamination.png",
            paths.plots / "contamination.svg",
        ],
        outputs=lambda paths, config: [paths.root / "contamination.json"],
    ),
    Stage(
        name="report",
        notebook="04_loss_curves",
        package="stxlib.report",
        keys=_REPORT_KEYS,
        # plots/ also holds stage 1's chart; the report rewrites its own
        workdirs=lambda paths: [paths.report],
        outputs=lambda paths, config: _report_outputs(paths, config),
    ),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
# The STX recipe (the default `run.stages`); a recipe is a list of registered stage names in order.
STX_RECIPE = ("data", "train", "eval", "report")
_BY_NAME = {s.name: s for s in STAGES}


def get_stage(name: str) -> Stage:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown stage {name!r}; choose from {', '.join(STAGE_NAMES)}") from None


def select_stages(names: str | Sequence[str] | None) -> list[Stage]:
    """`"data,train"` (or a list) -> those stages in pipeline order; None or empty -> all."""
    if not names:
        return list(STAGES)
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else [str(n).strip() for n in names]
    wanted = [n for n in wanted if n]
    if not wanted:
        raise ValueError(f"no stage named in {names!r}; give comma-separated names from {', '.join(STAGE_NAMES)}")
    unknown = [n for n in wanted if n not in _BY_NAME]
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGE_NAMES)}")
    return [s for s in STAGES if s.name in wanted]
