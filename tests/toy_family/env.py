"""``netgym/ToyWalk-v0``: the scalar env (the N = 1 view of the sim) and its vector env."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from netgym.envs.core.scalar import SimEnv
from netgym.envs.core.vector import NumpyVectorEnv

from .params import WalkParams
from .sim import WalkSim


def walk_spaces(params: WalkParams) -> tuple[spaces.Discrete, spaces.Discrete]:
    """Action (0 left, 1 right) and observation (the cell) of one walker."""
    return spaces.Discrete(2), spaces.Discrete(params.length)


class ToyWalkEnv(SimEnv):
    """A walker on a line of ``length`` cells.

    ## Description
    Move left or right; a move slips the other way with probability ``slip``.

    ## Action Space
    ``Discrete(2)``: 0 left, 1 right.

    ## Observation Space
    ``Discrete(length)``: the cell.

    ## Rewards
    1 on reaching the last cell, else 0.

    ## Starting State
    A uniformly random cell other than the goal.

    ## Episode End
    Terminates at the goal; truncates after ``max_steps``.

    ## Arguments
    ``params`` (a ``WalkParams``, a dict, a preset name or None) and/or its fields.

    ## Version History
    * v0: initial release.
    """

    params_class = WalkParams

    def setup(self) -> None:
        self.sim = WalkSim(self.params, 1)
        self.action_space, self.observation_space = walk_spaces(self.params)

    def reset_sim(self, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        self.sim.reset(slice(None), [self.np_random], options)
        return self._observe()

    def check_action(self, action: Any) -> np.ndarray:
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0 or 1, got {action!r}")
        return np.array([action])

    def step_sim(self, action: np.ndarray) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self.sim.step(slice(None), action, [self.np_random])
        obs, info = self._observe()
        sim = self.sim
        return obs, float(sim.reward[0]), bool(sim.terminated[0]), bool(sim.truncated[0]), info

    def _observe(self) -> tuple[Any, dict[str, Any]]:
        return np.int64(self.sim.position[0]), {"steps": int(self.sim.steps[0])}


class ToyWalkVectorEnv(NumpyVectorEnv):
    """N toy walkers stepped together (see ``ToyWalkEnv``)."""

    params_class = WalkParams

    def make_sim(self) -> WalkSim:
        return WalkSim(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Space]:
        return walk_spaces(self.params)

    def check_actions(self, actions: Any) -> np.ndarray:
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or not np.isin(actions, (0, 1)).all():
            raise ValueError(f"actions must be {self.num_envs} values in {{0, 1}}, got {actions}")
        return actions
