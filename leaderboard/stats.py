"""Leaderboard statistics: bootstrap intervals, normalised scores, IQM, probability of improvement.

The suite-level estimators follow rliable (Agarwal et al., "Deep RL at the Edge of the
Statistical Precipice", NeurIPS 2021): the interquartile mean (IQM, the mean of the middle 50%
of all runs x tasks scores, ``scipy.stats.trim_mean(x, 0.25)``), 95% percentile intervals from a
*stratified* bootstrap (runs resampled with replacement within each task), the probability of
improvement P(X > Y) (the Mann-Whitney statistic per task, ties counting one half, averaged over
tasks) and performance profiles (the fraction of runs above a threshold, averaged over tasks).
The ``rliable`` package itself is not a dependency: it pulls in matplotlib, pandas, seaborn,
statsmodels and arch. Every estimator here is seeded and tested against hand-computed values.

Task scores are ragged: ``list[np.ndarray]``, one array of run scores per task (entries may have
a different number of runs per task; the stratified bootstrap resamples each task on its own).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

CONFIDENCE = 0.95
"""coverage of every interval"""
TASK_REPS = 2000
"""bootstrap resamples of a per-task interval"""
SUITE_REPS = 50_000
"""stratified bootstrap resamples of the suite IQM (rliable's examples use 50,000)"""
POI_REPS = 2000
"""stratified bootstrap resamples of a probability of improvement (rliable: 2,000)"""

TaskScores = Sequence[Sequence[float] | np.ndarray]


def _as_array(values: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{what} must be a non-empty 1-d sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} holds non-finite values: {array[~np.isfinite(array)][:5]}")
    return array


def _tasks(task_scores: TaskScores, what: str) -> list[np.ndarray]:
    if len(task_scores) == 0:
        raise ValueError(f"{what} needs at least one task")
    return [_as_array(runs, f"{what}, task {i}") for i, runs in enumerate(task_scores)]


def _percentiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = 100.0 * (1.0 - confidence) / 2.0
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return float(low), float(high)


# ---------------------------------------------------------------------------------- per task
def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    reps: int = TASK_REPS,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampled with replacement).

    Args:
        values: the per-episode scores.
        reps: bootstrap resamples.
        seed: seed of the resampling (the same seed, the same interval).
        confidence: coverage, e.g. 0.95.

    Returns:
        (low, high); a single value gives (value, value).
    """
    array = _as_array(values, "values")
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, array.size, size=(reps, array.size))
    return _percentiles(array[idx].mean(axis=1), confidence)


def normalise(score: float, random_score: float, reference_score: float) -> float:
    """(score - random) / (reference - random): the random policy 0, the reference 1.

    Raises:
        ValueError: the anchors are equal (no scale) or not finite.
    """
    if not (np.isfinite(random_score) and np.isfinite(reference_score)):
        raise ValueError(f"anchors must be finite, got {random_score}, {reference_score}")
    span = reference_score - random_score
    if abs(span) < 1e-12:
        raise ValueError(
            f"the reference and random anchors score the same ({reference_score}); "
            "a protocol needs anchors that differ"
        )
    return float((score - random_score) / span)


# ---------------------------------------------------------------------------------- suite
def iqm(scores: Sequence[float] | np.ndarray | np.ndarray) -> float:
    """Interquartile mean: drop ``floor(n / 4)`` scores at each end, average the rest
    (the same as ``scipy.stats.trim_mean(scores, 0.25)``)."""
    array = np.sort(_as_array(np.ravel(scores), "scores"))
    cut = int(0.25 * array.size)
    return float(array[cut : array.size - cut].mean())


def _iqm_rows(samples: np.ndarray) -> np.ndarray:
    """IQM of each row of a (reps, n) array."""
    ordered = np.sort(samples, axis=1)
    cut = int(0.25 * samples.shape[1])
    return ordered[:, cut : samples.shape[1] - cut].mean(axis=1)


def _stratified_samples(tasks: list[np.ndarray], reps: int, rng: np.random.Generator) -> np.ndarray:
    """(reps, total runs): each task's runs resampled with replacement, tasks side by side."""
    parts = [runs[rng.integers(0, runs.size, size=(reps, runs.size))] for runs in tasks]
    return np.concatenate(parts, axis=1)


