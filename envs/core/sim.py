"""The ``BatchSim`` protocol: the one interface every netgym sim follows.

A sim holds the state of N environments as arrays with the env axis first and advances any
subset of them. It never imports gymnasium; all randomness comes from the generators it is
handed (generator ``i`` belongs to env ``i``). The vector env (``core/vector.py``) and, where
the decisions are regular, the scalar env are views of one sim, so they cannot drift apart.

``idx`` is either ``slice(None)`` (every env: the common case, and the cheapest to index) or a
sorted array of env indices. ``rows(idx, n)`` turns it into an index array where a sim needs one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

Rows = slice | np.ndarray
"""``slice(None)`` (all envs) or a sorted int array of env indices"""


@runtime_checkable
class BatchSim(Protocol):
    """What a vector env needs from its sim.

    After ``step``, ``reward``, ``terminated`` and ``truncated`` hold one entry per env (the
    rows that did not step keep stale values; the vector env overwrites them).
    """

    num_envs: int

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """Start new episodes in envs ``idx``, drawing from ``rngs[i]`` for env ``i``."""

    def step(self, idx: Rows, actions: Any, rngs: Sequence[np.random.Generator]) -> None:
        """Advance envs ``idx`` by one decision (``actions`` holds one row per env in ``idx``)."""

    @property
    def reward(self) -> np.ndarray:
        """(N,) reward of the last step."""

    @property
    def terminated(self) -> np.ndarray:
        """(N,) bool: the episode reached a terminal state."""

    @property
    def truncated(self) -> np.ndarray:
        """(N,) bool: the episode hit its time limit."""

    def observation(self) -> Any:
        """The observations of all envs (an array, or a dict of arrays), a fresh copy."""

    def info(self) -> dict[str, np.ndarray]:
        """Per-env info arrays of the current state (one entry per env each)."""


class TimeLimit:
    """For a sim whose episodes never terminate and truncate after ``params.max_steps`` steps:
    ``terminated`` and ``truncated`` from its ``steps`` array (one count per env)."""

    steps: np.ndarray
    params: Any

    @property
    def terminated(self) -> np.ndarray:
        """(N,) all False: the episode never reaches a terminal state."""
        return np.zeros(self.steps.shape, dtype=bool)

    @property
    def truncated(self) -> np.ndarray:
        """(N,) the episode reached ``params.max_steps``."""
        return self.steps >= self.params.max_steps


def rows(idx: Rows, num_envs: int) -> np.ndarray:
    """``idx`` as an array of env indices (``slice(None)`` -> ``arange(num_envs)``)."""
    if isinstance(idx, slice):
        return np.arange(num_envs)[idx]
    return idx


__all__ = ["BatchSim", "Rows", "TimeLimit", "rows"]
