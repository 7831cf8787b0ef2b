"""The toy dynamics, batched over N walkers (the ``BatchSim`` protocol)."""

from __future__ import annotations

from typing import Any

import numpy as np
from netgym.envs.core.sim import Rows, rows

from .params import WalkParams


class WalkSim:
    """N walkers; ``position`` (N,) is the state, the env axis first."""

    def __init__(self, params: WalkParams, num_envs: int) -> None:
        self.params, self.num_envs = params, num_envs
        self.position = np.zeros(num_envs, dtype=np.int64)
        self.steps = np.zeros(num_envs, dtype=np.int64)
        self.reward = np.zeros(num_envs)

    def reset(self, idx: Rows, rngs: list[np.random.Generator], options: dict[str, Any]) -> None:
        for i in rows(idx, self.num_envs):  # each walker draws from its own generator
            self.position[i] = rngs[i].integers(0, self.params.length - 1)
        self.steps[idx] = 0
        self.reward[idx] = 0.0

    def step(self, idx: Rows, actions: np.ndarray, rngs: list[np.random.Generator]) -> None:
        slips = np.array([rngs[i].random() < self.params.slip for i in rows(idx, self.num_envs)])
        move = np.where(actions == 1, 1, -1) * np.where(slips, -1, 1)
        position = np.clip(self.position[idx] + move, 0, self.params.length - 1)
        self.position[idx] = position
        self.steps[idx] += 1
        self.reward[idx] = (position == self.params.length - 1).astype(float)

    @property
    def terminated(self) -> np.ndarray:
        return self.position == self.params.length - 1

    @property
    def truncated(self) -> np.ndarray:
        return self.steps >= self.params.max_steps

    def observation(self) -> np.ndarray:
        return self.position.copy()

    def info(self) -> dict[str, np.ndarray]:
        return {"steps": self.steps.copy()}
