"""Stage 2: QLoRA training as the STX card and artidoro/qlora did it (see docs/training.md)."""

from stxlib.train.callbacks import TrainingDivergedError
from stxlib.train.checkpoints import Best, select_best
from stxlib.train.collator import CausalLMCollator, build_collator
from stxlib.train.errors import TrainSetupError
from stxlib.train.evaluate import evaluate_adapter
from stxlib.train.export import merge_adapter
from stxlib.train.inference import closed_qa, closed_qa_prompt, load_finetuned
from stxlib.train.session import TrainingSession, TrainResult, prepare_training, run_training

__all__ = [
    "Best",
    "CausalLMCollator",
    "TrainResult",
    "TrainSetupError",
    "TrainingDivergedError",
    "TrainingSession",
    "build_collator",
    "closed_qa",
    "closed_qa_prompt",
    "evaluate_adapter",
    "load_finetuned",
    "merge_adapter",
    "prepare_training",
    "run_training",
    "select_best",
]
