"""Bradley–Terry fits: the same numbers as choix on the same tuples, W/L/D, intervals, warnings, btl.json."""

from __future__ import annotations

import math
import random
import warnings

import choix
import numpy as np
import pytest

from stxlib.preferences import DisconnectedComparisonsWarning, PreferenceError, Vote, fit_votes
from stxlib.preferences.fit import comparison_tuples
from stxlib.preferences.views import models_frame, p_win_frame, pairs_frame, win_rate_matrix

TRUE = {"base": 0.0, "sft": 0.8, "dpo": 1.2, "gpt4": 2.2}


def vote(a: str, b: str, outcome: str, rater: str = "alice", prompt: int = 0) -> Vote:
    return Vote(prompt, "ja", a, b, f"{a} says", f"{b} says", "a", outcome, rater, "2026-01-01T00:00:00+00:00")


def simulated_votes(count: int, seed: int = 0, draw_rate: float = 0.1) -> list[Vote]:
    rng = random.Random(seed)
    models = list(TRUE)
    out = []
    for k in range(count):
        a, b = rng.sample(models, 2)
        if rng.random() < draw_rate:
            outcome = "draw"
        else:
            p_a = 1 / (1 + math.exp(TRUE[b] - TRUE[a]))
            outcome = "a" if rng.random() < p_a else "b"
        out.append(vote(a, b, outcome, prompt=k))
    return out


def test_strengths_equal_a_direct_choix_call_on_the_same_tuples() -> None:
    votes = simulated_votes(300)
    fit = fit_votes(votes, alpha=0.01, resamples=50, seed=0)
    models = sorted(TRUE)  # models are indexed alphabetically
    index = {m: i for i, m in enumerate(models)}
    data = [
        (index[v.model_a], index[v.model_b]) if v.vote == "a" else (index[v.model_b], index[v.model_a])
        for v in votes
        if v.vote in ("a", "b")
    ]
    assert comparison_tuples(votes, index, "drop") == data
    direct = choix.ilsr_pairwise(len(models), data, alpha=0.01)
    direct = direct - direct.mean()
    fitted = {m.model: m.log_strength for m in fit.models}
    assert [fitted[m] for m in models] == pytest.approx(list(direct), abs=1e-12)
    for a in models:
        for b in models:
            if a != b:
                expected = choix.probabilities([index[a], index[b]], direct)[0]
                assert fit.p_win[a][b] == pytest.approx(expected, abs=1e-12)
    # the order of strengths recovers the simulation's
    assert [m.model for m in fit.models] == ["gpt4", "dpo", "sft", "base"]


def test_the_bootstrap_refits_with_the_dense_form_of_the_same_estimator() -> None:
    votes = simulated_votes(200, seed=4)
    models = sorted(TRUE)
    index = {m: i for i, m in enumerate(models)}
    data = comparison_tuples(votes, index, "drop")
    counts = np.zeros((4, 4))
    for winner, loser in data:
        counts[winner, loser] += 1
    dense = choix.ilsr_pairwise_dense(counts, alpha=0.01)
    tuples = choix.ilsr_pairwise(4, data, alpha=0.01)
    assert dense - dense.mean() == pytest.approx(tuples - tuples.mean(), abs=1e-10)


def test_draws_split_counts_one_win_each_way() -> None:
    votes = [vote("x", "y", "a"), vote("x", "y", "draw"), vote("y", "z", "draw"), vote("z", "x", "b")]
    fit = fit_votes(votes, draws="split", resamples=20)
    data = [(0, 1), (0, 1), (1, 0), (1, 2), (2, 1), (0, 2)]
    direct = choix.ilsr_pairwise(3, data, alpha=0.01)
    assert [m.log_strength for m in sorted(fit.models, key=lambda m: m.model)] == pytest.approx(
        list(direct - direct.mean()), abs=1e-12
    )
    assert fit.to_json()["draws"] == "split"
    dropped = fit_votes(votes, resamples=20)
    assert dropped.draws == "drop" and dropped.votes == 4  # draws still count as comparisons in W/L/D
    x = next(m for m in dropped.models if m.model == "x")
    assert (x.comparisons, x.wins, x.losses, x.draws) == (3, 2, 0, 1)
    assert x.win_rate == pytest.approx(2 / 3) and x.adjusted_win_rate == pytest.approx(2.5 / 3)


