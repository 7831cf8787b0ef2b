"""Upper bounds on the UAV association A_t (``shared/reference/uav.md`` section 5, "Upper bounds").

Every trajectory policy on ``netgym/UavOffload-v0`` (discrete lattice moves) sits below all of:

1. ``capacity_bound``: A_t <= min(N, K * C) (reference 5, bound 1).
2. ``interference_free_bound``: A_t <= #users u with max over lattice positions p of
   SNR(p, u) >= threshold (reference 5, bound 2), here also capped by K * C. SNR is the env's own
   received power (channel model, altitude, indoor loss) over the thermal noise alone: co-channel
   UAV interference and BS interference can only lower the SINR, so a user below the threshold
   at its best lattice point can never be associated.
3. ``milp_optimum``: the per-step optimum of capacitated coverage on the lattice (reference 5,
   bound 3), solved exactly as a MILP by ``scipy.optimize.milp`` (HiGHS) on small maps.

Bounds 2 and 3 hold for the lattice (discrete) mode only: ``bounds_for`` refuses
``continuous=True``. ``bounds_for(env)`` returns all three for the env's current users, and
``BoundsInfo`` is a wrapper that adds them and the association as a fraction of each to
``info`` (the env itself reports only ``assoc_fraction`` = A_t / bound 1).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, vstack

from ...envs.core.budget import check_memory
from ...envs.uav.params import UavParams
from ...envs.uav.radio import UavRadio
from .placement import lattice_points

BYTES_PER_PAIR = 64
"""memory of one user/lattice-point pair of the interference-free SNR table and its
temporaries"""
MAX_MILP_PAIRS = 5000
"""default size limit of ``milp_optimum``: lattice points x users"""


def capacity_bound(params: UavParams) -> int:
    """min(N, K * C) (reference 5, bound 1)."""
    return min(params.n_users, params.n_uavs * params.capacity)


def _snr_db(
    user_xy: np.ndarray, params: UavParams, indoor_loss_db: np.ndarray | float
) -> np.ndarray:
    """Interference-free SNR (dB) of every user from every lattice point, (N, n_cells)."""
    user_xy = np.asarray(user_xy, dtype=float)
    if user_xy.ndim != 2 or user_xy.shape[1] != 2:
        raise ValueError(f"user_xy must have shape (N, 2), got {user_xy.shape}")
    indoor = np.broadcast_to(np.asarray(indoor_loss_db, dtype=float), (len(user_xy),))
    check_memory(
        "the UAV interference-free bound",
        len(user_xy) * float(params.n_cells) * BYTES_PER_PAIR,
        f"{len(user_xy)} users x {params.n_cells} lattice points",
    )
    radio = UavRadio(params)
    rx_mw = radio.rx_mw(lattice_points(params)[None], user_xy[None], indoor[None])[0]
    return 10.0 * np.log10(rx_mw / radio.noise_mw)


def coverable_users(
    user_xy: np.ndarray, params: UavParams, indoor_loss_db: np.ndarray | float = 0.0
) -> np.ndarray:
    """(N,) bool: users whose best lattice point gives SNR >= threshold (reference 5, bound 2)."""
    snr_db = _snr_db(user_xy, params, indoor_loss_db)
    return snr_db.max(axis=1) >= params.sinr_threshold_db


def interference_free_bound(
    user_xy: np.ndarray, params: UavParams, indoor_loss_db: np.ndarray | float = 0.0
) -> int:
    """min(#coverable users, K * C) (reference 5, bound 2, capped by bound 1)."""
    covered = int(coverable_users(user_xy, params, indoor_loss_db).sum())
    return min(covered, params.n_uavs * params.capacity)


def milp_optimum(
    user_xy: np.ndarray,
    params: UavParams,
    indoor_loss_db: np.ndarray | float = 0.0,
    max_pairs: int = MAX_MILP_PAIRS,
    time_limit_s: float = 60.0,
) -> int:
    """Exact per-step optimum of capacitated coverage on the lattice (reference 5, bound 3).

    The MILP (SINR model: interference-free SNR, i.e. received power over thermal noise, the
    tractable exact form; reference 5 calls it "SNR as a relaxation of SINR")::

        max  sum_{u,c} x_uc
        s.t. sum_c y_c = K                        K UAVs (several may share a lattice point)
             sum_c x_uc <= 1          for all u   one server per user
             sum_u x_uc <= C y_c      for all c   capacity of the UAVs at point c
             x_uc <= y_c                          linking
             y_c in {0, .., K},  0 <= x_uc <= 1,  x_uc only for pairs with SNR(c, u) >= threshold

    For integral ``y`` the constraints on ``x`` are a bipartite transportation polytope (totally
    unimodular), so continuous ``x`` already has an integral optimum: the value is exact.

    Every discrete-mode env placement is feasible here (UAVs on lattice points, each user on at
    most one UAV with SINR <= SNR above the threshold, loads <= C), so with co-channel (and BS)
    interference the optimum is an upper bound on the achievable association, not its value;
    with ``interference="none"`` and no BS interference it is the exact optimum over lattice
    placements and assignments (the env's greedy association may stay below it). It does not
    bound continuous-mode (off-lattice) placements.

    Args:
        user_xy: (N, 2) user positions.
        params: the env's parameters.
        indoor_loss_db: (N,) or scalar O2I loss added to each user's links.
        max_pairs: size limit on lattice points x users.
        time_limit_s: HiGHS time limit; hitting it raises ``RuntimeError`` (no silent bound).

    Raises:
        ValueError: the map is larger than ``max_pairs`` or ``user_xy`` is malformed.
        RuntimeError: the solver did not prove optimality.
    """
    n_users, n_cells = params.n_users, params.n_cells
    if n_users * n_cells > max_pairs:
        raise ValueError(
            f"milp_optimum is for small maps: {n_cells} lattice points x {n_users} users = "
            f"{n_cells * n_users} pairs > max_pairs={max_pairs} (raise max_pairs to try anyway)"
        )
    snr_db = _snr_db(user_xy, params, indoor_loss_db)
    if snr_db.shape[0] != n_users:
        raise ValueError(f"user_xy must have {n_users} rows (params.n_users), got {len(snr_db)}")
    users, cells = np.nonzero(snr_db >= params.sinr_threshold_db)
    n_pairs = len(users)
    if n_pairs == 0:
        return 0
    k, cap = params.n_uavs, params.capacity
    # variables: y_0 .. y_{n_cells - 1}, then x_p for the coverable pairs p
    n_vars = n_cells + n_pairs
    pair = np.arange(n_pairs)
    x_col = n_cells + pair
    ones = np.ones(n_pairs)
    count = coo_array((np.ones(n_cells), (np.zeros(n_cells), np.arange(n_cells))), (1, n_vars))
    per_user = coo_array((ones, (users, x_col)), (n_users, n_vars))
    per_cell = coo_array(
        (
            np.concatenate([ones, -cap * np.ones(n_cells)]),
            (
                np.concatenate([cells, np.arange(n_cells)]),
                np.concatenate([x_col, np.arange(n_cells)]),
            ),
        ),
        (n_cells, n_vars),
    )
    link = coo_array(
        (np.concatenate([ones, -ones]), (np.tile(pair, 2), np.concatenate([x_col, cells]))),
        (n_pairs, n_vars),
    )
    constraints = [
        LinearConstraint(count, k, k),
        LinearConstraint(
            vstack([per_user, per_cell, link]),
            -np.inf,
            np.concatenate([np.ones(n_users), np.zeros(n_cells + n_pairs)]),
        ),
    ]
    objective = np.concatenate([np.zeros(n_cells), -np.ones(n_pairs)])
    integrality = np.concatenate([np.ones(n_cells), np.zeros(n_pairs)])
    upper = np.concatenate([np.full(n_cells, k), np.ones(n_pairs)])
    result = milp(
        objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0, upper),
        options={"time_limit": time_limit_s},
    )
    if result.status != 0:
        raise RuntimeError(f"milp_optimum: HiGHS did not prove optimality ({result.message})")
    return int(round(-result.fun))


