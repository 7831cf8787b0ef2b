"""Classic ABR heuristics: buffer-based (BBA), rate-based, BOLA, random and fixed quality.

Every policy follows netgym's protocol: ``reset(env)`` before an episode, then
``act(obs, info) -> level``. They read the chunk just downloaded from ``info`` (float64, exact)
rather than from the float32 observation.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np


def _ladder(env: Any) -> np.ndarray:
    return np.asarray(env.unwrapped.ladder_kbps, dtype=np.float64)


class BBA:
    """Buffer-based adaptation (Huang et al., SIGCOMM'14) as Pensieve's ``test/bb.py``.

    Below ``reservoir_s`` of buffer play the lowest level, above ``reservoir_s + cushion_s``
    the highest, and in between ``int((L - 1) * (buffer - reservoir) / cushion)``.
    """

    name = "bba"

    def __init__(self, reservoir_s: float = 5.0, cushion_s: float = 10.0) -> None:
        if reservoir_s < 0 or cushion_s <= 0:
            raise ValueError(
                f"BBA needs reservoir_s >= 0 and cushion_s > 0, got {reservoir_s}, {cushion_s}"
            )
        self.reservoir_s = reservoir_s
        self.cushion_s = cushion_s
        self._top = 5

    def reset(self, env: Any) -> None:
        self._top = len(_ladder(env)) - 1

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        buffer_s = info["buffer_s"]
        if buffer_s < self.reservoir_s:
            return 0
        if buffer_s >= self.reservoir_s + self.cushion_s:
            return self._top
        return int(self._top * (buffer_s - self.reservoir_s) / self.cushion_s)


class RateBased:
    """Rate-based: the highest level not above the (unweighted) harmonic mean of the last
    ``horizon`` chunk throughputs, the predictor robustMPC uses. (dash.js's ``getBitrateRB``
    weights each chunk by its download time; the unweighted mean reproduces the reference
    re-sim's 0.745 on HSDPA-142 and 0.864 on FCC-test-100.)"""

    name = "rb"

    def __init__(self, horizon: int = 5) -> None:
        if horizon < 1:
            raise ValueError(f"RateBased horizon must be >= 1, got {horizon}")
        self.horizon = horizon
        self._history: deque[float] = deque(maxlen=horizon)
        self._ladder = np.zeros(1)

    def reset(self, env: Any) -> None:
        self._history = deque(maxlen=self.horizon)
        self._ladder = _ladder(env)

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        self._history.append(info["throughput_mbps"])
        estimate_kbps = len(self._history) / sum(1.0 / x for x in self._history) * 1000.0
        return int(max(np.searchsorted(self._ladder, estimate_kbps, side="right") - 1, 0))


class BOLA:
    """BOLA-BASIC with dash.js's parameters (BolaRule.js; reference/abr.md 1.5).

    Utilities ``u_i = ln(R_i)``; ``gp = 1 - u_0 + (u_max - u_0) / (target / minimum - 1)``,
    ``Vp = minimum / (u_0 + gp - 1)``; play ``argmax_i (Vp (u_i + gp) - buffer) / R_i``.
    """

    name = "bola"

    def __init__(self, minimum_buffer_s: float = 10.0, buffer_target_s: float = 30.0) -> None:
        if not 0 < minimum_buffer_s < buffer_target_s:
            raise ValueError(
                f"BOLA needs 0 < minimum_buffer_s < buffer_target_s, got "
                f"{minimum_buffer_s}, {buffer_target_s}"
            )
        self.minimum_buffer_s = minimum_buffer_s
        self.buffer_target_s = buffer_target_s

    def reset(self, env: Any) -> None:
        ladder = _ladder(env)
        utility = np.log(ladder)
        self._ladder = ladder
        self._utility = utility
        self._gp = (
            1.0
            - utility[0]
            + (utility[-1] - utility[0]) / (self.buffer_target_s / self.minimum_buffer_s - 1.0)
        )
        self._vp = self.minimum_buffer_s / (utility[0] + self._gp - 1.0)

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        score = (self._vp * (self._utility + self._gp) - info["buffer_s"]) / self._ladder
        return int(np.argmax(score))


class RandomPolicy:
    """Uniformly random level, from its own seeded generator."""

    name = "random"

    def __init__(self, seed: int | None = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._n = 1

    def reset(self, env: Any) -> None:
        space = env.action_space
        if not hasattr(space, "n"):
            raise ValueError(
                f"RandomPolicy needs a Discrete action space, got {space}; "
                "use action_space.sample() for other spaces"
            )
        self._n = int(space.n)

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        return int(self._rng.integers(self._n))


class FixedQuality:
    """Always the same level (``level=-1`` means the highest)."""

    name = "fixed"

    def __init__(self, level: int = 0) -> None:
        self.level = level
        self._level = level

    def reset(self, env: Any) -> None:
        n_levels = len(_ladder(env))
        level = self.level if self.level >= 0 else n_levels + self.level
        if not 0 <= level < n_levels:
            raise ValueError(f"FixedQuality level {self.level} is outside [0, {n_levels - 1}]")
        self._level = level

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        return self._level
