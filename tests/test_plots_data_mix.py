"""The data-mix chart: stage 1's histograms of the counted token lengths, and the report's summary of
`mix_stats.json` when that chart is missing."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from helpers import assert_svg, png_size
from matplotlib.patches import Rectangle
from synthetic_run import mix_stats

from stxlib.plots.data_mix import plot_data_mix, plot_data_mix_summary
from stxlib.plots.style import save_figure


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_histograms_count_every_row_of_each_source(tmp_path: Path) -> None:
    stats = mix_stats(samples=7, eval_size=3)
    lengths = {
        "snow": ([20, 25, 30, 31, 35, 40, 44], [10, 12, 12, 13, 14, 15, 19]),
        "tydiqa": ([300, 320, 350, 380, 400, 420, 1100], [5, 6, 7, 8, 9, 9, 10]),
        "xlsum": ([800, 900, 950, 1000, 1200, 1400, 1500], [40, 50, 60, 70, 80, 90, 300]),
    }
    fig = plot_data_mix(stats, lengths, "smoke")
    counts, source, target = fig.axes[:3]
    assert sorted(b.get_height() for b in bars(counts))[-3:] == [7, 7, 7]  # train rows per source
    for ax, which in ((source, 0), (target, 1)):
        per_source = ax.containers  # one BarContainer per source, in legend order
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lengths)
        for container, (name, pair) in zip(per_source, lengths.items(), strict=True):
            assert sum(b.get_height() for b in container) == len(pair[which]), name
            # one set of bins for every source
            assert [b.get_x() for b in container] == [b.get_x() for b in per_source[0]]
    limits = [line.get_xdata()[0] for ax in (source, target) for line in ax.get_lines()]
    assert limits == [stats["source_max_len"], stats["target_max_len"]]  # the dashed max-length lines
    png, svg = save_figure(fig, tmp_path / "data_mix")
    plt.close(fig)
    assert png_size(png)[0] > 1500
    assert_svg(svg)


def test_data_mix_summary_from_stats_only(tmp_path: Path) -> None:
    stats = mix_stats(samples=4389, eval_size=1024)
    fig = plot_data_mix_summary(stats, "openorca_stx")
    counts, source, target = fig.axes[:3]
    assert sorted(b.get_height() for b in bars(counts))[-3:] == [4389, 4389, 4389]
    medians = [b.get_width() for b in bars(source)]
    assert medians == [stats["lengths"]["train"][n]["source_tokens"]["median"] for n in ("snow", "tydiqa", "xlsum")]
    assert source.get_xlim()[1] >= 1024 and target.get_xlim()[1] >= 256  # the max-length lines are visible
    assert "openorca_stx" in fig._suptitle.get_text()
    png, svg = save_figure(fig, tmp_path / "data_mix")
    plt.close(fig)
    assert png_size(png)[0] > 1500
    assert_svg(svg)
