"""JGLUE evaluation exactly as Stability-AI's jp-stable harness ran it (prompt version 0.3).

`tasks` (names, literals), `data` (raw layout / hub parquet), `fewshot` + `prompts` (seed-42 shots, contexts),
`metrics` (jasquad EM/F1, acc/acc_norm), `reference` (per-request scoring) and `engine` (the fast path),
`runner` (one model -> results.json + samples), `stage` (the pipeline stage), `compare` (tables), `card`
(the model card's numbers).
"""

from stxlib.jglue.data import JGlueDataError, JGlueDataNotFoundError
from stxlib.jglue.runner import EvalSettings, ModelSpec, evaluate, prepare_tasks
from stxlib.jglue.stage import model_specs, run_eval_stage
from stxlib.jglue.tasks import TASK_NAMES, UnknownTaskError, resolve_task_name
from stxlib.published import CARD_RESULTS, CARD_TASKS

__all__ = [
    "CARD_RESULTS",
    "CARD_TASKS",
    "TASK_NAMES",
    "EvalSettings",
    "JGlueDataError",
    "JGlueDataNotFoundError",
    "ModelSpec",
    "UnknownTaskError",
    "evaluate",
    "model_specs",
    "prepare_tasks",
    "resolve_task_name",
    "run_eval_stage",
]
