"""What the screenshots showed wrong, checked in display coordinates: no label or legend on top of the data,
limit labels inside their axes, horizontal readable value labels."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
from synthetic_run import mix_stats, synthetic_log_history

from stxlib.plots.data_mix import plot_data_mix_summary
from stxlib.plots.jglue import plot_jglue_comparison
from stxlib.plots.loss_curves import plot_loss_curves


def test_best_step_label_covers_no_curve() -> None:
    for best_at, compact in ((350, False), (1000, True), (50, False)):
        fig = plot_loss_curves(synthetic_log_history(best_at=best_at), "run", compact=compact)
        fig.canvas.draw()
        ax = fig.axes[0]
        (label,) = [t for t in ax.texts if t.get_text().strip().startswith("best: step")]
        box = label.get_window_extent()
        assert ax.get_window_extent().contains(box.x0, box.y0) and ax.get_window_extent().contains(box.x1, box.y1)
        for line in ax.get_lines():
            points = line.get_transform().transform(line.get_xydata())
            inside = [(x, y) for x, y in points if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1]
            assert line.get_linestyle() == ":" or not inside, (best_at, line.get_label())
        assert not any(t.get_bbox_patch() for t in ax.texts)  # no opaque box
        plt.close(fig)


def test_data_mix_legend_covers_no_bar_and_limits_are_labelled_inside() -> None:
    fig = plot_data_mix_summary(mix_stats(), "run")
    fig.canvas.draw()
    counts = fig.axes[0]
    legend = counts.get_legend().get_window_extent()
    for bar in [p for p in counts.patches if isinstance(p, Rectangle)]:
        assert not legend.overlaps(bar.get_window_extent()), bar
    assert [t.get_text() for t in counts.get_legend().get_texts()] == ["train", "validation"]
    assert {h.get_facecolor()[:3] for h in counts.get_legend().legend_handles} == {(0.4117647058823529,) * 3}
    for ax, text in ((fig.axes[1], "max 1024"), (fig.axes[2], "max 256")):
        (label,) = [t for t in ax.texts if t.get_text() == text]
        box, frame = label.get_window_extent(), ax.get_window_extent()
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, text
    plt.close(fig)


def test_jglue_value_labels_are_horizontal_and_readable() -> None:
    scores = {"base": {"jsquad": 0.687, "jnli": 0.506}, "finetuned": {"jsquad": 0.835, "jnli": None}}
    fig = plot_jglue_comparison(scores, "run", card=scores)
    labels = [t for t in fig.axes[0].texts if t.get_text() not in ("",)]
    assert labels and all(t.get_rotation() == 0 and t.get_fontsize() >= 8 for t in labels)
    plt.close(fig)
