"""Japanese MT-Bench as FastChat jp-stable ran it, with a pluggable judge (see docs/mt_bench.md).

`questions` (the shipped data and answer files), `templates` (built-in chat templates), `generate` (answers
through any engine backend), `judging` (JA single-answer grading, resumable), `scoring` (FastChat's score,
per-category means, % JA), `pipeline` (file-level steps), `backends` (HTTP or local), `stage` (the pipeline
stage), `views` and `plots` (what notebook 10 shows).
"""

from stxlib.mt_bench.judging import Judge, JudgeError, parse_rating
from stxlib.mt_bench.questions import MtBenchError
from stxlib.mt_bench.stage import check_config, run_stage

__all__ = ["Judge", "JudgeError", "MtBenchError", "check_config", "parse_rating", "run_stage"]
