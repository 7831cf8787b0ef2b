"""PSO placement baselines for ``netgym/UavOffload-v0``: static and per-step (reachable set).

Reference: ``shared/reference/uav.md`` section 5 (PSO for drone-BS placement, Kalantari et al.
arXiv 1709.07356; settings 30 particles, 100 iterations, Clerc-Kennedy w = 0.729,
c1 = c2 = 1.494, fitness = associated users) and the seed paper's PSO benchmark (arXiv
2402.02957). The swarm is ``netgym.baselines.swarm.ParticleSwarm``.

* ``PsoStatic``: PSO over the 2K continuous coordinates; each particle is snapped to the lattice
  before it is scored, so the fitness is exactly the env's association at a reachable lattice
  placement. The UAVs then fly there greedily (``placement.moves_toward``).
* ``PsoStep``: trajectory-respecting PSO (reference 5: "re-optimise each step inside the
  reachable set"): at each step the joint move (one action per UAV) whose resulting positions
  maximise the association. The joint set has ``n_actions ** K`` members; up to
  ``max_exhaustive`` (default 4096: 9^3 = 729 for the paper preset, 9^2 = 81 for the small one)
  it is searched exhaustively, above that by a discrete PSO over the K action indices (each
  coordinate in ``[0, n_actions)``, floored). Ties in the count are broken by the distance of
  the unserved users to the nearest UAV with spare capacity (``PsoStep._score``), then by the
  lowest joint index (all-hover first).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..swarm import ParticleSwarm
from .placement import TargetPolicy, core_env, lattice_max, reachable_positions, snap_to_lattice


def pso_placement(
    core: Any,
    rng: np.random.Generator,
    n_particles: int = 30,
    iterations: int = 100,
) -> tuple[np.ndarray, int]:
    """Static PSO placement on the lattice (reference 5 settings).

    Args:
        core: the central env (``params``, ``uav_xy``, ``count_associated``).
        rng: the swarm's generator.
        n_particles: swarm size (>= 2).
        iterations: PSO rounds (>= 1).

    Returns:
        (K, 2) lattice positions and their association count. The current UAV positions seed
        one particle, so the result is never worse than staying.
    """
    params = core.params
    k = params.n_uavs
    high = np.tile(lattice_max(params), k)
    swarm = ParticleSwarm(
        2 * k,
        (0.0, high),
        n_particles=n_particles,
        seed=rng,
        initial_positions=core.uav_xy.reshape(1, -1),
    )

    def fitness(positions: np.ndarray) -> np.ndarray:
        placed = snap_to_lattice(positions.reshape(-1, k, 2), params)
        return core.count_associated(placed).astype(float)

    best, score = swarm.maximize(fitness, iterations)
    return snap_to_lattice(best.reshape(k, 2), params), int(score)


class PsoStatic(TargetPolicy):
    """Static PSO placement (``pso_placement``), then greedy moves to the targets."""

    name = "pso-static"

    def __init__(self, seed: int | None = 0, n_particles: int = 30, iterations: int = 100) -> None:
        super().__init__()
        if n_particles < 2 or iterations < 1:
            raise ValueError(
                f"PsoStatic needs n_particles >= 2 and iterations >= 1, got "
                f"{n_particles}, {iterations}"
            )
        self.rng = np.random.default_rng(seed)
        self.n_particles = n_particles
        self.iterations = iterations

    def _targets(self, core: Any) -> np.ndarray:
        return pso_placement(core, self.rng, self.n_particles, self.iterations)[0]


class PsoStep:
    """Per-step PSO within the reachable set (see the module docstring)."""

    name = "pso-step"

    def __init__(
        self,
        seed: int | None = 0,
        max_exhaustive: int = 4096,
        n_particles: int = 30,
        iterations: int = 30,
    ) -> None:
        if max_exhaustive < 1 or n_particles < 2 or iterations < 1:
            raise ValueError(
                f"PsoStep needs max_exhaustive >= 1, n_particles >= 2, iterations >= 1, got "
                f"{max_exhaustive}, {n_particles}, {iterations}"
            )
        self.rng = np.random.default_rng(seed)
        self.max_exhaustive = max_exhaustive
        self.n_particles = n_particles
        self.iterations = iterations
        self._core: Any = None
        self._joint: np.ndarray | None = None

    @property
    def exhaustive(self) -> bool:
        """Whether the joint reachable set of the env at ``reset`` is searched exhaustively."""
        return self._joint is not None

    def reset(self, env: Any) -> None:
        self._core = core_env(env)
        params = self._core.params
        size = params.n_actions**params.n_uavs
        self._joint = None
        if size <= self.max_exhaustive:
            joint = itertools.product(range(params.n_actions), repeat=params.n_uavs)
            self._joint = np.array(list(joint), dtype=np.int64).reshape(size, params.n_uavs)

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        if self._core is None:
            raise RuntimeError("PsoStep.act before reset(env)")
        core = self._core
        ends = reachable_positions(core.uav_xy, core.params)  # (K, A, 2)
        if self._joint is not None:
            scores = self._score(ends, self._joint)
            return self._joint[int(np.argmax(scores))].copy()
        k, n_actions = core.params.n_uavs, core.params.n_actions
        swarm = ParticleSwarm(
            k,
            (0.0, n_actions - 1e-9),
            n_particles=self.n_particles,
            seed=self.rng,
            initial_positions=np.zeros((1, k)),  # all hover
        )
        best, _ = swarm.maximize(
            lambda x: self._score(ends, np.floor(x).astype(np.int64)), self.iterations
        )
        return np.floor(best).astype(np.int64)

    def _score(self, ends: np.ndarray, joint: np.ndarray) -> np.ndarray:
        """count + a tie-break in [0, 1) of each joint action row (M, K).

        The tie-break is 1 - the mean over unassociated users of the horizontal distance to the
        nearest UAV with spare capacity (over the area diagonal; 0 when no UAV has any), which
        pulls UAVs with spare capacity toward unserved users instead of hovering on a plateau.
        """
        core = self._core
        params = core.params
        placed = ends[np.arange(params.n_uavs)[None, :], joint]  # (M, K, 2)
        association = core.association_for(placed)  # (M, N)
        served = association >= 0
        load = (association[..., None] == np.arange(params.n_uavs)).sum(axis=1)  # (M, K)
        delta = core.user_xy[None, :, None, :] - placed[:, None, :, :]
        distance = np.sqrt((delta * delta).sum(axis=-1))  # (M, N, K)
        diagonal = float(np.hypot(*params.area_m))
        distance = np.where((load < params.capacity)[:, None, :], distance, diagonal)
        nearest = np.minimum(distance.min(axis=2), diagonal) / diagonal
        waiting = np.where(served, 0.0, nearest).sum(axis=1) / params.n_users
        return served.sum(axis=1) + 0.999 * (1.0 - waiting)
