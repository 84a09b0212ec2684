"""Stage 2: QLoRA training as the STX card and artidoro/qlora did it (see docs/training.md), as the
"completion" kind of the shared training session (`stxlib.training`).

Names are imported on first use, so that light submodules (`stxlib.train.collator`, `.data`) can be used
without importing the Trainer stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainSetupError": "stxlib.training.errors",
    "TrainingDivergedError": "stxlib.training.errors",
    "Best": "stxlib.history",
    "select_best": "stxlib.training.checkpoints",
    "TrainingSession": "stxlib.training.session",
    "TrainResult": "stxlib.training.session",
    "CausalLMCollator": "stxlib.train.collator",
    "build_collator": "stxlib.train.collator",
    "CompletionKind": "stxlib.train.kind",
    "StxTrainer": "stxlib.train.kind",
    "evaluate_adapter": "stxlib.train.evaluate",
    "check_best_adapter": "stxlib.train.evaluate",
    "merge_adapter": "stxlib.train.export",
    "closed_qa": "stxlib.train.inference",
    "closed_qa_prompt": "stxlib.train.inference",
    "answer_validation_questions": "stxlib.train.inference",
    "load_finetuned": "stxlib.train.inference",
    "check_config": "stxlib.train.stage",
    "prepare_training": "stxlib.train.stage",
    "run_stage": "stxlib.train.stage",
    "run_training": "stxlib.train.stage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stxlib.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
