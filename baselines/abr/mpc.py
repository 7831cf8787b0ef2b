"""robustMPC (Yin et al., SIGCOMM'15) as Pensieve's ``test/mpc.py``, vectorised over plans.

At each decision: predict the bandwidth as the harmonic mean of the last 5 chunk throughputs,
divided by ``1 + max`` of the last 5 relative prediction errors; score every plan of the next
``horizon`` levels (all ``L**horizon`` of them, or with ``max_jump=1`` only those that move at
most one level per chunk, NetLLM's MPC) by the linear QoE of a simulated buffer; play the first
level of the best plan, ties going to the plan that comes last in lexicographic order (the
anchor's ``>=``). Plans are scored as one numpy array operation per look-ahead position.

Anchor quirks kept, on purpose:

- The plan reads chunk sizes one chunk ahead (``last_index + position + 1``), as test/mpc.py
  does; ``lookahead_offset=0`` reads the chunk actually being chosen.
- The error history starts empty every episode. ``carry_errors=True`` keeps it across episodes,
  as the anchors' scripts do; they also log an error and an estimate after the last chunk of
  each trace, which a policy called only on live decisions never sees, so that mode approaches
  (does not equal) their figures.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np


def plan_table(n_levels: int, horizon: int, max_jump: int | None) -> list[np.ndarray]:
    """Plans for each start level: ``plans[last]`` is (P, horizon) in lexicographic order."""
    every = np.array(list(itertools.product(range(n_levels), repeat=horizon)), dtype=np.int64)
    if max_jump is None:
        return [every] * n_levels
    steps_ok = np.all(np.abs(np.diff(every, axis=1)) <= max_jump, axis=1)
    return [every[steps_ok & (np.abs(every[:, 0] - last) <= max_jump)] for last in range(n_levels)]


class RobustMPC:
    """robustMPC; ``max_jump=1`` gives NetLLM's restricted MPC."""

    name = "mpc"

    def __init__(
        self,
        horizon: int = 5,
        max_jump: int | None = None,
        robust: bool = True,
        history: int = 5,
        lookahead_offset: int = 1,
        carry_errors: bool = False,
    ) -> None:
        if horizon < 1:
            raise ValueError(f"RobustMPC horizon must be >= 1, got {horizon}")
        if max_jump is not None and max_jump < 1:
            raise ValueError(f"RobustMPC max_jump must be None or >= 1, got {max_jump}")
        if lookahead_offset not in (0, 1):
            raise ValueError(f"RobustMPC lookahead_offset must be 0 or 1, got {lookahead_offset}")
        self.horizon = horizon
        self.max_jump = max_jump
        self.robust = robust
        self.history = history
        self.lookahead_offset = lookahead_offset
        self.carry_errors = carry_errors
        self._errors: list[float] = []
        self._estimates: list[float] = []
        self._plans: dict[int, list[np.ndarray]] = {}
        self._trees: dict[tuple[int, int], _PlanTree] = {}
        self._signature: tuple = ()
        self._n_levels = 0

    def reset(self, env: Any) -> None:
        base = env.unwrapped
        self._env = base
        params = base.params
        self._sizes_mb = np.asarray(base.video_sizes, dtype=np.float64) / 1e6
        self._n_chunks = int(base.n_chunks)
        self._chunk_s = float(params.chunk_s)
        self._mu = float(params.rebuffer_penalty_value)
        self._smooth = float(params.smooth_penalty)
        if params.qoe == "linear":  # sum kbps, divide by 1000 once, as test/mpc.py
            self._utility, self._scale = np.asarray(params.ladder_kbps, dtype=np.float64), 1000.0
        else:
            self._utility, self._scale = np.asarray(params.utilities(), dtype=np.float64), 1.0
        self._n_levels = len(self._utility)
        signature = (tuple(self._utility), self._scale, self._smooth)
        if signature != self._signature:  # the plan trees hold QoE terms: rebuild them
            self._plans = {}
            self._trees = {}
            self._signature = signature
        self._throughputs: list[float] = []
        if not self.carry_errors:
            self._errors = []
            self._estimates = []

    def _tree_for(self, horizon: int, last_level: int) -> _PlanTree:
        key = (horizon, last_level)
        if key not in self._trees:
            if horizon not in self._plans:
                self._plans[horizon] = plan_table(self._n_levels, horizon, self.max_jump)
            self._trees[key] = _PlanTree.build(
                self._plans[horizon][last_level],
                self._utility,
                last_level,
                self._scale,
                self._smooth,
            )
        return self._trees[key]

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        throughput = info["chunk_bytes"] / (info["download_time_s"] * 1000.0) / 1000.0  # MB/s
        self._throughputs.append(throughput)
        error = 0.0
        if self._estimates:
            error = abs(self._estimates[-1] - throughput) / throughput
        self._errors.append(error)
        recent = self._throughputs[-self.history :]
        inverse_sum = 0.0
        for value in recent:
            inverse_sum += 1.0 / value
        estimate = 1.0 / (inverse_sum / len(recent))
        max_error = max(self._errors[-self.history :]) if self.robust else 0.0
        bandwidth = estimate / (1.0 + max_error)
        self._estimates.append(estimate)
        return self.best_first_level(
            bandwidth, info["buffer_s"], int(info["quality"]), self._env.chunk_index
        )

    def best_first_level(
        self, bandwidth_mbs: float, buffer_s: float, last_level: int, next_chunk: int
    ) -> int:
        """First level of the best plan from ``next_chunk`` on (0-based), given the state."""
        horizon = min(self.horizon, self._n_chunks - next_chunk)
        if horizon <= 0:
            return last_level
        tree = self._tree_for(horizon, last_level)
        first_index = next_chunk + self.lookahead_offset
        lines = self._sizes_mb.shape[1]
        # Walk the prefix tree of the plans: one node per distinct prefix, so a prefix shared
        # by many plans is simulated once. Per plan, the operations and their order are those
        # of the anchor's loop, so scores (and ties) are bit-identical.
        buffer = np.array([buffer_s])
        rebuffer = np.zeros(1)
        for position in range(horizon):
            index = first_index + position
            if index < lines:
                download_by_level = self._sizes_mb[:, index] / bandwidth_mbs
            else:
                download_by_level = np.zeros(self._n_levels)
            download = download_by_level[tree.levels[position]]
            parent = tree.parents[position]
            before = buffer[parent]
            rebuffer = rebuffer[parent] + np.maximum(download - before, 0.0)
            if position < horizon - 1:
                buffer = np.maximum(before - download, 0.0) + self._chunk_s
        score = tree.gain - self._mu * rebuffer - tree.loss
        best = len(score) - 1 - int(np.argmax(score[::-1]))  # ties: the last plan, as '>='
        return int(tree.first[best])


