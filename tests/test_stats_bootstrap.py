"""Seeded paired bootstrap: covers a constructed effect, 0 for identical models, deterministic, formatted."""

from __future__ import annotations

import numpy as np
import pytest

from stxlib.stats import Interval, format_interval, paired_bootstrap


def correlated_scores(rng: np.random.Generator, n: int, effect: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-item scores of two models sharing item difficulty (as real paired evaluations do)."""
    difficulty = rng.normal(0.0, 1.0, n)
    base = difficulty + rng.normal(0.0, 0.5, n)
    new = difficulty + effect + rng.normal(0.0, 0.5, n)
    return base, new


def test_a_constructed_effect_is_covered_and_detected() -> None:
    base, new = correlated_scores(np.random.default_rng(7), 400, effect=0.25)
    interval = paired_bootstrap(base, new, resamples=2000, seed=1)
    assert interval.delta == pytest.approx(new.mean() - base.mean())
    assert interval.low < 0.25 < interval.high
    assert interval.excludes_zero and interval.low > 0
    assert (interval.n, interval.resamples, interval.confidence) == (400, 2000, 0.95)
    assert interval.base == pytest.approx(base.mean()) and interval.new == pytest.approx(new.mean())


def test_coverage_over_many_constructed_samples_is_near_the_nominal_95_percent() -> None:
    rng = np.random.default_rng(2024)
    covered = 0
    trials = 120
    for trial in range(trials):
        base, new = correlated_scores(rng, 150, effect=0.1)
        interval = paired_bootstrap(base, new, resamples=400, seed=trial)
        covered += interval.low <= 0.1 <= interval.high
    assert 0.88 <= covered / trials <= 0.99, covered


def test_pairing_narrows_the_interval_against_an_unpaired_view() -> None:
    base, new = correlated_scores(np.random.default_rng(3), 300, effect=0.0)
    paired = paired_bootstrap(base, new, resamples=1000, seed=0)
    # the same values with the pairing destroyed (new scores shuffled) give a much wider interval
    shuffled = paired_bootstrap(base, np.random.default_rng(1).permutation(new), resamples=1000, seed=0)
    assert (paired.high - paired.low) < 0.6 * (shuffled.high - shuffled.low)


def test_identical_models_give_exactly_zero() -> None:
    values = np.random.default_rng(0).integers(0, 2, 500).astype(float)
    interval = paired_bootstrap(values, values.copy(), resamples=500, seed=3)
    assert interval.delta == 0.0 and interval.low == 0.0 and interval.high == 0.0
    assert not interval.excludes_zero
    assert format_interval(interval) == "0.000 [0.000, 0.000]"


def test_equally_good_models_give_an_interval_around_zero() -> None:
    base, new = correlated_scores(np.random.default_rng(11), 300, effect=0.0)
    interval = paired_bootstrap(base, new, resamples=1000, seed=0)
    assert interval.low < 0 < interval.high and not interval.excludes_zero


def test_the_same_seed_gives_the_same_interval() -> None:
    base, new = correlated_scores(np.random.default_rng(5), 200, effect=0.05)
    first = paired_bootstrap(base, new, resamples=700, seed=42)
    again = paired_bootstrap(list(base), list(new), resamples=700, seed=42)
    other = paired_bootstrap(base, new, resamples=700, seed=43)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    assert first.delta == other.delta


def test_other_statistics_and_rows_resample_together() -> None:
    rng = np.random.default_rng(9)
    gold = rng.normal(size=200)
    base_rows = np.stack([gold + rng.normal(0, 1.0, 200), gold], axis=1)  # (prediction, gold)
    new_rows = np.stack([gold + rng.normal(0, 0.3, 200), gold], axis=1)

    def pearson(rows: np.ndarray) -> float:
        return float(np.corrcoef(rows[:, 0], rows[:, 1])[0, 1])

    interval = paired_bootstrap(base_rows, new_rows, resamples=300, seed=0, statistic=pearson)
    assert interval.delta == pytest.approx(pearson(new_rows) - pearson(base_rows))
    assert interval.excludes_zero and interval.low > 0
    median = paired_bootstrap(base_rows[:, 0], new_rows[:, 0], resamples=200, seed=0, statistic=np.median)
    assert median.delta == pytest.approx(np.median(new_rows[:, 0]) - np.median(base_rows[:, 0]))


def test_format_with_typographic_minus_and_marker() -> None:
    noisy = Interval(0.031, -0.004, 0.066, False, 100, 1000)
    assert format_interval(noisy) == "+0.031 [\u22120.004, +0.066]"
    assert str(noisy) == "+0.031 [\u22120.004, +0.066]"
    clear = Interval(-0.05, -0.09, -0.012, True, 100, 1000)
    assert format_interval(clear) == "\u22120.050 [\u22120.090, \u22120.012] *"
    assert format_interval(clear, 2, marker=" ✱") == "\u22120.05 [\u22120.09, \u22120.01] ✱"
    assert format_interval(clear, show_marker=False) == "\u22120.050 [\u22120.090, \u22120.012]"
    assert format_interval(noisy, 1, percent=True) == "+3.1 pp [\u22120.4, +6.6]"
    assert noisy.scaled(100).high == pytest.approx(6.6)


def test_bad_inputs_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="same items for both models: 3 base values, 2 new"):
        paired_bootstrap([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="empty sample"):
        paired_bootstrap([], [])
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1.0], [2.0], confidence=1.0)
