"""Figures of a preference fit: a forest plot of strengths with intervals and a win-rate heatmap."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from stxlib.plots.style import save_figure
from stxlib.preferences.fit import BtlFit
from stxlib.preferences.views import win_rate_matrix
from stxlib.stats.tables import ELO_SCALE


def forest_plot(fit: BtlFit, title: str = "") -> plt.Figure:
    """Centred log-strengths (dots) with their bootstrap intervals (bars), strongest on top; Elo-like axis above."""
    models = list(reversed(fit.models))
    fig, ax = plt.subplots(figsize=(7.0, 1.0 + 0.45 * len(models)))
    y = np.arange(len(models))
    values = np.array([m.log_strength for m in models])
    err = np.array([[m.log_strength - m.ci_low for m in models], [m.ci_high - m.log_strength for m in models]])
    ax.errorbar(values, y, xerr=err, fmt="o", color="#4C72B0", ecolor="#4C72B0", capsize=4)
    ax.axvline(0, color="0.6", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, [f"{m.model}  (n={m.comparisons})" for m in models])
    ax.set_xlabel(f"log-strength (centred); {fit.confidence:.0%} vote-bootstrap intervals, {fit.resamples} resamples")
    top = ax.secondary_xaxis("top", functions=(lambda x: x * ELO_SCALE, lambda e: e / ELO_SCALE))
    top.set_xlabel("Elo-like scale (400 / ln 10 · log-strength)")
    ax.set_ylim(-0.7, len(models) - 0.3)
    ax.set_title(title or f"Bradley–Terry strengths ({fit.raters}, {fit.votes} votes, draws {fit.draws})", pad=32)
    fig.tight_layout()
    return fig


def win_rate_heatmap(fit: BtlFit, title: str = "") -> plt.Figure:
    """Observed draw-adjusted win rate of each row model against each column model (blank: never compared)."""
    matrix = win_rate_matrix(fit)
    size = len(matrix)
    fig, ax = plt.subplots(figsize=(2.0 + 0.9 * size, 1.6 + 0.8 * size))
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu", vmin=0, vmax=1)
    ax.set_xticks(range(size), matrix.columns, rotation=30, ha="right")
    ax.set_yticks(range(size), matrix.index)
    for i in range(size):
        for j in range(size):
            if not math.isnan(values[i, j]):
                color = "white" if abs(values[i, j] - 0.5) > 0.3 else "black"
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", color=color, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="(wins + ½ draws) / comparisons")
    ax.set_title(title or f"Win rate, row vs column ({fit.raters})")
    fig.tight_layout()
    return fig


def save_fit_plots(fit: BtlFit, plots_dir: Path, stem: str) -> list[Path]:
    """`<stem>_strengths.png/.svg` and `<stem>_winrate.png/.svg` under `plots_dir`; returns the PNG paths."""
    written = []
    for suffix, figure in (("strengths", forest_plot(fit)), ("winrate", win_rate_heatmap(fit))):
        written.append(save_figure(figure, plots_dir / f"{stem}_{suffix}")[0])
        plt.close(figure)
    return written