class _PlanTree:
    """The prefix tree of a set of plans, with the plans' state-independent QoE terms.

    ``levels[k]`` and ``parents[k]`` describe the distinct prefixes of length ``k + 1`` (in
    lexicographic order): the level they end with and the index of their parent prefix. The
    leaves are the plans themselves, in the order given. ``gain`` is each plan's utility sum
    and ``loss`` its smoothness penalty, both divided by the QoE scale.
    """

    def __init__(
        self,
        levels: list[np.ndarray],
        parents: list[np.ndarray],
        first: np.ndarray,
        gain: np.ndarray,
        loss: np.ndarray,
    ) -> None:
        self.levels = levels
        self.parents = parents
        self.first = first
        self.gain = gain
        self.loss = loss

    @classmethod
    def build(
        cls, plans: np.ndarray, utility: np.ndarray, last_level: int, scale: float, smooth: float
    ) -> _PlanTree:
        horizon = plans.shape[1]
        levels, parents = [], []
        previous: np.ndarray | None = None
        for depth in range(horizon):
            prefixes = np.unique(plans[:, : depth + 1], axis=0)
            levels.append(prefixes[:, depth].copy())
            if previous is None:
                parents.append(np.zeros(len(prefixes), dtype=np.int64))
            else:
                lookup = {tuple(row): i for i, row in enumerate(previous)}
                parents.append(np.array([lookup[tuple(row)] for row in prefixes[:, :depth]]))
            previous = prefixes
        utility_sum = np.zeros(len(plans))
        smooth_sum = np.zeros(len(plans))
        before = np.full(len(plans), utility[last_level])
        for depth in range(horizon):
            now = utility[plans[:, depth]]
            utility_sum += now
            smooth_sum += np.abs(now - before)
            before = now
        return cls(
            levels, parents, plans[:, 0].copy(), utility_sum / scale, smooth * smooth_sum / scale
        )
