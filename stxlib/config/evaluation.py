"""The `eval` params section: JGLUE as jp-stable 0.3 did it (see docs/evaluation.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from stxlib.config.base import NonNegativeInt, PositiveInt, Section
from stxlib.config.models import ModelRef
from stxlib.hub import PARQUET_REVISION as DEFAULT_PARQUET_REVISION

DEFAULT_TASKS = ["jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3"]
# jp-stable's few-shot count per task (the card's `--num_fewshot 2,3,3,3`), by short name; the JGLUE task
# table reads its defaults from here, since config never imports a stage.
DEFAULT_FEWSHOT = {"jsquad": 2, "jcommonsenseqa": 3, "jnli": 3, "marc_ja": 3}


def default_fewshot(tasks: list[str]) -> list[int] | None:
    """Each task's own default count (full or short names); None when a name is not a JGLUE task (the
    stage's `check_config` then names it)."""
    counts = [DEFAULT_FEWSHOT.get(task.strip().split("-", 1)[0]) for task in tasks]
    return None if None in counts else [c for c in counts if c is not None]


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
    num_fewshot: list[NonNegativeInt] | None = None  # null: each task's own default (jsquad 2, the others 3)
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

    @model_validator(mode="before")
    @classmethod
    def _task_default_shots(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("num_fewshot") is None:
            tasks = data.get("tasks", DEFAULT_TASKS)
            if isinstance(tasks, list) and all(isinstance(t, str) for t in tasks):
                data = {**data, "num_fewshot": default_fewshot(tasks)}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> EvalSection:
        if self.num_fewshot is not None and len(self.num_fewshot) != len(self.tasks):
            raise ValueError(
                f"num_fewshot has {len(self.num_fewshot)} entries but tasks has {len(self.tasks)}; "
                "give one few-shot count per task"
            )
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"model labels must be unique, got {labels}")
        return self
