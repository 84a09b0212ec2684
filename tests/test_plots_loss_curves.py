"""Loss-curve plot: parsing the trainer's log history, the chart's content, and the saved PNG/SVG."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from helpers import assert_svg, png_size
from synthetic_run import synthetic_log_history

from stxlib.plots.loss_curves import parse_log_history, plot_loss_curves, plot_loss_overlay
from stxlib.plots.style import save_figure


def test_parse_splits_train_eval_and_learning_rate() -> None:
    history = synthetic_log_history(max_steps=100, logging_steps=10, eval_steps=25, best_at=50)
    curves = parse_log_history(history)
    assert curves.train_steps == list(range(10, 101, 10))
    assert curves.eval_steps == [25, 50, 75, 100]
    assert curves.lr_steps == curves.train_steps and set(curves.learning_rate) == {2e-4}
    # the final summary record (train_loss, no loss) is not a point of the curve
    assert len(curves.train_loss) == 10
    assert curves.best == (50, min(curves.eval_loss))
    assert curves.steps_per_epoch == pytest.approx(823.0, rel=1e-3)


def test_parse_drops_non_finite_and_prefers_the_earliest_best_on_ties() -> None:
    history = [
        {"loss": 2.0, "learning_rate": 1e-4, "epoch": 0.1, "step": 1},
        {"loss": math.nan, "learning_rate": 1e-4, "epoch": 0.2, "step": 2},
        {"eval_loss": 1.5, "epoch": 0.2, "step": 2},
        {"eval_loss": math.inf, "epoch": 0.3, "step": 3},
        {"eval_loss": 1.5, "epoch": 0.4, "step": 4},
    ]
    curves = parse_log_history(history)
    assert curves.train_steps == [1] and curves.eval_steps == [2, 4]
    assert curves.dropped == 2
    assert curves.best == (2, 1.5)


@pytest.mark.parametrize("bad", [{"loss": 1}, "text", [1, 2]])
def test_parse_rejects_what_is_not_a_log_history(bad) -> None:
    with pytest.raises(ValueError, match="log_history"):
        parse_log_history(bad)


def test_loss_chart_has_both_curves_best_marker_lr_axis_and_labels(tmp_path: Path) -> None:
    history = synthetic_log_history(best_at=350)
    fig = plot_loss_curves(history, "openorca_stx")
    ax, lr_ax = fig.axes[0], fig.axes[-1]
    assert "openorca_stx" in ax.get_title()
    assert ax.get_xlabel() == "optimizer step" and "loss" in ax.get_ylabel()
    assert lr_ax.get_ylabel() == "learning rate"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("training loss" in t for t in legend) and any("validation loss" in t for t in legend)
    assert any("best checkpoint (step 350" in t for t in legend)
    assert any("learning rate" in t for t in legend)
    paths = save_figure(fig, tmp_path / "loss_curves")
    plt.close(fig)
    width, height = png_size(paths[0])
    assert 1200 <= width <= 2000 and 600 <= height <= 1200, (width, height)
    assert_svg(paths[1])


def test_best_step_from_the_summary_wins_over_the_argmin() -> None:
    history = synthetic_log_history(best_at=350)
    fig = plot_loss_curves(history, "run", best_step=400)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert any("best checkpoint (step 400" in t for t in legend)


def test_compact_thumbnail_and_empty_history(tmp_path: Path) -> None:
    fig = plot_loss_curves(synthetic_log_history(), "run", compact=True, figsize=(6.0, 3.6))
    (small,) = save_figure(fig, tmp_path / "small", ("png",))
    plt.close(fig)
    width, height = png_size(small)
    assert 700 <= width <= 1000 and 400 <= height <= 750, (width, height)
    fig = plot_loss_curves([], "run", empty_message="training has not run")
    texts = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    assert texts == ["training has not run"]


def test_overlay_draws_one_colour_per_run(tmp_path: Path) -> None:
    runs = {"r8": synthetic_log_history(best_at=300), "r64": synthetic_log_history(best_at=450, seed=1)}
    fig = plot_loss_overlay(runs, title="two runs")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["r8", "r64"]
    (png,) = save_figure(fig, tmp_path / "overlay", ("png",))
    plt.close(fig)
    assert png_size(png)[0] > 1000
