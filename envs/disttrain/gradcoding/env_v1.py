"""``netgym/SeqGradCoding-v1``: v0's env with lazily drawn, counter-based random delays.

Same spaces, rewards, episodes, parameters (``SeqGradCodingParams``, validated the same way)
and delay distributions as ``netgym/SeqGradCoding-v0``; other random streams (``sim_v1.py``),
so other trajectories for the same seed. ``docs/disttrain.md`` ("v0 vs v1") says which to use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.vector import EVERY_ENV
from .env import SeqGradCodingEnv, SeqGradCodingVectorEnv, grad_coding_spaces
from .params import SeqGradCodingParams
from .sim_v1 import GradCodingSimV1

V1_HISTORY = """
    * v1: the same env with its delays drawn lazily, round by round inside the step, from a
      counter-based generator keyed per episode (numba kernels shared by the scalar and the
      vector env), instead of the whole episode at reset from the env's numpy generator: the
      same distributions, other trajectories for a seed. ``info["lower_bound"]`` sums the
      floor over the rounds drawn so far (the whole floor at the episode's end; v0 gives it
      from the reset on).
    """


def _with_v1(doc: str | None) -> str:
    """v0's docstring with the v1 entry appended to its version history."""
    return (doc or "").rstrip() + "\n" + V1_HISTORY


class SeqGradCodingV1Env(SeqGradCodingEnv):
    __doc__ = _with_v1(SeqGradCodingEnv.__doc__)

    params_class = SeqGradCodingParams

    def setup(self) -> None:
        self.sim = GradCodingSimV1(self.params, 1)
        self.action_space, self.observation_space = grad_coding_spaces(self.sim)
        self._rngs: list[np.random.Generator] = []

    def delay_profile(self) -> np.ndarray:
        """(n, rounds) the episode's base delays d0, future rounds included (for oracles;
        drawn afresh from the episode's key, the same numbers the steps draw)."""
        return self.sim.profile(0)

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        if not self._rngs or self._rngs[0] is not self.np_random:
            self._rngs = [self.np_random]  # a new generator: the sim draws a new base key
        self.sim.reset(EVERY_ENV, self._rngs, options)
        return self.sim.observation()[0], self._info()


class SeqGradCodingV1VectorEnv(SeqGradCodingVectorEnv):
    """N ``SeqGradCodingV1Env`` envs stepped together (``gym.make_vec``): every env's rounds
    drawn and played in one kernel call each; sub-env ``i`` seeded ``seed + i`` replays the
    scalar env seeded ``seed + i`` bit for bit.

    ## Version History

    * v0: ``SeqGradCodingVectorEnv``, delays drawn per sub-env at reset in numpy.
    * v1: the delays drawn lazily from the counter-based generator (``SeqGradCodingV1Env``).
    """

    params_class = SeqGradCodingParams

    def memory_per_env(self) -> float:
        return GradCodingSimV1.bytes_per_env(self.params)

    def make_sim(self) -> GradCodingSimV1:
        return GradCodingSimV1(self.params, self.num_envs)


__all__ = ["SeqGradCodingV1Env", "SeqGradCodingV1VectorEnv"]
