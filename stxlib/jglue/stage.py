"""Stage `eval` of the pipeline: check the `eval` section, then evaluate every `eval.models` entry into
`eval/<label>/`."""

from __future__ import annotations

from typing import Any

from stxlib.config import ParamsError, StxConfig
from stxlib.config.evaluation import EvalSection
from stxlib.config.params import dump_params
from stxlib.distributed import distributed, launch
from stxlib.hardware import set_cpu_threads
from stxlib.jglue.inputs import TaskInputs, prepare_tasks, task_plan
from stxlib.jglue.model import model_specs
from stxlib.jglue.results import cpu_cores, evaluate, thread_info
from stxlib.jglue.tasks import UnknownTaskError
from stxlib.paths import RunPaths


def check_section(section: EvalSection, key: str = "eval") -> None:
    """Task names must be JGLUE tasks (short names accepted), one few-shot count per task."""
    try:
        task_plan(section)
    except UnknownTaskError as err:
        raise ParamsError(f"{key}.tasks: {err}") from None
    except ValueError as err:
        raise ParamsError(f"{key}.num_fewshot: {err}") from None


def check_config(config: StxConfig) -> None:
    """The stage's own params checks (the runner calls this before any stage starts)."""
    check_section(config.eval)


def use_cpu_threads(section: EvalSection) -> dict[str, Any]:
    """Torch CPU threads for evaluation without a CUDA GPU: all cores (torch's default, one thread per physical
    core) unless `eval.cpu_threads` restricts them (never more than the cores this process may use). Returns
    what is in use, as results.json records it (`cpu_threads`: the setting, `torch_threads`, `cpu_cores`)."""
    import torch

    if section.cpu_threads and not torch.cuda.is_available():
        set_cpu_threads(min(section.cpu_threads, cpu_cores()))
    return thread_info(section)


def run_stage(
    config: StxConfig, paths: RunPaths, *, inputs: list[TaskInputs] | None = None, force: bool = False
) -> dict[str, dict[str, Any]]:
    """Evaluate all configured models (data and prompts prepared once); returns label -> results.json content.

    Every model is checked first (a missing `best` adapter fails before anything runs). With
    `eval.processes: N` (N > 1, outside torchrun) the evaluation runs first under `torchrun --nproc_per_node N`
    (`python -m stxlib.jglue`), and this process then reads the finished results.
    """
    check_config(config)
    specs = model_specs(config, paths.root)
    for spec in specs:
        spec.local.check()
    if config.eval.processes > 1 and not distributed():
        run_data_parallel(config, paths, force=force)
        force = False  # the ranks have just written every model's results
    use_cpu_threads(config.eval)
    cache_dir = config.data.cache_dir
    inputs = inputs if inputs is not None else prepare_tasks(config.eval, cache_dir)
    return {
        spec.label: evaluate(
            spec, config.eval, paths.eval_dir(spec.label), cache_dir=cache_dir, inputs=inputs, force=force
        )
        for spec in specs
    }


def run_data_parallel(config: StxConfig, paths: RunPaths, *, force: bool = False) -> None:
    """`run_stage` in `eval.processes` torchrun ranks (the params handed over as a file in `eval/`)."""
    params = paths.eval_root / ".torchrun_params.yaml"
    dump_params(config, params)
    try:
        args = [str(params), "--run-dir", str(paths.root), *(["--force"] if force else [])]
        launch(config.eval.processes, "stxlib.jglue", args)
    finally:
        params.unlink(missing_ok=True)
