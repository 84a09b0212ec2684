"""Statistics on the floor: seeded paired-bootstrap intervals for base → fine-tuned deltas.

`paired_bootstrap` (any per-item values), `format_interval` ("+0.031 [−0.004, +0.066] *"), `align_items` /
`read_item_values` (pair two samples files by item id), and per-format helpers reading the files stx writes
(`jglue_delta`, `jglue_intervals`, `mt_bench_delta`, `mt_bench_intervals`, `output_eval_delta`,
`llm_jp_eval_intervals` from `per_sample.jsonl` with category and AVR intervals). See
docs/statistics.md.
"""

from stxlib.stats.align import Aligned, AlignmentError, align_items, read_item_values
from stxlib.stats.bootstrap import Interval, format_interval, paired_bootstrap, signed
from stxlib.stats.deltas import (
    bootstrap_options,
    intervals_table,
    jglue_delta,
    jglue_intervals,
    jglue_metric,
    mt_bench_delta,
    mt_bench_intervals,
    mt_bench_ratings,
    output_eval_delta,
    output_eval_pairs,
    samples_delta,
)
from stxlib.stats.llm_jp_eval import llm_jp_eval_delta, llm_jp_eval_intervals
from stxlib.stats.tables import contamination_rows, interval_rows, preference_pair_rows, preference_rows

__all__ = [
    "Aligned",
    "AlignmentError",
    "Interval",
    "align_items",
    "bootstrap_options",
    "contamination_rows",
    "format_interval",
    "interval_rows",
    "intervals_table",
    "jglue_delta",
    "jglue_intervals",
    "jglue_metric",
    "llm_jp_eval_delta",
    "llm_jp_eval_intervals",
    "mt_bench_delta",
    "mt_bench_intervals",
    "mt_bench_ratings",
    "output_eval_delta",
    "output_eval_pairs",
    "paired_bootstrap",
    "preference_pair_rows",
    "preference_rows",
    "read_item_values",
    "samples_delta",
    "signed",
]