def test_win_loss_draw_per_pair_and_skips() -> None:
    votes = [
        vote("b", "a", "a"),
        vote("a", "b", "a"),
        vote("a", "b", "b"),
        vote("b", "a", "draw"),
        vote("a", "b", "skip"),
        vote("a", "c", "a"),
        vote("c", "b", "b"),
    ]
    fit = fit_votes(votes, resamples=30)
    assert fit.votes == 6 and fit.skipped == 1
    pairs = {(p.model_a, p.model_b): (p.wins_a, p.wins_b, p.draws) for p in fit.pairs}
    assert pairs == {("a", "b"): (1, 2, 1), ("a", "c"): (1, 0, 0), ("b", "c"): (1, 0, 0)}
    frame = pairs_frame(fit)
    first = frame.iloc[0]
    assert (first.n, first.win_rate_a, first.adjusted_a) == (4, 0.25, pytest.approx(0.375))
    matrix = win_rate_matrix(fit)
    assert matrix.loc["b", "a"] == pytest.approx(0.625) and math.isnan(matrix.loc["a", "a"])


def test_intervals_are_seeded_and_contain_the_estimate() -> None:
    votes = simulated_votes(240, seed=2)
    first = fit_votes(votes, resamples=150, seed=5)
    again = fit_votes(votes, resamples=150, seed=5)
    other = fit_votes(votes, resamples=150, seed=6)
    assert first.to_json() == again.to_json()
    assert first.to_json()["models"] != other.to_json()["models"]
    for m in first.models:
        assert m.ci_low <= m.log_strength <= m.ci_high
    gpt4, base = first.models[0], first.models[-1]
    assert gpt4.ci_low > base.ci_high  # 240 votes separate the strongest and the weakest clearly


def test_btl_json_has_exactly_the_design_shape() -> None:
    fit = fit_votes(simulated_votes(60, seed=1), resamples=40, seed=0)
    data = fit.to_json()
    assert list(data) == ["alpha", "draws", "resamples", "models", "p_win"]
    assert (data["alpha"], data["draws"], data["resamples"]) == (0.01, "drop", 40)
    for row in data["models"]:
        assert list(row) == ["model", "log_strength", "ci_low", "ci_high", "comparisons", "wins", "losses", "draws"]
    assert set(data["p_win"]) == set(TRUE)
    assert data["p_win"]["gpt4"]["base"] + data["p_win"]["base"]["gpt4"] == pytest.approx(1.0)
    assert sum(m["log_strength"] for m in data["models"]) == pytest.approx(0.0, abs=1e-12)
    table = models_frame(fit)
    assert list(table.index) == [1, 2, 3, 4]
    assert table["elo_like"].iloc[0] == pytest.approx(400 / math.log(10) * data["models"][0]["log_strength"])
    assert p_win_frame(fit).shape == (4, 4)


def test_a_disconnected_comparison_graph_warns_with_the_alpha() -> None:
    votes = [vote("a", "b", "a"), vote("a", "b", "b"), vote("c", "d", "a"), vote("d", "c", "b")]
    with pytest.warns(DisconnectedComparisonsWarning) as caught:
        fit = fit_votes(votes, alpha=0.05, resamples=20)
    message = str(caught[0].message)
    assert "not connected" in message and "2 groups" in message and "alpha=0.05" in message
    assert "a, b | c, d" in message
    assert not fit.connected and fit.warnings == [message]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_votes([vote("a", "b", "a"), vote("b", "a", "a")], resamples=10).connected
    with pytest.warns(DisconnectedComparisonsWarning), pytest.raises(PreferenceError, match="alpha=0"):
        fit_votes(votes, alpha=0.0, resamples=10)


def test_human_and_judge_votes_are_never_fitted_together() -> None:
    votes = [vote("a", "b", "a"), vote("a", "b", "b", rater="judge:gpt-4")]
    with pytest.raises(PreferenceError, match="human, judge:gpt-4"):
        fit_votes(votes)
    judged = fit_votes(
        [vote("a", "b", "a", rater="judge:gpt-4"), vote("b", "a", "a", rater="judge:gpt-4")], resamples=5
    )
    assert judged.raters == "judge:gpt-4"


def test_nothing_to_fit_is_a_clear_error() -> None:
    with pytest.raises(PreferenceError, match="no votes to fit"):
        fit_votes([vote("a", "b", "skip")])
    with pytest.raises(PreferenceError, match="draws: split"):
        fit_votes([vote("a", "b", "draw")])
