"""Win/loss/draw counts and Bradley–Terry strengths (choix iLSR) with seeded vote-bootstrap intervals.

As Shisa's notes describe (specs/shisa.md §5): models -> 0..n−1 (alphabetical), `(winner, loser)` tuples,
`choix.ilsr_pairwise(n, data, alpha)`, centred log-strengths, `P(i beats j) = choix.probabilities([i, j],
params)[0]`, Elo-like scale `400 / ln 10 · log_strength`. Draws: dropped (default) or one win each way.
The bootstrap resamples whole votes with replacement and refits each resample with
`choix.ilsr_pairwise_dense` on the resampled win counts (the same estimator on the same data as the tuple
form, ~10× faster).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import choix
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from stxlib.preferences.votes import PreferenceError, Vote, votes_by_kind
from stxlib.stats.tables import ELO_SCALE

DrawMode = Literal["drop", "split"]


class DisconnectedComparisonsWarning(UserWarning):
    """The comparison graph falls apart into groups: strengths across groups rest on the regularisation alone."""


@dataclass(frozen=True)
class ModelRow:
    model: str
    log_strength: float
    ci_low: float
    ci_high: float
    comparisons: int
    wins: int
    losses: int
    draws: int

    @property
    def strength(self) -> float:
        return math.exp(self.log_strength)

    @property
    def elo(self) -> float:
        return ELO_SCALE * self.log_strength

    @property
    def win_rate(self) -> float:
        return self.wins / self.comparisons if self.comparisons else math.nan

    @property
    def adjusted_win_rate(self) -> float:
        return (self.wins + 0.5 * self.draws) / self.comparisons if self.comparisons else math.nan


@dataclass(frozen=True)
class PairRecord:
    """W/L/D of `model_a` against `model_b` (alphabetical order of the two)."""

    model_a: str
    model_b: str
    wins_a: int
    wins_b: int
    draws: int

    @property
    def n(self) -> int:
        return self.wins_a + self.wins_b + self.draws

    @property
    def win_rate_a(self) -> float:
        return self.wins_a / self.n if self.n else math.nan

    @property
    def adjusted_a(self) -> float:
        return (self.wins_a + 0.5 * self.draws) / self.n if self.n else math.nan


@dataclass
class BtlFit:
    alpha: float
    draws: DrawMode
    resamples: int
    confidence: float
    seed: int
    raters: str  # "human" or "judge:<name>"
    models: list[ModelRow]  # strongest first
    p_win: dict[str, dict[str, float]]
    pairs: list[PairRecord]
    votes: int  # votes fitted (skips excluded)
    skipped: int
    connected: bool
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """`btl.json` exactly as design.md fixes it."""
        return {
            "alpha": self.alpha,
            "draws": self.draws,
            "resamples": self.resamples,
            "models": [
                {
                    "model": m.model,
                    "log_strength": m.log_strength,
                    "ci_low": m.ci_low,
                    "ci_high": m.ci_high,
                    "comparisons": m.comparisons,
                    "wins": m.wins,
                    "losses": m.losses,
                    "draws": m.draws,
                }
                for m in self.models
            ],
            "p_win": self.p_win,
        }

    def summary(self) -> dict[str, Any]:
        """What the report shows beside btl.json: raters, counts, warnings, the per-pair W/L/D table."""
        return {
            "raters": self.raters,
            "votes": self.votes,
            "skipped": self.skipped,
            "confidence": self.confidence,
            "seed": self.seed,
            "connected": self.connected,
            "warnings": self.warnings,
            "elo": {m.model: m.elo for m in self.models},
            "pairs": [
                {"model_a": p.model_a, "model_b": p.model_b, "wins_a": p.wins_a, "wins_b": p.wins_b, "draws": p.draws}
                for p in self.pairs
            ],
        }


def comparison_tuples(votes: Sequence[Vote], index: dict[str, int], draws: DrawMode) -> list[tuple[int, int]]:
    """`(winner, loser)` index pairs as choix takes them; a draw gives none (`drop`) or one each way (`split`)."""
    data = []
    for vote in votes:
        a, b = index[vote.model_a], index[vote.model_b]
        if vote.vote == "a":
            data.append((a, b))
        elif vote.vote == "b":
            data.append((b, a))
        elif vote.vote == "draw" and draws == "split":
            data.extend([(a, b), (b, a)])
    return data


def fit_votes(
    votes: Sequence[Vote],
    *,
    alpha: float = 0.01,
    draws: DrawMode = "drop",
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BtlFit:
    """Fit one kind of rater's votes (skips ignored). Mixed human and judge votes are refused."""
    if draws not in ("drop", "split"):
        raise PreferenceError(f"draws must be 'drop' or 'split', got {draws!r}")
    kinds = votes_by_kind(votes)
    if len(kinds) > 1:
        raise PreferenceError(
            f"these votes mix raters of different kinds ({', '.join(sorted(kinds))}); human and judge-decided "
            "votes (and votes of different judges) are fitted separately: pick one kind"
        )
    counted = [v for v in votes if v.vote != "skip"]
    skipped = len(votes) - len(counted)
    if not counted:
        raise PreferenceError(f"no votes to fit ({skipped} skipped, none for a or b or a draw)")
    models = sorted({m for v in counted for m in (v.model_a, v.model_b)})
    index = {m: i for i, m in enumerate(models)}
    data = comparison_tuples(counted, index, draws)
    if not data:
        raise PreferenceError(f"all {len(counted)} votes are draws, which `draws: drop` leaves out; use draws: split")
    n = len(models)
    weak, strong = _components(n, data)
    messages = []
    if weak > 1:
        message = (
            f"the comparison graph is not connected: {weak} groups of models were never compared with each other "
            f"({_groups_text(models, data)}); strengths across groups rest only on the regularisation alpha={alpha}. "
            "Collect votes between the groups to compare them."
        )
        warnings.warn(message, DisconnectedComparisonsWarning, stacklevel=2)
        messages.append(message)
    if alpha == 0 and strong > 1:
        raise PreferenceError(
            "with alpha=0 (plain maximum likelihood) every model must have won and lost against the others in a "
            "strongly connected comparison graph, and these votes are not; set preferences.alpha (or --alpha) to "
            "a small positive value such as 0.01"
        )
    params = _ilsr(n, data, alpha)
    boot, failed = _bootstrap(counted, index, n, draws, alpha, resamples, seed)
    if failed:
        messages.append(
            f"{failed} of {resamples} bootstrap resamples had no estimate (alpha={alpha}) and were left out"
        )
    tail = (1 - confidence) / 2
    low, high = np.nanquantile(boot, [tail, 1 - tail], axis=0) if len(boot) else (params, params)
    counts = _model_counts(counted, models)
    rows = [
        ModelRow(m, float(params[i]), float(min(low[i], params[i])), float(max(high[i], params[i])), *counts[m])
        for i, m in enumerate(models)
    ]
    rows.sort(key=lambda r: (-r.log_strength, r.model))
    p_win = {
        a: {b: float(choix.probabilities([index[a], index[b]], params)[0]) for b in models if b != a} for a in models
    }
    return BtlFit(
        alpha, draws, resamples, confidence, seed, next(iter(kinds)), rows, p_win, pair_records(counted),
        len(counted), skipped, weak == 1, messages,
    )  # fmt: skip


