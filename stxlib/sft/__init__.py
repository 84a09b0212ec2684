"""Chat SFT (Shisa stage 3): ShareGPT conversations in the Llama-2 template, loss on the assistant tokens,
NEFTune, QLoRA or full fine-tuning; the shared training session's "chat" kind. See docs/shisa_training.md."""

from stxlib.sft.stage import STAGE, check_config, prepare_sft, run_stage

__all__ = ["STAGE", "check_config", "prepare_sft", "run_stage"]
