"""The `llm_jp_eval` params section: llm-jp-eval 1.1 as Shisa 7B reported it (see docs/llm_jp_eval.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stxlib.config.base import NonNegativeInt, PositiveInt, Section
from stxlib.config.models import ModelRef


def default_llm_jp_eval_models() -> list[ModelRef]:
    return [ModelRef(label="base"), ModelRef(label="finetuned", adapter="best")]


class LlmJpEvalSection(Section):
    """llm-jp-eval 1.1 on each model of `models` (results in `llm_jp_eval/<label>/`).

    - `datasets`: names of 1.1's ten datasets, or `all` (checked by the stage before the run starts);
    - `data_dir`: llm-jp-eval's evaluation files (`<dataset>.json` or `test/<dataset>.json`, e.g.
      `<dataset_dir>/1.1.0/evaluation/test` from llm-jp-eval's preprocessing); null = stx's invented fixtures
      (`tests/fixtures/llm_jp_eval`, plumbing only: the scores mean nothing);
    - `limit`: the first N test samples per dataset (llm-jp-eval's `max_num_samples`, 100); null = all;
    - `num_few_shots`: 4 as 1.1 (the fixed shots stored in each file);
    - `shisa_bos`: Shisa's patch, a literal `<s>` right after `### 指示\\n` (how Shisa's logs were made);
    - `add_special_tokens`: tokenise the prompt with the tokenizer's special tokens (BOS). 1.1 ran through the
      transformers text-generation pipeline, which did not add them (before transformers 4.43): false reproduces it;
    - `decoding`: `pipeline` = 1.1's text, the new tokens decoded in the prompt's context with transformers 4's
      tokenization-space clean-up (a leading space kept, `" ,"` -> `","`); `new_tokens` = the new tokens decoded
      alone (the engine's text);
    - `batch_size`: prompts per generation batch; `dtype`: weights dtype (`auto` = the checkpoint's);
      `cpu_threads`: torch CPU threads when there is no GPU.
    """

    models: list[ModelRef] = Field(default_factory=default_llm_jp_eval_models, min_length=1)
    datasets: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    data_dir: str | None = None
    limit: PositiveInt | None = 100
    num_few_shots: NonNegativeInt = 4
    shisa_bos: bool = False
    add_special_tokens: bool = False
    decoding: Literal["pipeline", "new_tokens"] = "pipeline"
    batch_size: PositiveInt = 8
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    cpu_threads: PositiveInt | None = None

    @model_validator(mode="after")
    def _unique_labels(self) -> LlmJpEvalSection:
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"model labels must be unique, got {labels}")
        return self
