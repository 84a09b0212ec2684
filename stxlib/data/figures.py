"""Stage 1's chart: `plots/data_mix.{png,svg}`, drawn from the token lengths the stage has just counted.

The data stage is the only writer of this chart; the report embeds the PNG (see docs/report.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from stxlib.data.mixing import MixResult
from stxlib.data.stats import Lengths, lengths_by_source
from stxlib.paths import RunPaths
from stxlib.plots.data_mix import plot_data_mix
from stxlib.plots.style import save_figure

DATA_MIX_STEM = "data_mix"


def data_mix_stem(paths: RunPaths) -> Path:
    """`plots/data_mix` (the chart is saved as `.png` and `.svg`)."""
    return paths.plots / DATA_MIX_STEM


def draw_data_mix(
    mix: MixResult, lengths: dict[str, Lengths], stats: dict[str, Any], run_name: str, paths: RunPaths
) -> list[Path]:
    """Rows per source and split, and the train split's token-length histograms against the max lengths;
    saved (atomically) as `plots/data_mix.png` and `.svg`. Returns the two paths."""
    fig = plot_data_mix(stats, lengths_by_source(mix.train, lengths["train"]), run_name)
    try:
        return save_figure(fig, data_mix_stem(paths))
    finally:
        plt.close(fig)
