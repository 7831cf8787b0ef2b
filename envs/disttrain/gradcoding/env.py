"""``netgym/SeqGradCoding-v0``: the scalar Gymnasium env and its native vector env."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from ...core.vector import EVERY_ENV, NumpyVectorEnv
from .observe import OBS_SIZE
from .params import SeqGradCodingParams
from .rounds import RoundRule
from .schemes import ArmTable
from .sim import GradCodingSim


def grad_coding_spaces(sim: GradCodingSim) -> tuple[spaces.Discrete, spaces.Box]:
    """Action (an arm of the menu) and observation space of one env."""
    return spaces.Discrete(len(sim.table)), spaces.Box(0.0, 1.0, (OBS_SIZE,), dtype=np.float32)


def check_arms(actions: Any, n_arms: int, batch: tuple[int, ...]) -> np.ndarray:
    """Arm indices as an int array of shape ``batch``.

    Raises:
        ValueError: wrong shape, a non-integer, or an arm outside the menu.
    """
    array = np.asarray(actions)
    if array.shape != batch:
        raise ValueError(
            f"SeqGradCoding actions must have shape {batch} (arm indices), got {array.shape}"
        )
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(f"SeqGradCoding actions must be integer arm indices, got {actions!r}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= n_arms):
        raise ValueError(
            f"SeqGradCoding arm {int(array.min() if array.min() < 0 else array.max())} is "
            f"outside the menu of {n_arms} arms (0 .. {n_arms - 1}; see env.arm_names())"
        )
    return array


class SeqGradCodingEnv(SimEnv):
    """Choosing the gradient-coding scheme of distributed training against stragglers.

    ## Description

    n workers compute J gradient jobs, one job started per round; the master waits
    ``(1 + mu)`` times the fastest worker, and a scheme decides whether the late workers'
    results can be erased: no coding (never), GC(s) (at most s late workers per round; load
    ``(s + 1)/n``, delay 0) or the sequential codes SR-SGC(B, W, lambda) and M-SGC(B, W,
    lambda) of Krishnan, Ebrahimi and Khisti (ICLR 2023), which tolerate bursty patterns (at
    most lambda distinct late workers in any W rounds, bursts up to B rounds) at a much lower
    load but decode T rounds later. A conforming round lasts ``min(wait, slowest)``, any other
    the slowest worker's delay (the round rule of the authors' trace-driven evaluation,
    reference/disttrain.md section 2). Worker delays are ``d0 + (load - l0) c_comp``, d0 from a
    Gilbert-Elliott straggler process per worker (with jitter, optional correlated groups and
    regime switches) or from a user's trace (``trace_path``). At each epoch boundary the agent
    chooses the scheme for the next ``epoch_jobs`` jobs; changing it first drains the old
    scheme (``T_old`` rounds at its load).

    ## Action Space

    ``Discrete(A)``: an arm of the menu (``arm_names()``; 159 arms for n = 256, W <= 5): no
    coding, GC(s) for 14 s, SR-SGC and M-SGC for every (B, W) with B < W <= ``max_window``
    and 8 lambdas. An arm outside the menu is an error.

    ## Observation Space

    ``Box(0, 1, (27,))``: late-worker statistics of the last 8 rounds (distinct, per round,
    persistence, burst-length histogram), the conforming share of the last epoch, the last 8
    round durations, the active scheme and its load and delay, and the share of jobs started
    (``observe.py``).

    ## Rewards

    ``-(epoch time) / (c_comp + median base delay)`` per step; the return is minus the
    episode's runtime in those units.

    ## Starting State

    ``reset`` draws the delays of the whole episode (or a window of the trace); no scheme is
    active, so the first choice drains nothing.

    ## Episode End

    Terminates after the last epoch, when its scheme has decoded every job; never truncates.

    ## Arguments

    ``params`` (a ``SeqGradCodingParams``, a dict, a preset 'default', 'iid', 'bursty',
    'small', or None) and/or its fields, e.g. ``gym.make("netgym/SeqGradCoding-v0",
    regimes=(), p_enter=0.02, q_leave=0.5)``.

    ``info``: ``iteration_time`` (the runtime so far, s), ``lower_bound`` (the clairvoyant
    floor: every one of the J rounds fast at load 1/n), ``epoch_time``, ``rounds``,
    ``conforming``, ``arm``, ``load``, ``switches``, ``jobs_started``, ``stragglers``.

    Public attributes that policies may read: ``params``, ``arms`` (the menu, an
    ``ArmTable``), ``arm_names()``, ``rule`` (the round rule's constants), ``reward_scale``,
    ``late_history()`` and ``round_history()`` (what the master saw so far), and, for oracles,
    ``delay_profile()`` (the episode's base delays, including the future).

    ## Version History

    * v0: initial release.
    """

    params_class = SeqGradCodingParams

    def setup(self) -> None:
        self.sim = GradCodingSim(self.params, 1)
        self.action_space, self.observation_space = grad_coding_spaces(self.sim)
        self._rngs: list[np.random.Generator] = []

    @property
    def arms(self) -> ArmTable:
        """The menu."""
        return self.sim.table

    @property
    def rule(self) -> RoundRule:
        """The round rule's constants (mu, c_comp, l0, ...)."""
        return self.sim.rule

    @property
    def reward_scale(self) -> float:
        """Seconds per unit of reward: ``c_comp`` + the median base delay."""
        return self.sim.reward_scale

    def arm_names(self) -> list[str]:
        """The arms' names, in action order."""
        return self.sim.table.names()

    def late_history(self) -> np.ndarray:
        """(rounds so far, n) bool: which workers were later than the wait in each round."""
        return self.sim.late_log[0, : int(self.sim.t[0])].copy()

    def round_history(self) -> np.ndarray:
        """(rounds so far, 3): each round's duration, fastest delay and arm."""
        return self.sim.round_log[0, : int(self.sim.t[0])].copy()

    def delay_profile(self) -> np.ndarray:
        """(n, rounds) the episode's base delays d0, future rounds included (for oracles)."""
        return self.sim.d0[0].copy()

    def action_masks(self) -> np.ndarray:
        """All arms valid."""
        return np.ones(len(self.sim.table), dtype=bool)

    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(EVERY_ENV, self._rngs, options)
        return self.sim.observation()[0], self._info()

    def check_action(self, action: Any) -> np.ndarray:
        return check_arms(action, len(self.sim.table), ())

    def step_sim(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        sim.step(EVERY_ENV, action[None], self._rngs)
        return sim.observation()[0], float(sim.reward[0]), bool(sim.done[0]), False, self._info()

    def _info(self) -> dict[str, Any]:
        return self.sim.info_of(0)


class SeqGradCodingVectorEnv(NumpyVectorEnv):
    """N ``SeqGradCodingEnv`` envs stepped together in numpy (``gym.make_vec``); spaces,
    rewards and episodes are the scalar env's, sub-env ``i`` seeded ``seed + i``.

    ## Version History

    * v0: initial release.
    """

    params_class = SeqGradCodingParams

    def memory_per_env(self) -> float:
        return GradCodingSim.bytes_per_env(self.params)

    def make_sim(self) -> GradCodingSim:
        return GradCodingSim(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Box]:
        return grad_coding_spaces(self.sim)

    def check_actions(self, actions: Any) -> np.ndarray:
        return check_arms(actions, len(self.sim.table), (self.num_envs,))

    def action_masks(self) -> np.ndarray:
        """(N, A) all True."""
        return np.ones((self.num_envs, len(self.sim.table)), dtype=bool)


__all__ = ["SeqGradCodingEnv", "SeqGradCodingVectorEnv", "check_arms", "grad_coding_spaces"]
