"""The `eval` params section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stxlib.config.base import Section

DEFAULT_TASKS = ["jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3"]


class EvalModelSection(Section):
    """One model to evaluate. `model` defaults to `model.name_or_path`; `adapter: best` means
    this run's `train/best_adapter`."""

    label: str
    model: str | None = None
    adapter: str | None = None
    load_in_4bit: bool = False


def default_eval_models() -> list[EvalModelSection]:
    return [EvalModelSection(label="base"), EvalModelSection(label="finetuned", adapter="best")]


class EvalSection(Section):
    """JGLUE evaluation as jp-stable 0.3 did it."""

    models: list[EvalModelSection] = Field(default_factory=default_eval_models)
    tasks: list[str] = Field(default_factory=lambda: list(DEFAULT_TASKS))
    num_fewshot: list[int] = Field(default_factory=lambda: [2, 3, 3, 3])
    data_dir: str | None = None
    limit: int | None = None
    batch_size: int = 4
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    engine: Literal["fast", "reference"] = "fast"

    @model_validator(mode="after")
    def _consistent(self) -> EvalSection:
        if len(self.num_fewshot) != len(self.tasks):
            raise ValueError(
                f"num_fewshot has {len(self.num_fewshot)} entries but tasks has {len(self.tasks)}; "
                "give one few-shot count per task"
            )
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"model labels must be unique, got {labels}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be a positive integer or null, got {self.limit}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size}")
        return self
