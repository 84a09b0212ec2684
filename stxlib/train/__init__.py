"""Stage 2: QLoRA training as the STX card and artidoro/qlora did it (see docs/training.md).

Names are imported on first use, so that light submodules (`stxlib.train.tokenizer`, `.collator`) can be
used without importing the Trainer stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainingDivergedError": "callbacks",
    "Best": "checkpoints",
    "select_best": "checkpoints",
    "CausalLMCollator": "collator",
    "build_collator": "collator",
    "TrainSetupError": "errors",
    "evaluate_adapter": "evaluate",
    "merge_adapter": "export",
    "closed_qa": "inference",
    "closed_qa_prompt": "inference",
    "load_finetuned": "inference",
    "TrainingSession": "session",
    "TrainResult": "session",
    "prepare_training": "session",
    "run_training": "session",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stxlib.train' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stxlib.train.{_EXPORTS[name]}"), name)
