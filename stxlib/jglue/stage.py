"""Stage 3 of the pipeline: evaluate every model of `eval.models` into `eval/<label>/`."""

from __future__ import annotations

from typing import Any

from stxlib.config import StxConfig
from stxlib.jglue.runner import EvalSettings, ModelSpec, TaskInputs, evaluate, prepare_tasks, set_cpu_threads
from stxlib.modeling import ModelLoadError, is_run_adapter_name, run_adapter_dir
from stxlib.paths import RunPaths


def model_specs(config: StxConfig, paths: RunPaths) -> list[ModelSpec]:
    """One spec per `eval.models` entry; `adapter: best` (or a training stage's name) must exist in this run."""
    specs = []
    for index, entry in enumerate(config.eval.models):
        is_base = entry.model is None
        adapter_dir = run_adapter_dir(entry.adapter, paths.root)
        adapter = str(adapter_dir) if adapter_dir is not None else None
        if is_run_adapter_name(entry.adapter) and not (adapter_dir / "adapter_config.json").is_file():
            raise ModelLoadError(
                f"eval.models.{index} ({entry.label!r}) uses adapter {entry.adapter!r} = {adapter_dir}, which "
                f"does not exist yet. Run the {adapter_dir.parent.name} stage first (stx run PARAMS --stages "
                f"{adapter_dir.parent.name}), or list only "
                "the base model in eval.models (e.g. --set 'eval.models=[{label: base}]')."
            )
        quantization = None
        if entry.load_in_4bit:
            quantization = config.model.quantization.model_copy(update={"load_in_4bit": True})
        specs.append(
            ModelSpec(
                label=entry.label,
                model=entry.model or config.model.name_or_path,
                adapter=adapter,
                dtype=config.eval.dtype,
                quantization=quantization,
                tokenizer=config.model.tokenizer if is_base else None,
                revision=config.model.revision if is_base else None,
                max_length=config.eval.max_length,
                trust_remote_code=config.model.trust_remote_code,
            )
        )
    return specs


def stage_settings(config: StxConfig) -> EvalSettings:
    return EvalSettings.from_section(config.eval, cache_dir=config.data.cache_dir)


def run_eval_stage(
    config: StxConfig, paths: RunPaths, *, inputs: list[TaskInputs] | None = None, force: bool = False
) -> dict[str, dict[str, Any]]:
    """Evaluate all configured models (data and prompts prepared once); returns label -> results.json content.

    Every model spec is checked first (a missing `best` adapter fails before anything runs).
    """
    specs = model_specs(config, paths)
    for spec in specs:
        spec.check()
    set_cpu_threads(config.eval.cpu_threads)
    settings = stage_settings(config)
    inputs = inputs if inputs is not None else prepare_tasks(settings)
    results = {}
    for spec in specs:
        results[spec.label] = evaluate(spec, settings, paths.eval_dir(spec.label), inputs=inputs, force=force)
    return results
