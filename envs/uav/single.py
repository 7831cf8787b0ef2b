"""The single-env fast path of ``UavSim`` (a mixin): one received-power table per episode,
moves on cell indices and nothing recomputed when no UAV changed cell.

It applies to one env with static users, discrete moves and a table (``memory.fast_one``,
``memory.table_mode``), computes on (K, N) arrays, and calls the batched kernel's formula
functions (``sinr_from_mw``, ``pairwise_sum``, ``agent_rewards``; the association's one-env twin
``associate_one``): it is tested bit-identical to ``UavSim.step``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .association import associate_one
from .linkbudget import sinr_from_mw
from .planes import pairwise_sum
from .rewards import agent_rewards

ENV0 = slice(0, 1)
"""the ``idx`` of env 0 (the single-env views)"""


class OneEnvStep:
    """``step_one`` and its fast path, over the state arrays of ``UavSim``."""

    params: Any
    _fast_one: bool
    _table_mode: str | None
    _next_cell: list[list[int]]
    _cells: np.ndarray
    _lattice_xy: np.ndarray
    _tables: Any
    _sinr: np.ndarray
    _sinr_stale: bool
    _single_option: bool
    noise_mw: float
    bs_rx_mw: np.ndarray
    steps: np.ndarray
    uav_xy: np.ndarray
    association: np.ndarray
    rewards: np.ndarray
    load: np.ndarray
    n_assoc: np.ndarray
    global_reward: np.ndarray

    def step(self, idx: Any, actions: np.ndarray, rngs: Any = None) -> None:
        raise NotImplementedError

    def step_one(
        self, actions: np.ndarray, rngs: Sequence[np.random.Generator] | None = None
    ) -> None:
        """Advance env 0 of a one-env sim by the joint action ``actions`` (K,) or (K, 2): the
        fast path ``_step_one`` where it applies (``_fast_one``, with a table), else ``step``."""
        if self._fast_one and self._table_mode in ("shared", "per_env"):
            self._step_one(actions)
        else:
            self.step(ENV0, actions[None], rngs)

    def _step_one(self, actions: np.ndarray) -> None:
        """``step(ENV0, actions[None])`` of a single env with static users, discrete moves and a
        received-power table (``_fast_one``): the same values, computed on (N, K) arrays, and
        nothing recomputed when no UAV changed cell (the SINR, association and rewards depend
        only on the cells then)."""
        previous = self._cells[0].tolist()
        next_cell = self._next_cell
        cells = [
            next_cell[cell][action] for cell, action in zip(previous, actions.tolist(), strict=True)
        ]
        self.steps[0] += 1
        if cells == previous:
            return  # static users and the same cells: the last evaluation stands
        self._cells[0] = cells
        self.uav_xy[0] = self._lattice_xy[0].take(cells, axis=0)
        self._evaluate_one(cells)

    def _evaluate_one(self, cells: list[int]) -> None:
        """``_evaluate`` of env 0 at the UAV cells ``cells`` (K,) (see ``_step_one``)."""
        params = self.params
        rx_mw = self._tables.table[0].take(cells, axis=0)  # (K, N), as the batched gather
        total_mw = None
        if params.interference == "co_channel":
            total_mw = pairwise_sum(list(rx_mw))[None]  # the batched kernel's order
        floor_mw = self.noise_mw
        if params.bs_interference:
            floor_mw = self.noise_mw + self.bs_rx_mw[0][None]
        sinr_db = sinr_from_mw(rx_mw, floor_mw, total_mw, out=self._sinr[:, 0])
        self._sinr_stale = False  # (a one-env sim: ``_sinr`` is current again)
        load = associate_one(
            sinr_db.T,
            params.sinr_threshold_db,
            params.capacity,
            self._single_option,
            out=self.association[0],
        )
        n_assoc = int(load.sum())
        global_reward = n_assoc / params.n_users
        self.rewards[0] = agent_rewards(params, global_reward, load)
        self.load[0] = load
        self.n_assoc[0] = n_assoc
        self.global_reward[0] = global_reward


__all__ = ["ENV0", "OneEnvStep"]
