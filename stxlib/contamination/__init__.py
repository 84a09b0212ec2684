"""Train ↔ eval contamination: character n-gram overlap (NFKC, whitespace removed) between a run's training
text and each evaluation set, with the share of overlapping documents, the longest overlap and examples.
See docs/statistics.md.
"""

from stxlib.contamination.check import check_overlap
from stxlib.contamination.ngrams import normalize
from stxlib.contamination.sources import (
    ContaminationDataError,
    EvalSet,
    TrainingSource,
    jglue_sets,
    llm_jp_eval_sets,
    mt_bench_set,
)
from stxlib.contamination.stage import check_config, run_stage

__all__ = [
    "ContaminationDataError",
    "EvalSet",
    "TrainingSource",
    "check_config",
    "check_overlap",
    "jglue_sets",
    "llm_jp_eval_sets",
    "mt_bench_set",
    "normalize",
    "run_stage",
]
