"""Particle swarm optimisation: a global-best swarm that maximises a score over a box.

``ParticleSwarm`` is numpy-vectorised over particles, draws all randomness from its own seeded
``numpy.random.Generator`` and works on any objective through ``ask()`` / ``tell(scores)`` or
``maximize(objective, iterations)``. Its update rule, the constriction defaults (Clerc & Kennedy
2002) and the absorbing walls are derived in ``docs/training.md`` ("The particle swarm"). The
PSO agent (``netgym.agents.pso``) and the UAV placement baselines (``netgym.baselines.uav.pso``)
both use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

W_CONSTRICTION = 0.729
"""inertia weight equal to Clerc & Kennedy's constriction factor chi (phi = 4.1)"""
C_CONSTRICTION = 1.494
"""acceleration coefficients 0.729 * 2.05 (Eberhart & Shi 2000)"""


def as_bounds(dim: int, bounds: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` arrays of shape ``(dim,)`` from scalars or per-dimension sequences."""
    try:
        low, high = bounds
        low = np.broadcast_to(np.asarray(low, dtype=np.float64), (dim,)).copy()
        high = np.broadcast_to(np.asarray(high, dtype=np.float64), (dim,)).copy()
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be (low, high), each a number or {dim} numbers, got {bounds!r}"
        ) from None
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise ValueError(f"bounds must be finite, got low={low.tolist()}, high={high.tolist()}")
    if np.any(low >= high):
        bad = int(np.argmax(low >= high))
        raise ValueError(f"bounds need low < high, got low={low[bad]} >= high={high[bad]} at {bad}")
    return low, high


class ParticleSwarm:
    """Global-best PSO maximising a score over the box ``[low, high]``.

    Each particle has a position ``x``, a velocity ``v`` and its personal best ``p``; ``g`` is
    the best position any particle has seen. After the scores of the current positions are
    told, every particle moves::

        v <- w v + c1 r1 (p - x) + c2 r2 (g - x)      r1, r2 ~ U(0, 1) per particle and dimension
        v <- clip(v, -v_max, v_max)                   v_max = v_max_frac * (high - low)
        x <- clip(x + v, low, high)                   a clipped component's velocity is set to 0

    ``minimize`` maximises the negated objective. The derivation of the defaults and of the
    absorbing walls is in ``docs/training.md`` ("The particle swarm").

    Args:
        dim: number of dimensions.
        bounds: ``(low, high)``, each a number or ``dim`` numbers, with ``low < high``.
        n_particles: swarm size (>= 2).
        w: inertia weight (>= 0).
        c1: cognitive (personal-best) coefficient (>= 0).
        c2: social (global-best) coefficient (>= 0).
        v_max_frac: velocity clamp as a fraction of ``high - low``, in (0, 1].
        seed: seed or generator of all the swarm's randomness (None: OS entropy).
        initial_positions: ``(k, dim)`` positions, ``k <= n_particles``, for the first ``k``
            particles (e.g. a known good setting); the rest start uniformly in the box.

    Raises:
        ValueError: an argument out of range, naming it.
    """

    def __init__(
        self,
        dim: int,
        bounds: Any,
        n_particles: int = 30,
        w: float = W_CONSTRICTION,
        c1: float = C_CONSTRICTION,
        c2: float = C_CONSTRICTION,
        v_max_frac: float = 0.5,
        seed: int | np.random.Generator | None = None,
        initial_positions: np.ndarray | None = None,
    ) -> None:
        _check_int("dim", dim, 1)
        _check_int("n_particles", n_particles, 2)
        for name, value in (("w", w), ("c1", c1), ("c2", c2)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not (isinstance(v_max_frac, (int, float)) and 0 < v_max_frac <= 1):
            raise ValueError(f"v_max_frac must be in (0, 1], got {v_max_frac!r}")
        self.dim = int(dim)
        self.n_particles = int(n_particles)
        self.w, self.c1, self.c2 = float(w), float(c1), float(c2)
        self.v_max_frac = float(v_max_frac)
        self.low, self.high = as_bounds(self.dim, bounds)
        self.v_max = self.v_max_frac * (self.high - self.low)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        shape = (self.n_particles, self.dim)
        self.positions = self.rng.uniform(self.low, self.high, shape)
        self.velocities = self.rng.uniform(-self.v_max, self.v_max, shape)
        if initial_positions is not None:
            given = np.asarray(initial_positions, dtype=np.float64)
            if given.ndim != 2 or given.shape[1] != self.dim or len(given) > self.n_particles:
                raise ValueError(
                    f"initial_positions must be (k <= {self.n_particles}, {self.dim}), "
                    f"got shape {given.shape}"
                )
            if np.any(given < self.low) or np.any(given > self.high):
                raise ValueError(f"initial_positions must lie inside the bounds, got {given}")
            self.positions[: len(given)] = given
        self.best_positions = self.positions.copy()
        """personal bests, (n_particles, dim)"""
        self.best_scores = np.full(self.n_particles, -np.inf)
        """personal best scores (-inf until scored)"""
        self.global_best_position = np.full(self.dim, np.nan)
        """best position found (NaN until the first ``tell``)"""
        self.global_best_score = -np.inf
        self.global_best_iteration = -1
        """iteration (0-based ``tell`` count) whose scores contained the global best"""
        self.last_scores = np.full(self.n_particles, np.nan)
        """scores of the last ``tell``"""
        self.iteration = 0
        """number of ``tell`` calls so far"""

    def ask(self) -> np.ndarray:
        """The positions to score next, ``(n_particles, dim)`` (a copy)."""
        return self.positions.copy()

    def tell(self, scores: np.ndarray, best_scores: np.ndarray | None = None) -> None:
        """Record the scores of the positions from ``ask`` (higher is better), move the swarm.

        Args:
            scores: ``(n_particles,)`` scores of ``ask()``'s positions.
            best_scores: optional fresh ``(n_particles,)`` scores of the personal bests, measured
                on the same noisy episodes as ``scores``. They replace the stored ones before the
                comparison, and the global best is re-chosen among them, so that on a noisy
                objective a once-lucky point cannot lead the swarm forever.

        Raises:
            ValueError: a score array is not ``(n_particles,)`` or not finite.
        """
        scores = self._check_scores("scores", scores)
        rescored = best_scores is not None
        if rescored:
            self.best_scores = self._check_scores("best_scores", best_scores)
        improved = scores > self.best_scores
        self.best_positions[improved] = self.positions[improved]
        self.best_scores[improved] = scores[improved]
        leader = int(np.argmax(self.best_scores))  # ties: the lowest index, deterministically
        if rescored or self.best_scores[leader] > self.global_best_score:
            self.global_best_position = self.best_positions[leader].copy()
            self.global_best_score = float(self.best_scores[leader])
            self.global_best_iteration = self.iteration
        self.last_scores = scores.copy()
        r1, r2 = self.rng.random((2, self.n_particles, self.dim))
        velocities = (
            self.w * self.velocities
            + self.c1 * r1 * (self.best_positions - self.positions)
            + self.c2 * r2 * (self.global_best_position - self.positions)
        )
        velocities = np.clip(velocities, -self.v_max, self.v_max)
        positions = self.positions + velocities
        outside = (positions < self.low) | (positions > self.high)
        self.positions = np.clip(positions, self.low, self.high)
        self.velocities = np.where(outside, 0.0, velocities)  # absorbing walls
        self.iteration += 1

    def _check_scores(self, name: str, scores: Any) -> np.ndarray:
        scores = np.array(scores, dtype=np.float64)
        if scores.shape != (self.n_particles,):
            raise ValueError(f"{name} must have shape ({self.n_particles},), got {scores.shape}")
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"{name} must be finite, got {scores}")
        return scores

    def maximize(
        self,
        objective: Callable[[np.ndarray], Any],
        iterations: int,
        vectorized: bool = True,
    ) -> tuple[np.ndarray, float]:
        """Run ``iterations`` ask/tell rounds on ``objective``; returns (best position, score).

        Args:
            objective: ``objective(positions (n, dim)) -> scores (n,)`` if ``vectorized``, else
                ``objective(position (dim,)) -> score``, called once per particle.
            iterations: rounds to run (>= 1).
            vectorized: how ``objective`` is called.
        """
        _check_int("iterations", iterations, 1)
        for _ in range(iterations):
            positions = self.ask()
            if vectorized:
                scores = objective(positions)
            else:
                scores = [objective(position) for position in positions]
            self.tell(np.asarray(scores, dtype=np.float64))
        return self.global_best_position.copy(), self.global_best_score

    def minimize(
        self,
        objective: Callable[[np.ndarray], Any],
        iterations: int,
        vectorized: bool = True,
    ) -> tuple[np.ndarray, float]:
        """``maximize`` of ``-objective``; returns (best position, minimum value found)."""
        if vectorized:
            position, score = self.maximize(lambda x: -np.asarray(objective(x)), iterations)
        else:
            position, score = self.maximize(lambda x: -objective(x), iterations, False)
        return position, -score

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The swarm's state as ``(arrays, json_able)``, enough to resume it exactly."""
        arrays = {
            "positions": self.positions,
            "velocities": self.velocities,
            "best_positions": self.best_positions,
            "best_scores": self.best_scores,
            "global_best_position": self.global_best_position,
            "global_best_score": np.asarray(self.global_best_score),
            "last_scores": self.last_scores,
            "low": self.low,
            "high": self.high,
        }
        meta = {
            "iteration": self.iteration,
            "global_best_iteration": self.global_best_iteration,
            "rng_state": self.rng.bit_generator.state,
        }
        return {k: np.array(v, copy=True) for k, v in arrays.items()}, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore a state from ``get_state`` (shapes must match this swarm's)."""
        for name in ("positions", "velocities", "best_positions"):
            if arrays[name].shape != (self.n_particles, self.dim):
                raise ValueError(
                    f"saved {name} has shape {arrays[name].shape}, "
                    f"expected {(self.n_particles, self.dim)}"
                )
        self.positions = np.array(arrays["positions"], dtype=np.float64)
        self.velocities = np.array(arrays["velocities"], dtype=np.float64)
        self.best_positions = np.array(arrays["best_positions"], dtype=np.float64)
        self.best_scores = np.array(arrays["best_scores"], dtype=np.float64)
        self.global_best_position = np.array(arrays["global_best_position"], dtype=np.float64)
        self.global_best_score = float(arrays["global_best_score"])
        self.last_scores = np.array(arrays["last_scores"], dtype=np.float64)
        self.low = np.array(arrays["low"], dtype=np.float64)
        self.high = np.array(arrays["high"], dtype=np.float64)
        self.v_max = self.v_max_frac * (self.high - self.low)
        self.iteration = int(meta["iteration"])
        self.global_best_iteration = int(meta["global_best_iteration"])
        self.rng.bit_generator.state = meta["rng_state"]


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


__all__ = ["C_CONSTRICTION", "W_CONSTRICTION", "ParticleSwarm", "as_bounds"]
