"""Chat SFT as a training kind ("chat"): encoded conversations, labels on the assistant tokens only, padding
per batch, NEFTune through transformers' own `neftune_noise_alpha`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.config import StxConfig
from stxlib.paths import RunPaths
from stxlib.records import refs_fingerprint
from stxlib.tokenization import IGNORE_INDEX
from stxlib.training.chain import StageStart, start_fingerprint
from stxlib.training.checkpoints import settings_keys
from stxlib.training.kind import TrainingKind

STAGE = "sft"


class ChatKind(TrainingKind):
    name = "chat"

    def __init__(self, config: StxConfig, paths: RunPaths, start: StageStart) -> None:
        self.config, self.paths, self.start = config, paths, start

    def datasets(self, tokenizer: Any) -> tuple[Any, Any]:
        from stxlib.sft.data import chat_datasets

        return chat_datasets(self.config, tokenizer)

    def fingerprint(self) -> Mapping[str, Any]:
        config = self.config
        return {
            "run.seed": config.fingerprint(["run.seed"]),
            "start": start_fingerprint(self.start),
            "datasets": refs_fingerprint(config.sft.datasets),
            "sft": config.fingerprint(settings_keys(STAGE, type(config.sft))),
        }

    def collator(self, tokenizer: Any) -> Any:
        from transformers import DataCollatorForSeq2Seq

        return DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORE_INDEX, padding="longest")

    def argument_fields(self) -> Mapping[str, Any]:
        sft = self.config.sft
        fields: dict[str, Any] = {"neftune_noise_alpha": sft.neftune_noise_alpha}
        if sft.ja_second_pass:  # the JA pass must follow the full pass: read the rows in order
            fields["train_sampling_strategy"] = "sequential"
        return fields

    def summary_fields(self) -> Mapping[str, Any]:
        sft = self.config.sft
        return {
            "chat_template": sft.chat_template if len(sft.chat_template) < 40 else "custom",
            "neftune_noise_alpha": sft.neftune_noise_alpha,
            "ja_second_pass": sft.ja_second_pass,
            "start": self.start.description,
        }

    def describe_fields(self) -> Mapping[str, Any]:
        sft = self.config.sft
        return {
            "start": self.start.description,
            "chat template": sft.chat_template if len(sft.chat_template) < 40 else "custom Jinja",
            "NEFTune alpha": sft.neftune_noise_alpha if sft.neftune_noise_alpha is not None else "off",
            "labels": "assistant tokens + EOS only",
        }
