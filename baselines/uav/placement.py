"""Placement baselines for ``netgym/UavOffload-v0``: hover, random, k-means and greedy grid.

Reference: ``shared/reference/uav.md`` section 5 (k-means placement, greedy successive
placement) and section 6.5 (the baselines shipped with the env). Every policy follows netgym's
protocol, ``reset(env)`` then ``act(obs, info) -> action``, on the central env (joint
``MultiDiscrete([n_actions] * K)`` action, one move index per UAV) and reads only the env's
documented public attributes (``params``, ``uav_xy``, ``user_xy``, ``indoor_loss_db``,
``count_associated``, ``sim``).

Placement policies compute K target points and then fly there greedily: each UAV takes the move
(any direction and speed level of ``move_table``, clipped to the lattice like the env clips it)
that brings it closest to its target, ties to the lowest action index (so hover wins a tie). UAVs
are matched to targets by a minimum-total-distance assignment (``linear_sum_assignment``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from ...envs.uav.params import UavParams
from ...envs.uav.radio import UavRadio
from ...envs.uav.sim import move_table

_MARGIN_DB = 40.0
"""SINR margin above the threshold at which the greedy grid tie-break saturates"""
_TIE_DECIMALS = 6
"""distances are rounded to micrometres before argmin so that float noise cannot break ties"""


# ------------------------------------------------------------------------------- helpers
def core_env(env: Any) -> Any:
    """The unwrapped central UAV env; ``ValueError`` for anything else or continuous actions."""
    core = getattr(env, "unwrapped", env)
    params = getattr(core, "params", None)
    if not isinstance(params, UavParams):
        raise ValueError(f"UAV baselines need a netgym/UavOffload-v0 env, got {type(core)}")
    if params.continuous:
        raise ValueError("UAV baselines need discrete (lattice) moves; got continuous=True")
    return core


def lattice_points(params: UavParams) -> np.ndarray:
    """Coordinates (n_cells, 2) of the lattice points, in the env's cell order ``iy * nx + ix``."""
    nx, ny = params.lattice_shape
    iy, ix = np.divmod(np.arange(nx * ny), nx)
    return np.stack([ix, iy], axis=1) * params.grid_cell_m


def lattice_max(params: UavParams) -> np.ndarray:
    """The far corner of the lattice (x, y) in metres (moves are clipped to it)."""
    nx, ny = params.lattice_shape
    return np.array([nx - 1, ny - 1], dtype=float) * params.grid_cell_m


def snap_to_lattice(xy: np.ndarray, params: UavParams) -> np.ndarray:
    """Nearest lattice point of each position (..., 2)."""
    snapped = np.rint(np.asarray(xy, dtype=float) / params.grid_cell_m) * params.grid_cell_m
    return np.clip(snapped, 0.0, lattice_max(params))


def reachable_positions(uav_xy: np.ndarray, params: UavParams) -> np.ndarray:
    """Position after each action of each UAV, (K, n_actions, 2), clipped as the env clips."""
    moved = np.asarray(uav_xy, dtype=float)[:, None, :] + move_table(params)[None]
    return np.clip(moved, 0.0, lattice_max(params))


def moves_toward(uav_xy: np.ndarray, targets: np.ndarray, params: UavParams) -> np.ndarray:
    """Per UAV, the action (within its speed levels) whose end point is closest to its target.

    Args:
        uav_xy: current positions (K, 2).
        targets: target points (K, 2), UAV k flies to ``targets[k]``.
        params: the env's parameters (move table and lattice).

    Returns:
        (K,) int64 actions; ties go to the lowest action index (hover first).
    """
    ends = reachable_positions(uav_xy, params)
    distance = np.linalg.norm(ends - np.asarray(targets, dtype=float)[:, None, :], axis=-1)
    return np.argmin(np.round(distance, _TIE_DECIMALS), axis=1).astype(np.int64)


