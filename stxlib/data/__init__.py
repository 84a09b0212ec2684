"""Stage 1: data mixing."""

from __future__ import annotations

from typing import Any

from stxlib.config import StxConfig
from stxlib.data.mixing import MixError, MixResult, build_mix, load_all
from stxlib.data.sources import DataSourceError, SourceRows, load_source, read_records
from stxlib.data.stats import mix_stats
from stxlib.data.templates import TemplateError, get_field, render_template, to_example
from stxlib.io import write_json, write_jsonl
from stxlib.paths import RunPaths

__all__ = [
    "DataSourceError",
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
    "to_example",
    "write_mix",
]


def collator_tokenizer(config: StxConfig) -> Any:
    """The tokenizer as the training collator sets it up (qlora's EOS and pad handling), so that the
    length statistics count exactly the tokens training will see."""
    from stxlib.train.tokenizer import prepare_tokenizer

    return prepare_tokenizer(config.model)


def write_mix(mix: MixResult, stats: dict[str, Any], paths: RunPaths) -> None:
    """Write train/validation JSON lines and mix_stats.json (each atomically; stats last)."""
    write_jsonl(paths.train_file, mix.train)
    write_jsonl(paths.validation_file, mix.validation)
    write_json(paths.mix_stats, stats)


def run_data_stage(config: StxConfig, paths: RunPaths) -> tuple[MixResult, dict[str, Any]]:
    """Load, mix, measure and write. Returns the mix and its statistics."""
    mix = build_mix(config.data, config.run.seed)
    tokenizer = collator_tokenizer(config)
    stats = mix_stats(mix, tokenizer, config.model.tokenizer_name, config.run.seed, config.data)
    write_mix(mix, stats, paths)
    return mix, stats