def stratified_bootstrap_ci(
    task_scores: TaskScores,
    statistic: Callable[[np.ndarray], np.ndarray] = _iqm_rows,
    reps: int = SUITE_REPS,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` under the stratified bootstrap.

    Args:
        task_scores: one array of run scores per task.
        statistic: maps a (reps, total runs) array to (reps,) values (default: the IQM).
        reps: resamples.
        seed: seed of the resampling.
        confidence: coverage.
    """
    tasks = _tasks(task_scores, "task_scores")
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    rng = np.random.default_rng(seed)
    values = np.empty(reps)
    chunk = max(1, 2_000_000 // sum(runs.size for runs in tasks))
    for start in range(0, reps, chunk):
        size = min(chunk, reps - start)
        values[start : start + size] = statistic(_stratified_samples(tasks, size, rng))
    return _percentiles(values, confidence)


def iqm_interval(
    task_scores: TaskScores, reps: int = SUITE_REPS, seed: int = 0
) -> tuple[float, float, float]:
    """(IQM of all runs x tasks, low, high) with a stratified bootstrap 95% interval."""
    tasks = _tasks(task_scores, "task_scores")
    low, high = stratified_bootstrap_ci(tasks, _iqm_rows, reps, seed)
    return iqm(np.concatenate(tasks)), low, high


def _poi_one(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) + P(X = Y) / 2 over all pairs of runs; x, y are (..., n) and (..., m)."""
    greater = (x[..., :, None] > y[..., None, :]).mean(axis=(-2, -1))
    equal = (x[..., :, None] == y[..., None, :]).mean(axis=(-2, -1))
    return greater + 0.5 * equal


def probability_of_improvement(x_tasks: TaskScores, y_tasks: TaskScores) -> float:
    """P(X > Y): per task the probability that a run of X beats a run of Y (ties count one
    half), averaged over tasks. Both entries must have the same tasks, in the same order."""
    xs, ys = _tasks(x_tasks, "x_tasks"), _tasks(y_tasks, "y_tasks")
    if len(xs) != len(ys):
        raise ValueError(f"x has {len(xs)} tasks and y {len(ys)}; they must share their tasks")
    return float(np.mean([_poi_one(x, y) for x, y in zip(xs, ys, strict=True)]))


def poi_interval(
    x_tasks: TaskScores, y_tasks: TaskScores, reps: int = POI_REPS, seed: int = 0
) -> tuple[float, float, float]:
    """(P(X > Y), low, high): runs of X and of Y resampled within each task."""
    xs, ys = _tasks(x_tasks, "x_tasks"), _tasks(y_tasks, "y_tasks")
    point = probability_of_improvement(xs, ys)
    rng = np.random.default_rng(seed)
    per_task = []
    for x, y in zip(xs, ys, strict=True):
        x_sample = x[rng.integers(0, x.size, size=(reps, x.size))]
        y_sample = y[rng.integers(0, y.size, size=(reps, y.size))]
        per_task.append(_poi_one(x_sample, y_sample))
    low, high = _percentiles(np.mean(per_task, axis=0), CONFIDENCE)
    return point, low, high


def performance_profile(task_scores: TaskScores, taus: Sequence[float] | np.ndarray) -> np.ndarray:
    """For each threshold tau, the fraction of runs scoring above tau, averaged over tasks
    (rliable's run-score distribution)."""
    tasks = _tasks(task_scores, "task_scores")
    taus = np.asarray(taus, dtype=float)
    return np.mean([(runs[None, :] > taus[:, None]).mean(axis=1) for runs in tasks], axis=0)


__all__ = [
    "CONFIDENCE",
    "POI_REPS",
    "SUITE_REPS",
    "TASK_REPS",
    "bootstrap_ci",
    "iqm",
    "iqm_interval",
    "normalise",
    "performance_profile",
    "poi_interval",
    "probability_of_improvement",
    "stratified_bootstrap_ci",
]
