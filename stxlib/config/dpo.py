"""The `dpo` params section: trl 1.16 `DPOTrainer` on preference pairs, from the SFT adapter."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stxlib.config.base import PositiveFloat, PositiveInt
from stxlib.config.mt_bench import SHISA_SYSTEM_PROMPT
from stxlib.config.stage_training import RecordsRef, StageTrainerSettings


class DpoSection(StageTrainerSettings):
    """DPO as Shisa 7B's card describes it (`augmxnt/shisa-en-ja-dpo-v1`; beta, lr, epochs not public).

    - `datasets`: rows `{"prompt", "chosen", "rejected"}`, each a string or a list of `{role, content}` messages
      (trl's conversational form); strings become a user turn / an assistant turn;
    - `start_from`: default `sft` (the SFT adapter: trl trains it and keeps a frozen copy as the reference);
      null trains a fresh LoRA on the base with the adapter disabled as the reference; either way no second model;
    - `require_start`: refuse to run when `start_from` names a stage whose adapter is missing (default true);
    - trl 1.16 `DPOConfig`'s defaults, all assumptions: `beta` 0.1, `loss_type` sigmoid, `max_length` 1024,
      `learning_rate` 1e-6 (Shisa's later runs are named 5e-7 and 2e-6: sweep those);
    - `chat_template`, `system_prompt`: how the conversational rows are rendered (as for SFT).
    """

    datasets: list[RecordsRef] = Field(default_factory=list)
    start_from: str | None = "sft"
    require_start: bool = True
    beta: PositiveFloat = 0.1
    loss_type: Literal["sigmoid", "hinge", "ipo", "robust"] = "sigmoid"
    max_length: PositiveInt = 1024
    learning_rate: PositiveFloat = 1e-6
    chat_template: str = Field(default="llama-2", min_length=1)
    system_prompt: str | None = SHISA_SYSTEM_PROMPT
    precompute_ref_log_probs: bool = False
