"""The `sft` params section: chat SFT on ShareGPT conversations (Llama-2 template, assistant-only loss,
NEFTune)."""

from __future__ import annotations

from pydantic import Field, field_validator

from stxlib.config.base import PositiveInt
from stxlib.config.mt_bench import SHISA_SYSTEM_PROMPT
from stxlib.config.stage_training import RecordsRef, StageTrainerSettings


class SftSection(StageTrainerSettings):
    """Chat SFT as Shisa 7B's card describes it (`augmxnt/ultra-orca-boros-en-ja-v1`, see docs/shisa_training.md).

    - `datasets`: ShareGPT rows `{"conversations": [{"from": "system"|"human"|"gpt", "value": ...}]}`;
    - `chat_template`: `llama-2` (the card's format, with generation markers for the labels) or a Jinja template
      whose assistant turns are wrapped in `{% generation %}`; the loss is on the assistant tokens (+ EOS) only;
    - `system_prompt`: used when a conversation has no system turn (Shisa's; null: none);
    - `max_length`: tokens per conversation, longer ones are cut (an assumption: 4096);
    - `neftune_noise_alpha`: NEFTune's α (transformers' own), null = off; the card "incorporated NEFTune", value
      not public (5 in the 2024 replay; the 7B params use 5 as an assumption);
    - `ja_second_pass`: the card's "one more epoch on the JA subset": the training order is every conversation
      (shuffled) followed by the Japanese ones (shuffled, ≥ 50 % Japanese letters), read in that order.
    """

    datasets: list[RecordsRef] = Field(default_factory=list)
    chat_template: str = Field(default="llama-2", min_length=1)
    system_prompt: str | None = SHISA_SYSTEM_PROMPT
    max_length: PositiveInt = 4096
    neftune_noise_alpha: float | None = None
    ja_second_pass: bool = False

    @field_validator("neftune_noise_alpha")
    @classmethod
    def _alpha(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError(
                f"NEFTune's noise alpha must be >= 0, got {value}; use e.g. 5 (the 7B params' assumption) or null "
                "to turn NEFTune off"
            )
        return value
