"""The `run` and `data` params sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stxlib.config.base import FolderName, PositiveInt, Section
from stxlib.hub import PARQUET_REVISION
from stxlib.stages import STX_RECIPE


class RunSection(Section):
    """Run identity, where the run folder goes (`<output_root>/<name>`) and the recipe's stages in order
    (names from the stage registry, `stxlib.stages`; `stx run --stages` selects some of them)."""

    name: FolderName = "smoke"
    seed: int = 42
    output_root: str = "results"
    stages: list[str] = Field(default_factory=lambda: list(STX_RECIPE), min_length=1)


class SourceSection(Section):
    """One training source: where its rows come from and how they become input/output text.

    Local files (JSON lines, JSON or parquet, in the hub schema) replace the hub when given.
    """

    enabled: bool = True
    hub_id: str | None = None
    configs: list[str] = Field(default_factory=list)
    revision: str = PARQUET_REVISION
    train_split: str = "train"
    validation_split: str | None = "validation"
    train_files: list[str] = Field(default_factory=list)
    validation_files: list[str] = Field(default_factory=list)
    template: str
    target: str

    @model_validator(mode="after")
    def _has_origin(self) -> SourceSection:
        if self.enabled and not self.train_files and not self.hub_id:
            raise ValueError("a source needs `train_files` (local) or `hub_id` (hub)")
        if self.validation_files and self.validation_split is None:
            raise ValueError("`validation_files` is set but `validation_split` is null; set validation_split")
        return self


# The card's templates (full-width colon U+FF1A), exactly as in the lightblue/openorca_stx card.
SNOW_TEMPLATE = "元の日本語：\n{original_ja}\n\nシンプルな日本語："
TYDIQA_TEMPLATE = "{passage_text}\n\n{question_text}"
XLSUM_TEMPLATE = "記事：\n{text}\n\n要約："


def default_sources() -> dict[str, SourceSection]:
    """The three STX sources with their hub ids, configs and card templates."""
    return {
        "snow": SourceSection(
            hub_id="SNOW-NLP/snow_simplified_japanese_corpus",
            configs=["snow_t15"],
            validation_split=None,
            template=SNOW_TEMPLATE,
            target="simplified_ja",
        ),
        "tydiqa": SourceSection(
            hub_id="khalidalt/tydiqa-goldp",
            configs=["japanese"],
            template=TYDIQA_TEMPLATE,
            target="answers.text.0",
        ),
        "xlsum": SourceSection(
            hub_id="csebuetnlp/xlsum",
            configs=["japanese"],
            template=XLSUM_TEMPLATE,
            target="summary",
        ),
    }


class DataSection(Section):
    """Mixing: equal seeded samples per source, a validation set, length limits."""

    sources: dict[str, SourceSection] = Field(default_factory=default_sources)
    samples_per_source: PositiveInt | Literal["all"] = 4389
    on_short_source: Literal["error", "take_all"] = "error"
    split: Literal["A", "B"] = "A"
    eval_size: PositiveInt = 1024
    source_max_len: PositiveInt = 1024
    target_max_len: PositiveInt = 256
    cache_dir: str | None = None

    @model_validator(mode="after")
    def _some_source(self) -> DataSection:
        if not any(s.enabled for s in self.sources.values()):
            raise ValueError("every source is disabled; enable at least one under data.sources")
        return self

    @property
    def enabled_sources(self) -> dict[str, SourceSection]:
        return {name: s for name, s in self.sources.items() if s.enabled}
