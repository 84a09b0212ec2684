"""Continued pre-training as a training kind ("causal_lm"): packed blocks, the loss on every token, the whole
input and output embeddings trainable (`modules_to_save`) when the tokenizer was extended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.config import StxConfig
from stxlib.paths import RunPaths
from stxlib.records import refs_fingerprint
from stxlib.training.chain import EXTENDED, StageStart, start_fingerprint
from stxlib.training.checkpoints import settings_keys
from stxlib.training.kind import TrainingKind

STAGE = "pretrain"
EMBEDDING_MODULES = ["embed_tokens", "lm_head"]


def trains_embeddings(config: StxConfig) -> bool:
    """`pretrain.train_embeddings`, null (auto) = the base is the extended model (its new rows must learn)."""
    setting = config.pretrain.train_embeddings
    if setting is not None:
        return setting
    base = config.pretrain.base
    return base == EXTENDED or (base == "auto" and config.tokenizer.extension.enabled)


class CausalLMKind(TrainingKind):
    name = "causal_lm"

    def __init__(self, config: StxConfig, paths: RunPaths, start: StageStart) -> None:
        self.config, self.paths, self.start = config, paths, start

    def datasets(self, tokenizer: Any) -> tuple[Any, Any]:
        from stxlib.pretrain.data import packed_datasets

        return packed_datasets(self.config, tokenizer)

    def fingerprint(self) -> Mapping[str, Any]:
        config = self.config
        return {
            "run.seed": config.fingerprint(["run.seed"]),
            "start": start_fingerprint(self.start),
            "corpora": refs_fingerprint(config.pretrain.corpora),
            "pretrain": config.fingerprint(settings_keys(STAGE, type(config.pretrain))),
        }

    def collator(self, tokenizer: Any) -> Any:
        from transformers import default_data_collator

        return default_data_collator

    def lora_fields(self) -> Mapping[str, Any]:
        return {"modules_to_save": list(EMBEDDING_MODULES)} if trains_embeddings(self.config) else {}

    def summary_fields(self) -> Mapping[str, Any]:
        return {
            "block_size": self.config.pretrain.block_size,
            "trained_embeddings": trains_embeddings(self.config),
            "start": self.start.description,
        }

    def describe_fields(self) -> Mapping[str, Any]:
        return {
            "start": self.start.description,
            "block size": self.config.pretrain.block_size,
            "embeddings trained": "whole embed_tokens and lm_head (modules_to_save)"
            if trains_embeddings(self.config)
            else "no (LoRA only)",
        }
