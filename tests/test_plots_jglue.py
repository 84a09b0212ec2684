"""JGLUE comparison chart and the data-mix summary chart."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
from test_plots_loss_curves import assert_svg, png_size
from test_report_synthetic import mix_stats

from stxlib.plots.data_mix import plot_data_mix_summary
from stxlib.plots.jglue import plot_jglue_comparison, short_task
from stxlib.plots.style import save_figure
from stxlib.published import CARD_MODEL_NAMES, CARD_RESULTS, CARD_TASKS


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_jglue_chart_has_a_bar_per_model_task_and_card_value(tmp_path: Path) -> None:
    scores = {
        "base": {
            "jsquad-1.1-0.3": 0.6873,
            "jcommonsenseqa-1.1-0.3": 0.8284,
            "jnli-1.1-0.3": 0.5062,
            "marc_ja-1.1-0.3": 0.9372,
        },
        "finetuned": {
            "jsquad-1.1-0.3": 0.8352,
            "jcommonsenseqa-1.1-0.3": None,
            "jnli-1.1-0.3": 0.4811,
            "marc_ja-1.1-0.3": 0.9588,
        },
    }
    fig = plot_jglue_comparison(scores, "smoke", CARD_RESULTS, CARD_TASKS, card_names=CARD_MODEL_NAMES)
    ax = fig.axes[0]
    heights = sorted(round(b.get_height(), 4) for b in bars(ax))
    expected = [v for per in scores.values() for v in per.values() if v is not None]
    expected += [v for per in CARD_RESULTS.values() for v in per.values()]
    assert heights == sorted(round(v, 4) for v in expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == [short_task(t) for t in CARD_TASKS]
    assert "n/a" in [t.get_text() for t in ax.texts]  # the missing finetuned jcommonsenseqa value
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "base (this run)",
        f"card: {CARD_MODEL_NAMES['base']}",
        "finetuned (this run)",
        f"card: {CARD_MODEL_NAMES['finetuned']}",
    ]
    assert "smoke" in ax.get_title() and ax.get_ylabel() == "score (0–1)"
    png, svg = save_figure(fig, tmp_path / "jglue_comparison")
    plt.close(fig)
    width, height = png_size(png)
    assert width > 1000 and height > 500
    assert_svg(svg)


def test_jglue_chart_without_card_or_results() -> None:
    fig = plot_jglue_comparison({"base": {"jnli-1.1-0.3": 0.3}}, "run")
    assert len(bars(fig.axes[0])) == 1 and fig.axes[0].get_legend() is not None
    plt.close(fig)
    fig = plot_jglue_comparison({}, "run")
    assert [t.get_text() for t in fig.axes[0].texts] == ["no JGLUE results"]
    plt.close(fig)


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
