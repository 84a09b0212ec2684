"""What the Shisa training stages (`pretrain`, `sft`, `dpo`) share: where their rows come from (`RecordsRef`),
their LoRA defaults, and the Trainer settings with the choice of start (base, extended model, an earlier stage).

Defaults are the 7B recipe's where Shisa published them (its exploratory axolotl QLoRA configs: r 32, alpha 16,
dropout 0.05, all linear layers, cosine schedule, lr 2e-4); everything else is an assumption, labelled so here,
in params/shisa_7b.yaml and in docs/shisa_training.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stxlib.config.base import NonNegativeInt, PositiveInt, Section
from stxlib.config.training import LoraSection, TrainerSettings

RecordsFormat = Literal["auto", "jsonl", "json", "parquet"]


class RecordsRef(Section):
    """One file of training rows: a local file, one file of a hub dataset repository, or a hub dataset's split
    through the hub's parquet conversion (any dataset repository, whatever its own file names).

    - `path`: JSON lines (`.jsonl`), a JSON list (`.json`) or parquet (`.parquet`); `format: auto` tells them
      apart by the suffix;
    - `hub_id` + `hub_file`: e.g. `uonlp/CulturaX` + `ja/ja_part_00004.parquet` (gated: accept the terms and log in);
    - `hub_id` alone: `hub_config`/`hub_split` of the parquet conversion (`refs/convert/parquet`), e.g.
      `augmxnt/ultra-orca-boros-en-ja-v1`, `default`, `train`;
    - `limit`: the first N rows; null reads them all. `name`: the label in tables (default: file or hub id).
    """

    name: str | None = None
    path: str | None = None
    hub_id: str | None = None
    hub_file: str | None = None
    hub_config: str = "default"
    hub_split: str = "train"
    revision: str | None = None
    format: RecordsFormat = "auto"
    limit: PositiveInt | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> RecordsRef:
        if self.path and self.hub_id:
            raise ValueError("give either `path` (a local file) or `hub_id`, not both")
        if not self.path and not self.hub_id:
            raise ValueError("needs `path` (a local file) or `hub_id` (a hub dataset)")
        if self.hub_file and not self.hub_id:
            raise ValueError("`hub_file` needs `hub_id`")
        return self

    @property
    def label(self) -> str:
        return self.name or (
            self.path.rsplit("/", 1)[-1] if self.path else f"{self.hub_id}:{self.hub_file or self.hub_split}"
        )


class StageLoraSection(LoraSection):
    """LoRA of a Shisa training stage: Shisa's axolotl QLoRA configs (r 32, alpha 16, dropout 0.05, all linear)."""

    r: PositiveInt = 32
    alpha: PositiveInt = 16


class StageTrainerSettings(TrainerSettings):
    """The Trainer settings of a Shisa training stage, plus where it starts.

    - `finetuning`: `lora` (QLoRA when `model.quantization.load_in_4bit`) or `full` (every weight; needs
      `model.quantization.load_in_4bit: false`; the best step is exported whole to `<stage>/final/`);
    - `base`: the model the stage loads: `auto` (the tokenizer stage's `tokenizer/extended/` when
      `tokenizer.extension.enabled`, else `model.name_or_path`), `model`, `extended`, or a folder / hub id;
    - `start_from`: an earlier training stage of this run (`pretrain`, `sft`) or an adapter folder (absolute, or
      relative to the working directory): its LoRA adapter
      is trained on (or, after full fine-tuning, its `final/` model becomes the base); null starts fresh;
    - `eval_size`: rows held out of the training data for `eval_loss` (the best step);
    - lr 2e-4, cosine, warmup 0.03 of the steps: assumptions (axolotl's 2e-4/cosine, its 10 warmup steps as a
      ratio; Shisa's final settings are not public); the optimizer as STX's (`paged_adamw_32bit`, AdamW on CPU).
    """

    finetuning: Literal["lora", "full"] = "lora"
    lora: StageLoraSection = Field(default_factory=StageLoraSection)
    base: str = Field(default="auto", min_length=1)
    start_from: str | None = None
    eval_size: PositiveInt = 64
    lr_scheduler_type: Literal["constant", "constant_with_warmup", "linear", "cosine"] = "cosine"
    save_total_limit: PositiveInt | None = None
    dataloader_num_workers: NonNegativeInt = 0