def bounds_for(
    env: Any, milp: bool = True, max_pairs: int = MAX_MILP_PAIRS
) -> dict[str, int | None]:
    """The three bounds for the env's current users.

    Returns:
        ``{"capacity": ..., "interference_free": ..., "milp": ...}``; ``milp`` is None when
        ``milp`` is False or the map exceeds ``max_pairs``.
    """
    core = getattr(env, "unwrapped", env)
    params = core.params
    if params.continuous:
        raise ValueError(
            "the interference-free and MILP bounds score lattice positions only; a UAV off the "
            "lattice (continuous=True) can serve more, so they do not bound that mode"
        )
    users, indoor = core.user_xy, core.indoor_loss_db
    out: dict[str, int | None] = {
        "capacity": capacity_bound(params),
        "interference_free": interference_free_bound(users, params, indoor),
        "milp": None,
    }
    if milp and params.n_users * params.n_cells <= max_pairs:
        out["milp"] = milp_optimum(users, params, indoor, max_pairs=max_pairs)
    return out


class BoundsInfo(gym.Wrapper):
    """Adds ``bound_<name>`` and ``assoc_fraction_<name>`` (A_t / bound) to ``info`` for the
    bounds of ``bounds_for`` (recomputed only when the users move); the MILP only on small maps."""

    def __init__(self, env: gym.Env, milp: bool = True, max_pairs: int = MAX_MILP_PAIRS) -> None:
        super().__init__(env)
        self._milp, self._max_pairs = milp, max_pairs
        self._users: np.ndarray | None = None
        self._bounds: dict[str, int | None] = {}

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._users = None
        return obs, self._augment(info)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self._augment(info)

    def _augment(self, info: dict[str, Any]) -> dict[str, Any]:
        users = self.env.unwrapped.user_xy
        if self._users is None or not np.array_equal(users, self._users):
            self._users = users
            self._bounds = bounds_for(self.env, self._milp, self._max_pairs)
        info = dict(info)
        for name, bound in self._bounds.items():
            if bound is not None:
                info[f"bound_{name}"] = bound
                info[f"assoc_fraction_{name}"] = info["n_assoc"] / bound if bound else 1.0
        return info
