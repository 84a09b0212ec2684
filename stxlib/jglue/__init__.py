"""JGLUE evaluation exactly as Stability-AI's jp-stable harness ran it (prompt version 0.3), on the shared
engine (`stxlib.engine`).

`tasks` (names, literals, headline metric and scale), `data` (raw layout / hub parquet), `fewshot` + `prompts`
(seed-42 shots, contexts), `inputs` (every task's documents from the `eval` section), `metrics` (jasquad EM/F1,
acc/acc_norm), `model` (jp-stable's view of the model: window, no BOS, EOS padding), `scoring` (one task
through the engine), `results` (one model -> results.json + samples, resumable), `stage` (`run_stage`,
`check_config`), `compare` and `views` (what the notebook shows).
"""

from stxlib.jglue.data import JGlueDataError, JGlueDataNotFoundError
from stxlib.jglue.inputs import TaskInputs, prepare_tasks, task_plan
from stxlib.jglue.model import ModelSpec, model_specs, open_backend
from stxlib.jglue.results import evaluate
from stxlib.jglue.stage import check_config, check_section, run_stage, use_cpu_threads
from stxlib.jglue.tasks import TASK_NAMES, UnknownTaskError, parse_fewshot, resolve_task_name, resolve_tasks

__all__ = [
    "TASK_NAMES",
    "JGlueDataError",
    "JGlueDataNotFoundError",
    "ModelSpec",
    "TaskInputs",
    "UnknownTaskError",
    "check_config",
    "check_section",
    "evaluate",
    "model_specs",
    "open_backend",
    "parse_fewshot",
    "prepare_tasks",
    "resolve_task_name",
    "resolve_tasks",
    "run_stage",
    "task_plan",
    "use_cpu_threads",
]
