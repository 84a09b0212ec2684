"""JGLUE comparison chart."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from helpers import assert_svg, png_size
from matplotlib.patches import Rectangle

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
