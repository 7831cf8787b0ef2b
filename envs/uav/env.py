"""``netgym/UavOffload-v0``: the centralised Gymnasium env and its native vector env, both over
``UavSim``. The PettingZoo env is in ``parallel.py`` (and ``uav_offload_v0.py``); its names are
re-exported here so that the old import paths keep working for one release."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..core.scalar import SimEnv
from ..core.vector import NumpyVectorEnv
from .memory import bytes_per_env
from .parallel import UavOffloadParallelEnv
from .params import UavParams
from .sim import UavSim
from .spaces import (
    agent_action_space,
    agent_observation_space,
    central_spaces,
    check_joint_actions,
)
from .uav_offload_v0 import env, parallel_env, raw_env
from .view import SHARED_DOC, SimArray, SingleEnvView


class UavOffloadEnv(SingleEnvView, SimEnv):
    """Multi-UAV cellular offloading, centralised: one controller moves every UAV.

    ## Description

    K UAVs at a fixed altitude fly over N ground users (hotspots, uniform or clusters) that are
    otherwise served by terrestrial macro BSs. After each move every user/UAV pair gets an
    air-to-ground path loss (Al-Hourani by default), a received power and an SINR with
    co-channel interference among the UAVs; users are associated greedily by SINR under the
    QoS threshold and a per-UAV capacity (reference/uav.md 6). The goal is to keep as many
    users as possible on the UAVs (the seed paper's objective, arXiv 2402.02957).

    ## Action Space

    ``MultiDiscrete([1 + D * L] * K)``: per UAV, 0 = hover, ``1 + d + D * (l - 1)`` = move in
    direction ``d`` (E, N, W, S; with 8 directions E, NE, N, NW, W, SW, S, SE) at speed level
    ``l``, i.e. ``speed_l * dt / grid_cell_m`` cells; moves are clipped to the area. With
    ``continuous=True``: ``Box(-1, 1, (2K,))``, UAV k's velocity in units of the top speed
    (entries 2k, 2k + 1; a norm above 1 is scaled to 1). An action of another shape or outside
    the Box is refused with a ``ValueError``, never reshaped or clipped (agents clip to their
    action space, as SB3's do).
    """

    __doc__ += (
        SHARED_DOC
        + """
    Central observations: tabular ``MultiDiscrete([n_cells] * K)``; vector ``Box(0, 1, (3K + 2
    + G^2,))`` = ``state()`` (all positions / area, loads / capacity, A_t / N, t / T, heatmap);
    image ``Box(0, 1, (1 + K, G, G))`` (heatmap, then one position plane per UAV).

    ## Arguments

    ``params`` (a ``UavParams``, a dict, a preset name 'paper' or 'small', or None) and/or any
    ``UavParams`` field as a keyword, e.g. ``gym.make("netgym/UavOffload-v0", params="small",
    reward="global")``; ``render_mode="rgb_array"``.

    Public attributes: ``uav_xy`` (K, 2), ``user_xy`` (N, 2), ``bs_xy``, ``association`` (N,),
    ``sinr_db`` (N, K), ``params``, ``sim``; ``association_for(uav_xy)`` and
    ``count_associated(uav_xy)`` evaluate placements with the env's association code.
    ``info``: n_assoc, load (K,), coverage (A_t / N), upper_bound (min(N, K C)),
    assoc_fraction (A_t / upper_bound), bound_interference_free (users that reach the SINR
    threshold from their best lattice position without any interference, capped by K C:
    reference 5, bound 2, as ``baselines/uav/bounds.py``; computed at reset, and every step
    only with user mobility), assoc_fraction_interference_free (A_t / that bound, 0 when it
    is 0), step.

    ## Version History

    * v0: initial release.
    """
    )

    metadata = {"render_modes": ["rgb_array"], "render_fps": 5}
    params_class = UavParams

    def setup(self) -> None:
        self._setup_view()  # first: the sim checks the memory of the configuration
        self.action_space, self.observation_space = central_spaces(self.params)
        self._rngs: list[np.random.Generator] = []

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self._reset_view()
        return self.sim.observation()[0], self.sim.info_one()

    def check_action(self, action: Any) -> np.ndarray:
        return check_joint_actions(self.params, action, ())

    def step_sim(self, actions: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        sim.step_one(actions, self._rngs)
        truncated = bool(sim.steps[0] >= self.params.max_steps)
        if self.render_mode is not None:
            self._record_trail()
        reward = float(sim.global_reward[0])
        return sim.observation()[0], reward, False, truncated, sim.info_one()

    def action_masks(self) -> np.ndarray:
        """Valid actions, flat over the K sub-actions (all valid: moves are clipped)."""
        return np.ones(self.params.n_uavs * self.params.n_actions, dtype=bool)


class UavOffloadVectorEnv(NumpyVectorEnv):
    """B ``UavOffloadEnv`` envs stepped together in numpy (``gym.make_vec``); spaces, rewards
    and episodes are the scalar env's.

    Sub-env ``i`` draws from its own generator seeded ``seed + i``, so it plays exactly the
    episodes of a scalar env seeded ``seed + i``. ``info`` is a dict of arrays (n_assoc, load,
    coverage, upper_bound, assoc_fraction, bound_interference_free,
    assoc_fraction_interference_free, step), each with its ``_key`` mask.
    ``autoreset_mode`` is NEXT_STEP (the default) or SAME_STEP (finished sub-envs reset inside
    the step; their last observation and info are in ``info["final_obs"]`` and
    ``info["final_info"]``), which is what SB3's VecEnv adapter needs.

    ## Version History

    * v0: initial release.
    """

    params_class = UavParams

    def make_sim(self) -> UavSim:
        return UavSim(self.params, self.num_envs)

    def memory_per_env(self) -> float:
        """One sub-env's users, links, UAVs, observations and (where the sim builds them)
        received-power table (``memory.bytes_per_env``); the shared lattice, move and layout
        tables are checked by the sim."""
        return bytes_per_env(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Space]:
        return central_spaces(self.params)

    def check_actions(self, actions: Any) -> np.ndarray:
        return check_joint_actions(self.params, actions, (self.num_envs,))

    # public state, batched
    uav_xy = SimArray("UAV positions (B, K, 2) in metres.")
    user_xy = SimArray("User positions (B, N, 2) in metres.")
    bs_xy = SimArray("Terrestrial BS positions (n_bs, 2).")
    association = SimArray("(B, N) server of each user (-1 = BS only).")
    sinr_db = SimArray("(B, N, K) SINR of the last step, dB.")

    def association_for(self, uav_xy: np.ndarray) -> np.ndarray:
        """Association (B, N) of placements ``uav_xy`` (B, K, 2), one per sub-env, over each
        sub-env's current users."""
        association, _ = self.sim.association_for(
            uav_xy, self.sim.user_xy, self.sim.indoor_loss_db, self.sim.bs_rx_mw
        )
        return association

    def action_masks(self) -> np.ndarray:
        """(B, K * n_actions) all True (moves are clipped, never invalid)."""
        return np.ones((self.num_envs, self.params.n_uavs * self.params.n_actions), dtype=bool)


__all__ = [
    "UavOffloadEnv",
    "UavOffloadParallelEnv",
    "UavOffloadVectorEnv",
    "agent_action_space",
    "agent_observation_space",
    "central_spaces",
    "env",
    "parallel_env",
    "raw_env",
]
