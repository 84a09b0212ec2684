"""The shared training floor: one session (model load, 4-bit quantisation, LoRA or full fine-tuning,
checkpoints with a settings fingerprint, resume, best step export, log history, summary) that every training
stage runs with its own `TrainingKind` (see docs/architecture.md, "Training").

Names are imported on first use, so that light modules (`stxlib.training.tokenizer`, `.kind`, `.errors`) can
be used without importing the Trainer stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainSetupError": "errors",
    "TrainingDivergedError": "errors",
    "TrainingKind": "kind",
    "TrainingSpec": "kind",
    "SessionTrainer": "trainer",
    "SessionTrainerMixin": "trainer",
    "TrainResult": "session",
    "TrainingSession": "session",
    "prepare_session": "session",
    "run_session": "session",
    "prepare_tokenizer": "tokenizer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stxlib.training' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stxlib.training.{_EXPORTS[name]}"), name)
