"""The batched sim of ``netgym/SeqGradCoding-v1``: v0's sim (``sim.py``: the same round rule,
epoch loop, observation and info) with the delays drawn lazily from a counter-based generator
(``lazy.py``) instead of at reset from each env's numpy generator.

Each env draws one 64-bit base key from its own generator when that generator is new (a seeded
``reset``), then episode ``e`` uses the key ``mix(base + e x GAMMA)``: a reset draws nothing
in numpy, and the scalar env and sub-env ``i`` of a vector env seeded ``seed + i`` play the same
episodes bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.sim import Rows, rows
from ...core.streams import ZIG_X
from .lazy import MODEL_SIZE, draw_rounds, profile_rounds, start_episodes
from .params import SeqGradCodingParams
from .sim import GradCodingSim
from .stragglers import DelayDraw


class GradCodingSimV1(GradCodingSim):
    """N SeqGradCoding-v1 episodes (see the module docstring)."""

    def __init__(self, params: SeqGradCodingParams, num_envs: int) -> None:
        super().__init__(params, num_envs)
        n, m = params.n_workers, num_envs
        groups = -(-n // params.group_size) if params.group_size else 0
        self.chains = n + groups
        """workers' chains, then their groups' (``lazy.draw_round``)"""
        self.chain_state = np.zeros((m, self.chains), dtype=np.uint8)
        self.chain_next = np.zeros((m, self.chains), dtype=np.int64)
        self.chain_count = np.zeros((m, self.chains), dtype=np.int64)
        self.base_keys = np.zeros(m, dtype=np.uint64)
        self.episodes = np.zeros(m, dtype=np.int64)
        self.keys = np.zeros(m, dtype=np.uint64)
        self.starts = np.zeros(m, dtype=np.int64)
        pairs = np.array(params.regimes or ((params.p_enter, params.q_leave),), dtype=np.float64)
        with np.errstate(divide="ignore"):
            self.regimes = np.ascontiguousarray(np.hstack([pairs, np.log1p(-pairs)]))
            group_stay = np.log1p(-np.array([params.group_p, params.group_q]))
        replay = self.trace is not None
        last = self.trace.shape[1] - self.max_rounds if replay else -1
        offset = params.trace_offset if params.trace_offset is not None else -1
        self.model = np.array(
            [
                params.jitter_sigma,
                params.base_s,
                params.slowdown,
                params.group_p,
                params.group_q,
                params.group_size,
                params.regime_rounds if params.regimes else 0,
                params.mu,
                (1.0 / n - self.rule.profile_load) * params.c_comp,
                last,
                offset,
                group_stay[0],
                group_stay[1],
            ],
            dtype=np.float64,
        )
        assert len(self.model) == MODEL_SIZE
        self.trace_rows = (
            np.ascontiguousarray(self.trace[:n].T, dtype=np.float64) if replay else np.zeros((1, n))
        )
        """the trace round-major (one row per round), or a placeholder"""
        self._keyed: Sequence[np.random.Generator] | None = None
        self._generators: list[np.random.Generator | None] = [None] * m

    @staticmethod
    def bytes_per_env(params: SeqGradCodingParams) -> float:
        """v0's delays and logs plus the chains' state."""
        return GradCodingSim.bytes_per_env(params) + params.n_workers * 2 * 17.0 + 64.0

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """New episodes (keys, chains) and an empty history in envs ``idx``; an env whose
        generator is new draws its base key from it first."""
        if rngs is not self._keyed:  # a new list of generators: a seeded reset, or the scalar
            for m in range(self.num_envs):  # env's first
                if rngs[m] is not self._generators[m]:
                    self._generators[m] = rngs[m]
                    self.base_keys[m] = np.uint64(rngs[m].integers(0, 2**63, dtype=np.int64))
                    self.episodes[m] = 0
            self._keyed = rngs
        every = rows(idx, self.num_envs)
        start_episodes(
            np.ascontiguousarray(every, dtype=np.int64),
            self.base_keys,
            self.episodes,
            self.keys,
            self.params.n_workers,
            self.regimes,
            self.model,
            self.chain_state,
            self.chain_next,
            self.chain_count,
            self.starts,
            self.floor,
        )
        self.regime[every] = 0
        self.norm[every] = self.reward_scale
        self.late_log[every] = False
        self.round_log[every] = 0.0
        self.per_worker[every] = 0
        self.recent[every] = 0.0
        self.counters[every] = (0, 0, -1, 0, 0)
        self.times[every, :4] = 0.0
        self.done[every] = False

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Draw the rounds each env of ``idx`` plays (``lazy.draw_rounds``), then play them
        (v0's ``play_epochs``)."""
        envs = np.ascontiguousarray(rows(idx, self.num_envs), dtype=np.int64)
        arms = np.ascontiguousarray(actions, dtype=np.int64).reshape(-1)
        draw_rounds(
            envs,
            arms,
            self.episode,
            self.rules.delay,
            self.counters,
            self.keys,
            self.regimes,
            self.model,
            ZIG_X,
            self.chain_state,
            self.chain_next,
            self.chain_count,
            self.trace_rows,
            self.starts,
            self.delays,
            self.regime,
            self.floor,
        )
        super().step(envs, arms, rngs)

    def profile(self, m: int) -> np.ndarray:
        """(n, rounds) env ``m``'s base delays of the whole episode, the future included."""
        n = self.params.n_workers
        if self.trace is not None:
            start = int(self.starts[m])
            return self.trace[:n, start : start + self.max_rounds].copy()
        return self.draw_episode(self.keys[m], self.max_rounds).d0

    def draw_episode(self, key: np.uint64 | int, rounds: int) -> DelayDraw:
        """The first ``rounds`` rounds of the synthetic episode of ``key`` (a ``DelayDraw``
        as v0's ``stragglers.draw_delays`` returns it)."""
        n = self.params.n_workers
        out = np.empty((rounds, n))
        straggling = np.empty((rounds, n), dtype=bool)
        regime = np.empty(rounds, dtype=np.int64)
        profile_rounds(
            np.uint64(key), n, self.regimes, self.model, ZIG_X, self.chains, out, straggling, regime
        )
        return DelayDraw(d0=out.T, straggling=straggling.T, regime=regime)


__all__ = ["GradCodingSimV1"]
