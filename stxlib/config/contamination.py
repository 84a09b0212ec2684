"""The `contamination` params section: n-gram overlap between training data and evaluation sets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stxlib.config.base import NonNegativeInt, Section

TRAINING_FORMATS = ("jsonl", "sharegpt", "messages", "dpo")


class TrainingFileSection(Section):
    """One more file of training text (e.g. the Shisa SFT or DPO data), JSON lines.

    `format`: `jsonl` (the string fields named in `fields`, each a separate segment), `sharegpt`
    (`conversations: [{from, value}]`), `messages` (`messages: [{role, content}]`), `dpo` (`prompt`, `chosen`,
    `rejected`, each a string or a list of messages). `name`: the label in the tables (default: the file name).
    """

    path: str
    format: Literal["jsonl", "sharegpt", "messages", "dpo"] = "jsonl"
    fields: list[str] = Field(default_factory=lambda: ["text"], min_length=1)
    name: str | None = None


class ContaminationSection(Section):
    """Character n-gram overlap between a run's training text and each evaluation set (docs/statistics.md).

    - `n`: n-gram length in characters, after NFKC normalisation with all whitespace removed. 20 is this
      project's assumption (no published value): long enough that common Japanese phrases do not match, short
      enough to catch a copied sentence.
    - `run_data`: include the run's `data/train.jsonl` (`input` and `output`) when present.
    - `training_files`: more training text (see `TrainingFileSection`).
    - `jglue_dir`: a raw JGLUE layout whose validation files are checked; null: `eval.data_dir` (when that is
      null too, JGLUE is left out with a note: the hub copy is not fetched here).
    - `jglue_split`: the file prefix checked (`valid` = `<task>-v1.1/valid-v1.1.json`).
    - `llm_jp_eval_dir`: llm-jp-eval evaluation files (`<dataset>.json` or `test/<dataset>.json`), `samples[].input`.
    - `mt_bench_questions`: FastChat question files (`turns`).
    - `examples`: overlapping documents shown per evaluation set (the longest overlaps first).
    """

    n: Annotated[int, Field(ge=5, le=200)] = 20
    run_data: bool = True
    training_files: list[TrainingFileSection] = Field(default_factory=list)
    jglue_dir: str | None = None
    jglue_split: Literal["valid", "train"] = "valid"
    llm_jp_eval_dir: str | None = None
    mt_bench_questions: list[str] = Field(default_factory=list)
    examples: NonNegativeInt = 3

    @model_validator(mode="after")
    def _unique_names(self) -> ContaminationSection:
        names = [f.name for f in self.training_files if f.name]
        if len(set(names)) != len(names):
            raise ValueError(f"training_files names must be unique, got {names}")
        return self
