"""The `llm_jp_eval` stage: every model of `llm_jp_eval.models` into `llm_jp_eval/<label>/`."""

from __future__ import annotations

from pathlib import Path

from stxlib.config import ParamsError, StxConfig
from stxlib.engine import LocalModelSpec
from stxlib.hardware import set_cpu_threads
from stxlib.llm_jp_eval.datasets import UnknownDatasetError
from stxlib.llm_jp_eval.runner import BackendFactory, ModelResult, RunSettings, evaluate_model, prepare
from stxlib.modeling import ModelLoadError
from stxlib.paths import RunPaths

STAGE_FOLDER = "llm_jp_eval"


def stage_dir(paths: RunPaths) -> Path:
    return paths.root / STAGE_FOLDER


def model_dir(paths: RunPaths, label: str) -> Path:
    return stage_dir(paths) / label


def result_dirs(config: StxConfig, paths: RunPaths) -> dict[str, Path]:
    """label -> results folder, for every configured model."""
    return {m.label: model_dir(paths, m.label) for m in config.llm_jp_eval.models}


def stage_settings(config: StxConfig) -> RunSettings:
    section = config.llm_jp_eval
    return RunSettings(
        data_dir=section.data_dir,
        datasets=tuple(section.datasets),
        limit=section.limit,
        num_few_shots=section.num_few_shots,
        shisa_bos=section.shisa_bos,
        add_special_tokens=section.add_special_tokens,
        decoding=section.decoding,
        batch_size=section.batch_size,
    )


def check_config(config: StxConfig) -> None:
    """Dataset names and the data folder, before any stage runs."""
    settings = stage_settings(config)
    try:
        settings.names("llm_jp_eval.datasets")
    except UnknownDatasetError as err:
        raise ParamsError(str(err)) from None
    if settings.data_dir is not None and not Path(settings.data_dir).expanduser().is_dir():
        raise ParamsError(
            f"llm_jp_eval.data_dir: folder not found: {settings.data_dir} (point it at llm-jp-eval's evaluation "
            "files, e.g. <dataset_dir>/1.1.0/evaluation/test, or remove it to use stx's fixtures)"
        )


def model_specs(config: StxConfig, paths: RunPaths) -> dict[str, LocalModelSpec]:
    """label -> what to load, per `llm_jp_eval.models` entry; every model and adapter folder is checked (a run
    adapter such as `best`, `sft` or `dpo` must exist already)."""
    specs = {}
    for index, entry in enumerate(config.llm_jp_eval.models):
        key = f"llm_jp_eval.models.{index}"
        spec = LocalModelSpec.from_ref(
            entry, config.model, dtype=config.llm_jp_eval.dtype, run_root=paths.root, key=key
        )
        try:
            spec.check()
        except ModelLoadError as err:
            raise ModelLoadError(f"{key} ({entry.label!r}): {err}") from None
        specs[entry.label] = spec
    return specs


def run_stage(
    config: StxConfig, paths: RunPaths, *, backend_factory: BackendFactory | None = None, force: bool = False
) -> dict[str, ModelResult]:
    """Evaluate every configured model (data and prompts prepared once, all models checked first)."""
    check_config(config)
    specs = model_specs(config, paths)
    settings = stage_settings(config)
    prepared = prepare(settings)  # every evaluation file checked before a model loads
    if config.llm_jp_eval.cpu_threads:
        set_cpu_threads(config.llm_jp_eval.cpu_threads)
    return {
        label: evaluate_model(
            label,
            spec,
            settings,
            model_dir(paths, label),
            backend_factory=backend_factory,
            prepared=prepared,
            force=force,
        )
        for label, spec in specs.items()
    }
