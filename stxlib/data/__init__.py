"""Stage 1: data mixing. `run_stage(config, paths)` is what `stx mix` and notebook 01 call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.data.mixing import MixError, MixResult, build_mix, load_all
from stxlib.data.sources import DataSourceError, SourceRows, load_source, read_records
from stxlib.data.stats import mix_lengths, mix_stats
from stxlib.data.templates import TemplateError, get_field, render_template, to_example
from stxlib.io import write_json, write_jsonl
from stxlib.paths import RunPaths

logger = logging.getLogger(__name__)

__all__ = [
    "DataSourceError",
    "DataStageResult",
    "MixError",
    "MixResult",
    "SourceRows",
    "TemplateError",
    "build_mix",
    "collator_tokenizer",
    "get_field",
    "load_all",
    "load_source",
    "read_records",
    "render_template",
    "run_data_stage",
    "run_stage",
    "to_example",
    "write_mix",
]


def collator_tokenizer(config: StxConfig) -> Any:
    """The tokenizer as the training collator sets it up (qlora's EOS and pad handling), so that the
    length statistics count exactly the tokens training will see."""
    from stxlib.training.tokenizer import prepare_tokenizer

    return prepare_tokenizer(config.model)


def write_mix(mix: MixResult, stats: dict[str, Any], paths: RunPaths) -> None:
    """Write train/validation JSON lines and mix_stats.json (each atomically; stats last)."""
    write_jsonl(paths.train_file, mix.train)
    write_jsonl(paths.validation_file, mix.validation)
    write_json(paths.mix_stats, stats)


@dataclass
class DataStageResult:
    """What the data stage wrote: the mix, its statistics (= `data/mix_stats.json`) and its chart."""

    mix: MixResult
    stats: dict[str, Any]
    figures: list[Path]  # plots/data_mix.png, plots/data_mix.svg
    paths: RunPaths

    @property
    def png(self) -> Path:
        return self.figures[0]

    def summary(self) -> str:
        """One line of what was written, then a loud line per warning (an unequal mix)."""
        totals = self.stats["totals"]
        lines = [f"wrote {totals['train']} train / {totals['validation']} validation rows to {self.paths.data_dir}"]
        lines += [f"WARNING: {warning}" for warning in self.stats.get("warnings", [])]
        return "\n".join(lines)


def run_stage(config: StxConfig, paths: RunPaths) -> DataStageResult:
    """Load, mix and measure (every row tokenised once, as the training collator counts it), draw the
    chart into `plots/`, then write the rows and `mix_stats.json` (last: it marks the stage complete)."""
    mix = build_mix(config.data, config.run.seed)
    tokenizer = collator_tokenizer(config)
    lengths = mix_lengths(mix, tokenizer)
    stats = mix_stats(mix, lengths, config.model.tokenizer_name, config.run.seed, config.data)
    from stxlib.data.figures import draw_data_mix  # matplotlib: loaded only when the stage runs

    figures = draw_data_mix(mix, lengths, stats, config.run.name, paths)
    for warning in mix.warnings:
        logger.warning(warning)
    write_mix(mix, stats, paths)
    return DataStageResult(mix, stats, figures, paths)


#: The name tests and benchmarks of other stages use to prepare a run's data.
run_data_stage = run_stage
