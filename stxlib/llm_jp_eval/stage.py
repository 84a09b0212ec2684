"""The `llm_jp_eval` stage: every model of `llm_jp_eval.models` into `llm_jp_eval/<label>/`."""

from __future__ import annotations

from pathlib import Path

from stxlib.config import ParamsError, StxConfig
from stxlib.hardware import set_cpu_threads
from stxlib.llm_jp_eval.datasets import UnknownDatasetError
from stxlib.llm_jp_eval.runner import BackendFactory, ModelResult, ModelSpec, RunSettings, evaluate_model, prepare
from stxlib.modeling import ModelLoadError, check_adapter_dir, is_run_adapter_name, run_adapter_dir
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


def model_specs(config: StxConfig, paths: RunPaths) -> list[ModelSpec]:
    """One spec per `llm_jp_eval.models` entry; a run adapter (`best`, `sft`, `dpo`, ...) must exist already."""
    specs = []
    for index, entry in enumerate(config.llm_jp_eval.models):
        adapter_dir = run_adapter_dir(entry.adapter, paths.root)
        if adapter_dir is not None:
            try:
                check_adapter_dir(adapter_dir)
            except ModelLoadError as err:
                if not is_run_adapter_name(entry.adapter):
                    raise ModelLoadError(f"llm_jp_eval.models.{index} ({entry.label!r}): {err}") from None
                stage = adapter_dir.parent.name
                raise ModelLoadError(
                    f"llm_jp_eval.models.{index} ({entry.label!r}) uses adapter {entry.adapter!r} = {adapter_dir}, "
                    f"which does not exist yet. Run the {stage} stage first, or list only the base model "
                    "(e.g. --set 'llm_jp_eval.models=[{label: base}]')."
                ) from None
        is_base = entry.model is None
        specs.append(
            ModelSpec(
                label=entry.label,
                model=entry.model or config.model.name_or_path,
                adapter=str(adapter_dir) if adapter_dir is not None else None,
                tokenizer=config.model.tokenizer if is_base else None,
                revision=config.model.revision if is_base else None,
                dtype=config.llm_jp_eval.dtype,
                quantization=config.model.quantization.model_copy(update={"load_in_4bit": True})
                if entry.load_in_4bit
                else None,
                trust_remote_code=config.model.trust_remote_code,
            )
        )
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
        spec.label: evaluate_model(
            spec,
            settings,
            model_dir(paths, spec.label),
            backend_factory=backend_factory,
            prepared=prepared,
            force=force,
        )
        for spec in specs
    }
