"""Continued pre-training (Shisa's stage 2): raw text packed into fixed blocks, causal LM on every token, QLoRA
(with the whole embeddings trainable after a tokenizer extension) or full fine-tuning; the shared training
session's "causal_lm" kind. See docs/shisa_training.md."""

from stxlib.pretrain.stage import STAGE, check_config, prepare_pretrain, run_stage

__all__ = ["STAGE", "check_config", "prepare_pretrain", "run_stage"]
