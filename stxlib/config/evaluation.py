"""The `eval` params section: JGLUE as jp-stable 0.3 did it (see docs/evaluation.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stxlib.config.base import NonNegativeInt, PositiveInt, Section
from stxlib.config.models import ModelRef
from stxlib.hub import PARQUET_REVISION as DEFAULT_PARQUET_REVISION

DEFAULT_TASKS = ["jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3"]


def default_eval_models() -> list[ModelRef]:
    return [ModelRef(label="base"), ModelRef(label="finetuned", adapter="best")]


class EvalSection(Section):
    """JGLUE evaluation as jp-stable 0.3 did it.

    `shots_from`: `train` (jp-stable: shots from the train split; missing train data is an error), `validation`
    (stand-in: the harness's own fallback for a task without train docs, shots drawn from the validation split
    excluding the current document), `auto` (train where present, else the validation stand-in). `shots_dir`:
    a raw-layout folder whose train files supply the shots instead of `data_dir` (e.g. the fixtures). Any
    stand-in makes the prompts differ from jp-stable's; results.json says so. `tasks` are checked against the
    JGLUE task list (short names accepted) by the stage's `check_config`, since config never imports a stage.
    """

    models: list[ModelRef] = Field(default_factory=default_eval_models)
    tasks: list[str] = Field(default_factory=lambda: list(DEFAULT_TASKS))
    num_fewshot: list[NonNegativeInt] = Field(default_factory=lambda: [2, 3, 3, 3])
    data_dir: str | None = None
    shots_from: Literal["train", "validation", "auto"] = "train"
    shots_dir: str | None = None
    hub_revision: str = DEFAULT_PARQUET_REVISION
    limit: PositiveInt | None = None
    batch_size: PositiveInt = 16  # the card's harness used 4; batch size never changes the outputs (tested)
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    engine: Literal["fast", "reference"] = "fast"
    max_length: Annotated[int, Field(ge=300)] | None = None  # room for 256 new tokens
    fewshot_seed: int = 42
    share_prefix: bool = True  # compute each task's common prompt prefix once (changes only float noise)
    cpu_threads: PositiveInt | None = None  # restricts torch's CPU threads without CUDA (null: all cores)
    processes: PositiveInt = 1  # > 1: the stage runs under torchrun with this many data-parallel ranks

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
        return self