def _ilsr(n: int, data: list[tuple[int, int]], alpha: float) -> np.ndarray:
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            params = choix.ilsr_pairwise(n, data, alpha=alpha)
    except (ValueError, RuntimeError) as err:
        raise PreferenceError(
            f"choix.ilsr_pairwise failed with alpha={alpha} ({err}); raise alpha (e.g. 0.01)"
        ) from None
    if not np.isfinite(params).all():
        raise PreferenceError(
            f"choix.ilsr_pairwise found no finite estimate with alpha={alpha}; raise alpha (e.g. 0.01)"
        )
    return params - params.mean()


def _bootstrap(
    votes: Sequence[Vote], index: dict[str, int], n: int, draws: DrawMode, alpha: float, resamples: int, seed: int
) -> tuple[np.ndarray, int]:
    """Centred log-strengths of `resamples` vote resamples (rows; NaN where a resample has no estimate)."""
    winners, losers, owner = [], [], []
    for k, vote in enumerate(votes):
        for w, loser in comparison_tuples([vote], index, draws):
            winners.append(w)
            losers.append(loser)
            owner.append(k)
    winners_a, losers_a, owner_a = np.asarray(winners), np.asarray(losers), np.asarray(owner)
    rng = np.random.default_rng(seed)
    out = np.full((resamples, n), np.nan)
    failed = 0
    for r in range(resamples):
        weight = np.bincount(rng.integers(0, len(votes), size=len(votes)), minlength=len(votes))
        comp = np.zeros((n, n))
        np.add.at(comp, (winners_a, losers_a), weight[owner_a])
        try:
            with np.errstate(divide="ignore", invalid="ignore"):  # a resample without an estimate is counted below
                params = choix.ilsr_pairwise_dense(comp, alpha=alpha)
        except (ValueError, RuntimeError):
            params = np.full(n, np.nan)
        if not np.isfinite(params).all():
            failed += 1
            continue
        out[r] = params - params.mean()
    return out[~np.isnan(out).any(axis=1)], failed


def _components(n: int, data: list[tuple[int, int]]) -> tuple[int, int]:
    rows, cols = zip(*data, strict=True)
    graph = csr_matrix((np.ones(len(data)), (rows, cols)), shape=(n, n))
    weak = connected_components(graph, directed=True, connection="weak")[0]
    strong = connected_components(graph, directed=True, connection="strong")[0]
    return int(weak), int(strong)


def _groups_text(models: list[str], data: list[tuple[int, int]]) -> str:
    rows, cols = zip(*data, strict=True)
    graph = csr_matrix((np.ones(len(data)), (rows, cols)), shape=(len(models), len(models)))
    _, labels = connected_components(graph, directed=True, connection="weak")
    groups: dict[int, list[str]] = {}
    for model, label in zip(models, labels, strict=True):
        groups.setdefault(int(label), []).append(model)
    return " | ".join(", ".join(g) for g in groups.values())


def _model_counts(votes: Sequence[Vote], models: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """model -> (comparisons, wins, losses, draws) over the counted votes."""
    tally = {m: [0, 0, 0, 0] for m in models}
    for vote in votes:
        for side, model in (("a", vote.model_a), ("b", vote.model_b)):
            t = tally[model]
            t[0] += 1
            if vote.vote == "draw":
                t[3] += 1
            elif vote.vote == side:
                t[1] += 1
            else:
                t[2] += 1
    return {m: (t[0], t[1], t[2], t[3]) for m, t in tally.items()}


def pair_records(votes: Sequence[Vote]) -> list[PairRecord]:
    """W/L/D per unordered pair of models (skips ignored), pairs in alphabetical order."""
    tally: dict[tuple[str, str], list[int]] = {}
    for vote in votes:
        if vote.vote == "skip":
            continue
        first, second = sorted((vote.model_a, vote.model_b))
        t = tally.setdefault((first, second), [0, 0, 0])
        if vote.vote == "draw":
            t[2] += 1
        else:
            winner = vote.model_a if vote.vote == "a" else vote.model_b
            t[0 if winner == first else 1] += 1
    return [PairRecord(a, b, *t) for (a, b), t in sorted(tally.items())]
