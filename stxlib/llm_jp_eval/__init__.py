"""llm-jp-eval 1.1 (the version Shisa 7B reported), re-implemented: its metric libraries are GPL and it is not
installable beside stx's pins. See docs/llm_jp_eval.md.

`datasets` (the ten of 1.1's `all`), `data` (evaluation files), `prompts` (1.1's template, Shisa's `<s>` patch),
`metrics` (NFKC first line, exact match, fuzzywuzzy-equivalent char_f1, correlations), `scoring` (score_eval.json,
categories, AVR, per-sample values), `files` (the result files), `generation` (the engine's local backend and
1.1's pipeline decoding), `runner` (one model through an engine backend),
`stage` (the pipeline stage), `views` and `plots` (what the notebook shows).
"""

from stxlib.llm_jp_eval.data import EvalFile, LlmJpEvalDataError, fixtures_dir, load_eval_file
from stxlib.llm_jp_eval.datasets import CATEGORIES, DATASET_NAMES, DATASETS, UnknownDatasetError, resolve_datasets
from stxlib.llm_jp_eval.files import OutputEvalError, read_output_eval
from stxlib.llm_jp_eval.generation import open_local_backend, pipeline_text
from stxlib.llm_jp_eval.prompts import HEADER, dataset_template, prompt_template, render_prompt
from stxlib.llm_jp_eval.runner import RunSettings, evaluate_model, prepare
from stxlib.llm_jp_eval.scoring import Scores, score_output
from stxlib.llm_jp_eval.stage import check_config, model_specs, run_stage

__all__ = [
    "CATEGORIES",
    "DATASETS",
    "DATASET_NAMES",
    "HEADER",
    "EvalFile",
    "LlmJpEvalDataError",
    "OutputEvalError",
    "RunSettings",
    "Scores",
    "UnknownDatasetError",
    "check_config",
    "dataset_template",
    "evaluate_model",
    "fixtures_dir",
    "load_eval_file",
    "model_specs",
    "open_local_backend",
    "pipeline_text",
    "prepare",
    "prompt_template",
    "read_output_eval",
    "render_prompt",
    "resolve_datasets",
    "run_stage",
    "score_output",
]
