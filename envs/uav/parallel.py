"""The PettingZoo ``ParallelEnv`` of multi-UAV offloading, one agent per UAV, over ``UavSim``.

PettingZoo's entry is ``netgym.envs.uav.uav_offload_v0`` (``env``, ``parallel_env``,
``raw_env``); ``netgym.envs.uav`` re-exports the three.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.parallel import SimParallelEnv
from .params import UavParams
from .spaces import (
    agent_action_space,
    agent_observation_space,
    check_agent_action,
    state_space,
)
from .view import SHARED_DOC, SingleEnvView


class UavOffloadParallelEnv(SingleEnvView, SimParallelEnv):
    """Multi-UAV cellular offloading, one PettingZoo agent per UAV (``uav_0`` ... ``uav_{K-1}``).

    ## Description

    The dynamics of ``netgym/UavOffload-v0`` (see ``UavOffloadEnv``), with each UAV an
    independent agent as in the seed paper's distributed SARSA (arXiv 2402.02957).

    ## Action Space

    Per agent ``Discrete(1 + D * L)`` (0 = hover, ``1 + d + D * (l - 1)`` = direction d at speed
    level l) or, with ``continuous=True``, ``Box(-1, 1, (2,))`` (velocity / top speed). An
    action of another shape or outside its space is refused with a ``ValueError`` naming the
    agent.
    """

    __doc__ += (
        SHARED_DOC
        + """
    Per-agent observations: tabular ``Discrete(n_cells)`` (own cell); vector ``Box(0, 1, (5 +
    2 (K - 1) + G^2,))`` = own (x, y) / area, the others' relative positions, own load /
    capacity, A_t / N, t / T, heatmap; image ``Box(0, 1, (3, G, G))`` = heatmap, own position,
    other UAVs. ``state()`` is the global vector of the central env.

    ## Arguments

    As ``UavOffloadEnv``: ``params`` and/or ``UavParams`` fields, ``render_mode="rgb_array"``.
    ``infos[agent]``: the central info plus ``own_load``.

    ## Version History

    * v0: initial release.
    """
    )

    metadata = {
        "name": "uav_offload_v0",
        "render_modes": ["rgb_array"],
        "render_fps": 5,
        "is_parallelizable": True,
    }
    params_class = UavParams

    def setup(self) -> None:
        params = self.params
        self._setup_view()  # first: the sim checks the memory of the configuration
        self.possible_agents = [f"uav_{k}" for k in range(params.n_uavs)]
        self.observation_spaces = {a: agent_observation_space(params) for a in self.possible_agents}
        self.action_spaces = {a: agent_action_space(params) for a in self.possible_agents}
        self.state_space = state_space(params)

    def reset_sim(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        self._reset_view()
        return self._observations(), self._infos()

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        joint = [check_agent_action(self.params, a, actions[a]) for a in self.possible_agents]
        dtype = float if self.params.continuous else np.int64
        self.sim.step_one(np.array(joint, dtype=dtype), self._rngs)
        if self.render_mode is not None:
            self._record_trail()
        truncated = bool(self.sim.steps[0] >= self.params.max_steps)
        observations = self._observations()
        infos = self._infos()
        rewards = {a: float(self.sim.rewards[0, k]) for a, k in self._index.items()}
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, truncated)
        return observations, rewards, terminations, truncations, infos

    def _observations(self) -> dict[str, Any]:
        obs = self.sim.agent_observations()
        if self.params.obs_mode == "tabular":
            return {agent: np.int64(obs[k]) for agent, k in self._index.items()}
        return {agent: obs[k].copy() for agent, k in self._index.items()}

    def _infos(self) -> dict[str, dict[str, Any]]:
        info = self.sim.info_one()
        return {
            agent: {**info, "own_load": int(self.sim.load[0, k])}
            for agent, k in self._index.items()
        }


__all__ = ["UavOffloadParallelEnv"]