def match_targets(uav_xy: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Reorder ``targets`` (K, 2) so that UAV k gets row k and the total distance is minimal."""
    cost = np.linalg.norm(uav_xy[:, None, :] - targets[None, :, :], axis=-1)
    rows, cols = linear_sum_assignment(np.round(cost, _TIE_DECIMALS))
    ordered = np.empty_like(targets)
    ordered[rows] = targets[cols]
    return ordered


class TargetPolicy:
    """Base of the placement policies: compute K targets, fly toward them greedily.

    Subclasses implement ``_targets(core) -> (K, 2)``; targets are recomputed whenever the user
    positions change (only with ``user_speed_mps > 0``) and matched to UAVs by minimum distance.
    """

    name = "target"

    def __init__(self) -> None:
        self._core: Any = None
        self._users: np.ndarray | None = None
        self.targets: np.ndarray | None = None
        """current targets (K, 2), row k for UAV k"""

    def reset(self, env: Any) -> None:
        self._core = core_env(env)
        self._users = None
        self.targets = None

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        if self._core is None:
            raise RuntimeError(f"{type(self).__name__}.act before reset(env)")
        core = self._core
        users = core.user_xy
        uav_xy = core.uav_xy
        if self._users is None or not np.array_equal(users, self._users):
            self._users = users
            self.targets = match_targets(uav_xy, np.asarray(self._targets(core), dtype=float))
        return moves_toward(uav_xy, self.targets, core.params)

    def _targets(self, core: Any) -> np.ndarray:
        raise NotImplementedError


# ------------------------------------------------------------------------------- policies
class Hover:
    """Every UAV hovers where it started (action 0)."""

    name = "hover"

    def __init__(self) -> None:
        self._n_uavs = 0

    def reset(self, env: Any) -> None:
        self._n_uavs = core_env(env).params.n_uavs

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return np.zeros(self._n_uavs, dtype=np.int64)


class RandomMoves:
    """Uniformly random move index per UAV and step, from a generator seeded at construction."""

    name = "random"

    def __init__(self, seed: int | None = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self._n_uavs = 0
        self._n_actions = 1

    def reset(self, env: Any) -> None:
        params = core_env(env).params
        self._n_uavs, self._n_actions = params.n_uavs, params.n_actions

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return self.rng.integers(0, self._n_actions, self._n_uavs).astype(np.int64)


def kmeans(
    points: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    n_init: int = 4,
    iterations: int = 50,
) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding; the best of ``n_init`` runs by inertia.

    Args:
        points: (N, 2) points.
        n_clusters: K >= 1 (may exceed N: surplus centroids sit on existing points).
        rng: the generator of the seeding.
        n_init: restarts (>= 1).
        iterations: Lloyd iterations per restart (>= 1).

    Returns:
        (K, 2) centroids.
    """
    if n_clusters < 1 or n_init < 1 or iterations < 1:
        raise ValueError(
            f"kmeans needs n_clusters, n_init, iterations >= 1, got "
            f"{n_clusters}, {n_init}, {iterations}"
        )
    points = np.asarray(points, dtype=float)
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centroids = _kmeans_pp(points, n_clusters, rng)
        for _ in range(iterations):
            sq = ((points[:, None, :] - centroids[None]) ** 2).sum(-1)
            label = np.argmin(sq, axis=1)
            counts = np.bincount(label, minlength=n_clusters)
            sums = np.zeros_like(centroids)
            np.add.at(sums, label, points)
            # an empty cluster keeps its centroid (it stays on a point from the seeding)
            updated = np.where(
                counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centroids
            )
            if np.allclose(updated, centroids):
                break
            centroids = updated
        inertia = ((points[:, None, :] - centroids[None]) ** 2).sum(-1).min(axis=1).sum()
        if inertia < best_inertia:
            best, best_inertia = centroids, inertia
    return best


def _kmeans_pp(points: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007)."""
    chosen = [points[rng.integers(len(points))]]
    for _ in range(1, n_clusters):
        sq = ((points[:, None, :] - np.asarray(chosen)[None]) ** 2).sum(-1).min(axis=1)
        total = sq.sum()
        index = rng.choice(len(points), p=sq / total) if total > 0 else rng.integers(len(points))
        chosen.append(points[index])
    return np.asarray(chosen, dtype=float)


class KMeansPlacement(TargetPolicy):
    """k-means placement (reference 5; linhhoang ``kmeans.py``): targets = the K centroids of the
    user positions (seeded k-means++, 4 restarts), recomputed when users move."""

    name = "kmeans"

    def __init__(self, seed: int | None = 0) -> None:
        super().__init__()
        self.rng = np.random.default_rng(seed)

    def _targets(self, core: Any) -> np.ndarray:
        return kmeans(core.user_xy, core.params.n_uavs, self.rng)


def sub_sims(params: UavParams) -> list[UavRadio]:
    """Evaluators with 1 .. K UAVs and otherwise the same parameters (index j - 1 has j UAVs)."""
    return [UavRadio(params.replace(n_uavs=j)) for j in range(1, params.n_uavs + 1)]


def greedy_grid_placement(core: Any, sims: list[UavRadio] | None = None) -> np.ndarray:
    """Successive greedy placement on the lattice (reference 5, "Greedy/spiral"; the greedy of
    arXiv 1807.02009): UAV j goes to the lattice point maximising the association of UAVs
    1 .. j (the env's SINR association with j UAVs, users and indoor losses of ``core``), given
    UAVs 1 .. j - 1; all lattice points are scored in one batched call. Ties: lowest cell index.

    Returns:
        (K, 2) lattice positions.
    """
    params = core.params
    sims = sims or sub_sims(params)
    cells = lattice_points(params)
    users, indoor = core.user_xy, core.indoor_loss_db
    placed = np.zeros((0, 2))
    for sim in sims:
        candidates = np.concatenate(
            [np.broadcast_to(placed, (len(cells), *placed.shape)), cells[:, None, :]], axis=1
        )
        association, sinr_db = sim.association_for(candidates, users, indoor)
        served = association >= 0
        served_sinr = np.take_along_axis(sinr_db, np.maximum(association, 0)[..., None], 2)[..., 0]
        margin = np.clip(served_sinr - params.sinr_threshold_db, 0.0, _MARGIN_DB) / _MARGIN_DB
        quality = np.where(served, margin, 0.0).sum(axis=1) / params.n_users  # in [0, 1]
        placed = candidates[int(np.argmax(served.sum(axis=1) + 0.999 * quality))]
    return placed


class GreedyGridPlacement(TargetPolicy):
    """Greedy grid placement (``greedy_grid_placement``), then greedy moves to the targets."""

    name = "greedy-grid"

    def __init__(self) -> None:
        super().__init__()
        self._sims: list[UavRadio] = []

    def reset(self, env: Any) -> None:
        super().reset(env)
        self._sims = sub_sims(self._core.params)

    def _targets(self, core: Any) -> np.ndarray:
        return greedy_grid_placement(core, self._sims)
