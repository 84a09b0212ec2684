"""Tables of a preference fit for the notebook (pandas DataFrames) and the command line (plain text)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from stxlib.preferences.fit import BtlFit
from stxlib.stats.tables import preference_pair_rows, preference_rows


def models_frame(fit: BtlFit) -> pd.DataFrame:
    """One row per model, strongest first: strengths with intervals, Elo-like scale, W/L/D and win rates."""
    return pd.DataFrame(preference_rows(fit.to_json())).set_index("rank")


def pairs_frame(fit: BtlFit) -> pd.DataFrame:
    """W/L/D per pair of models, with `model_a`'s win rate and draw-adjusted win rate."""
    return pd.DataFrame(preference_pair_rows({"fits": [fit.summary()]}))


def p_win_frame(fit: BtlFit) -> pd.DataFrame:
    """`P(row beats column)` under the fitted strengths (diagonal empty)."""
    order = [m.model for m in fit.models]
    return pd.DataFrame(
        [[fit.p_win[a].get(b) if a != b else None for b in order] for a in order], index=order, columns=order
    )


def fit_tables(fits: Mapping[str, BtlFit]) -> list[Styler]:
    """For each fit (human, judge), its three tables captioned with the fit's settings, in display order: the
    models, the pairs and `P(row beats column)`. The notebook shows them with `display(*fit_tables(...))`."""
    tables = []
    for kind, fit in fits.items():
        head = f"{kind}: alpha={fit.alpha}, draws {fit.draws}, {fit.resamples} resamples"
        tables += [
            models_frame(fit).style.format(precision=3).set_caption(f"{head}: models"),
            pairs_frame(fit).style.format(precision=3).set_caption(f"{kind}: pairs"),
            p_win_frame(fit).style.format(precision=3, na_rep="–").set_caption(f"{kind}: P(row beats column)"),
        ]
    return tables


def plot_images(plots: Mapping[str, Sequence[Path]]) -> list[Any]:
    """Every fit's saved charts (PNG), fit by fit, as IPython images for `display(*plot_images(...))`."""
    from IPython.display import Image

    return [Image(filename=str(path)) for paths in plots.values() for path in paths]


def win_rate_matrix(fit: BtlFit) -> pd.DataFrame:
    """Observed draw-adjusted win rate of the row model against the column model (NaN where never compared)."""
    order = [m.model for m in fit.models]
    frame = pd.DataFrame(float("nan"), index=order, columns=order)
    for p in fit.pairs:
        frame.loc[p.model_a, p.model_b] = p.adjusted_a
        frame.loc[p.model_b, p.model_a] = 1 - p.adjusted_a
    return frame


def fit_text(fit: BtlFit) -> str:
    """The fit as the command line prints it."""
    lines = [
        f"Bradley–Terry (choix iLSR, alpha={fit.alpha}, draws={fit.draws}) on {fit.votes} votes of {fit.raters}"
        f" ({fit.skipped} skipped); {fit.confidence:.0%} intervals from {fit.resamples} vote resamples",
        f"{'model':<28} {'log_strength':>12} {'interval':>20} {'elo':>7} {'W':>5} {'L':>5} {'D':>5} {'adj.win':>7}",
    ]
    for m in fit.models:
        interval = f"[{m.ci_low:+.3f}, {m.ci_high:+.3f}]"
        lines.append(
            f"{m.model:<28} {m.log_strength:>+12.3f} {interval:>20} {m.elo:>+7.0f} {m.wins:>5} {m.losses:>5} "
            f"{m.draws:>5} {m.adjusted_win_rate:>7.3f}"
        )
    lines += [f"warning: {w}" for w in fit.warnings]
    return "\n".join(lines)
