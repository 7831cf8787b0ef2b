"""Leaderboard statistics against hand-computed values (and rliable's definitions)."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.leaderboard import stats
from scipy.stats import trim_mean


def test_iqm_drops_a_quarter_at_each_end():
    assert stats.iqm(np.arange(1, 9)) == pytest.approx(4.5)  # mean of 3, 4, 5, 6
    assert stats.iqm([0, 1, 2, 3, 100]) == pytest.approx(2.0)  # floor(5 / 4) = 1 cut each end
    assert stats.iqm([7.0]) == 7.0
    sample = np.random.default_rng(3).normal(size=37)
    assert stats.iqm(sample) == pytest.approx(trim_mean(sample, 0.25))


def test_normalise_maps_random_to_0_and_reference_to_1():
    assert stats.normalise(1.0, 1.0, 3.0) == 0.0
    assert stats.normalise(3.0, 1.0, 3.0) == 1.0
    assert stats.normalise(5.0, 1.0, 3.0) == 2.0
    assert stats.normalise(-1.0, 1.0, -3.0) == pytest.approx(0.5)  # (-1 - 1) / (-3 - 1)
    with pytest.raises(ValueError, match="score the same"):
        stats.normalise(1.0, 2.0, 2.0)


def test_bootstrap_ci_of_two_values_spans_them():
    # the mean of two draws from {0, 1} is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% percentiles are 0 and 1
    assert stats.bootstrap_ci([0.0, 1.0], reps=20_000, seed=1) == (0.0, 1.0)
    assert stats.bootstrap_ci([3.0, 3.0, 3.0]) == (3.0, 3.0)


def test_bootstrap_ci_is_seeded_and_matches_the_normal_interval():
    sample = np.random.default_rng(0).normal(10.0, 2.0, size=400)
    low, high = stats.bootstrap_ci(sample, reps=4000, seed=5)
    assert (low, high) == stats.bootstrap_ci(sample, reps=4000, seed=5)
    half = 1.96 * sample.std() / np.sqrt(sample.size)
    # Monte Carlo error of a 4000-resample percentile: a few percent of the half-width
    assert low == pytest.approx(sample.mean() - half, abs=0.1 * half)
    assert high == pytest.approx(sample.mean() + half, abs=0.1 * half)


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError, match="non-empty"):
        stats.bootstrap_ci([])
    with pytest.raises(ValueError, match="non-finite"):
        stats.iqm([1.0, float("nan")])
    with pytest.raises(ValueError, match="at least one task"):
        stats.iqm_interval([])


# Two tasks with runs {0, 1} and {0, 3}: each task resamples to one of 4 equally likely pairs,
# 16 joint resamples. IQM of 4 values = mean of the middle two. Enumerated by hand:
#   t1 \ t2     {0,0}    {0,3}x2   {3,3}
#   {0,0}         0        0        1.5
#   {0,1}x2       0        0.5      2
#   {1,1}        0.5       1        2
# P(IQM = 0, 0.5, 1, 1.5, 2) = 5/16, 5/16, 2/16, 1/16, 3/16.
TASKS = [np.array([0.0, 1.0]), np.array([0.0, 3.0])]
EXACT = {0.0: 5 / 16, 0.5: 5 / 16, 1.0: 2 / 16, 1.5: 1 / 16, 2.0: 3 / 16}


def test_stratified_bootstrap_iqm_matches_the_enumerated_distribution():
    point, low, high = stats.iqm_interval(TASKS, reps=50_000, seed=0)
    assert point == 0.5  # IQM of [0, 0, 1, 3]
    assert (low, high) == (0.0, 2.0)  # the CDF passes 2.5% at 0 and 97.5% at 2

    seen = []

    def capture(samples: np.ndarray) -> np.ndarray:
        values = np.sort(samples, axis=1)[:, 1:3].mean(axis=1)
        seen.append(values)
        return values

    reps = 40_000
    stats.stratified_bootstrap_ci(TASKS, capture, reps=reps, seed=1)
    values = np.concatenate(seen)
    assert values.size == reps
    for value, probability in EXACT.items():
        tolerance = 4 * np.sqrt(probability * (1 - probability) / reps)
        assert np.mean(values == value) == pytest.approx(probability, abs=tolerance)


def test_stratified_bootstrap_with_one_run_per_task_has_no_spread():
    assert stats.iqm_interval([[0.2], [0.8], [0.5]], reps=100) == (0.5, 0.5, 0.5)


def test_probability_of_improvement_hand_computed():
    # pairs (3,1) (4,1) (4,3.5) win, (3,3.5) loses: 3/4
    assert stats.probability_of_improvement([[3.0, 4.0]], [[1.0, 3.5]]) == 0.75
    assert stats.probability_of_improvement([[1.0]], [[1.0]]) == 0.5  # a tie counts one half
    # 1/3 wins, 1/3 ties: 1/3 + 1/6
    assert stats.probability_of_improvement([[1.0, 2.0, 3.0]], [[2.0]]) == pytest.approx(0.5)
    # averaged over tasks: task 1 certain win, task 2 certain loss
    assert stats.probability_of_improvement([[2.0], [0.0]], [[1.0], [1.0]]) == 0.5
    with pytest.raises(ValueError, match="share their tasks"):
        stats.probability_of_improvement([[1.0]], [[1.0], [2.0]])


def test_poi_interval_brackets_the_point_and_is_seeded():
    x = [[0.9, 1.1, 1.3], [0.5, 0.7]]
    y = [[0.8, 1.0, 1.0], [0.6, 0.4]]
    point, low, high = stats.poi_interval(x, y, reps=2000, seed=4)
    assert low <= point <= high
    assert stats.poi_interval(x, y, reps=2000, seed=4) == (point, low, high)
    assert stats.poi_interval([[2.0]], [[1.0]], reps=50) == (1.0, 1.0, 1.0)


def test_performance_profile_averages_the_fraction_above_tau_over_tasks():
    profile = stats.performance_profile([[0.0, 1.0], [0.5]], [0.25, 0.75, 2.0])
    np.testing.assert_allclose(profile, [0.75, 0.25, 0.0])
