"""The `pretrain` params section: continued pre-training on raw text packed into fixed-length blocks."""

from __future__ import annotations

from pydantic import Field

from stxlib.config.base import PositiveInt
from stxlib.config.stage_training import RecordsRef, StageTrainerSettings


class PretrainSection(StageTrainerSettings):
    """Causal LM on every token of `corpora` (Shisa: ~8B tokens of MADLAD-400 JA + ~10 % EN; trainer settings not
    public, see docs/shisa_training.md).

    - `corpora`: text files or hub files (`RecordsRef`), `text_field` names the text (CulturaX: `text`);
    - `block_size`: tokens per packed block (an assumption: 2048). Each document is tokenised with the default
      call (BOS) and followed by EOS; documents are concatenated and cut into blocks; the last, shorter block is
      padded (pads carry no loss), so every token is trained on exactly once per epoch;
    - `eval_size`: documents held out (the last ones) and packed alike for `eval_loss`;
    - `train_embeddings`: null (auto) trains the whole input and output embeddings (peft `modules_to_save:
      [embed_tokens, lm_head]`, saved with the adapter) when the base is the extended model, so the new rows
      learn; true/false force it. Ignored for full fine-tuning (every weight trains).
    """

    corpora: list[RecordsRef] = Field(default_factory=list)
    text_field: str = Field(default="text", min_length=1)
    block_size: PositiveInt = 2048
    eval_size: PositiveInt = 64
    train_embeddings: bool | None = None
