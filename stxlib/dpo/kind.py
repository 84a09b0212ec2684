"""DPO as a training kind ("preference"): trl 1.16's `DPOTrainer` under the session's mixin, `DPOConfig`, the
LoRA applied by trl (`peft_in_trainer`), the reference being the same weights without the trained adapter's
updates (a fresh adapter disabled, or trl's frozen copy of the SFT adapter): no second model in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trl import DPOConfig, DPOTrainer

from stxlib.chat_templates import rendering_template
from stxlib.config import StxConfig
from stxlib.paths import RunPaths
from stxlib.records import refs_fingerprint
from stxlib.training.chain import StageStart, start_fingerprint
from stxlib.training.checkpoints import settings_keys
from stxlib.training.kind import TrainingKind
from stxlib.training.trainer import SessionTrainerMixin

STAGE = "dpo"


class DPOSessionTrainer(SessionTrainerMixin, DPOTrainer):
    """trl's `DPOTrainer` with the session's token counts, adapter checkpoints and LoRA dtype."""


class PreferenceKind(TrainingKind):
    name = "preference"
    trainer_class = DPOSessionTrainer
    arguments_class = DPOConfig
    peft_in_trainer = True

    def __init__(self, config: StxConfig, paths: RunPaths, start: StageStart) -> None:
        self.config, self.paths, self.start = config, paths, start

    def datasets(self, tokenizer: Any) -> tuple[Any, Any]:
        """The pairs; also gives the tokenizer the chat template trl renders them with (`dpo.chat_template`)."""
        from stxlib.dpo.data import preference_datasets

        tokenizer.chat_template = rendering_template(self.config.dpo.chat_template, "dpo.chat_template")
        return preference_datasets(self.config)

    def fingerprint(self) -> Mapping[str, Any]:
        config = self.config
        return {
            "run.seed": config.fingerprint(["run.seed"]),
            "start": start_fingerprint(self.start),
            "datasets": refs_fingerprint(config.dpo.datasets),
            "dpo": config.fingerprint(settings_keys(STAGE, type(config.dpo))),
        }

    def argument_fields(self) -> Mapping[str, Any]:
        dpo = self.config.dpo
        return {
            "beta": dpo.beta,
            "loss_type": [dpo.loss_type],
            "max_length": dpo.max_length,
            "truncation_mode": "keep_start",
            "precompute_ref_log_probs": dpo.precompute_ref_log_probs,
            "disable_dropout": True,
        }

    def summary_fields(self) -> Mapping[str, Any]:
        dpo = self.config.dpo
        return {
            "beta": dpo.beta,
            "loss_type": dpo.loss_type,
            "max_length": dpo.max_length,
            "reference": self.reference(),
            "start": self.start.description,
        }

    def reference(self) -> str:
        if self.start.adapter is not None:
            return f"frozen copy of the starting adapter ({self.start.adapter.parent.name})"
        return "the base with the adapter disabled"

    def describe_fields(self) -> Mapping[str, Any]:
        dpo = self.config.dpo
        return {
            "start": self.start.description,
            "reference": self.reference(),
            "beta / loss": f"{dpo.beta} / {dpo.loss_type}",
            "max length": dpo.max_length,
        }
