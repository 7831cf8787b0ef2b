"""The ``duo`` mode of ``netgym/MoeRouting-v0``: skip / small / big per token and layer.

After Duo-LLM (arXiv 2410.10846, reference/moe.md section 4): every FFN layer has a big module,
a small auxiliary module and the option to skip it. We model the *loss* side with a synthetic
table (the paper's is learned): token ``t`` starts a forward pass with a reducible loss
``R_t = Delta_t`` (its difficulty, log-normal); at layer ``l`` the big module removes a share
``eta_big[t, l]`` of what remains and the small one ``eta_small = small_effect x eta_big``.
Returns diminish (``R <- R (1 - eta)``), so one well-placed big layer can be worth more than
many poorly placed ones, the paper's observation. Costs are ``{0, c_small, 1}``. Per layer at
most ``ceil(big_share T)`` tokens may take the big module and ``ceil(small_share T)`` the small
one (a compute budget); a choice over budget falls back to skip, lowest gain first.

One step is one layer for all T tokens; every ``duo_layers`` steps a new batch of tokens
starts. Reward: ``(sum of loss removed - lambda x sum of costs) / T``. Its per-step optimum is a
transportation LP (token rows, module-capacity rows; totally unimodular), reported as
``upper_bound`` exactly as in the other modes; it is myopic, not the episode optimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ...core.sim import Rows, rows
from ...core.vector import EVERY_ENV
from .params import RoutingParams
from .sim import LayerCallSim, progress_share, squash

SKIP, SMALL, BIG = 0, 1, 2
SMALL_EFFECT = 0.5
"""eta_small / eta_big: the small module removes half the share the big one would"""
N_TOKEN_FEATURES = 3
"""per-token observation features: remaining loss, small gain, big gain (each squashed)"""


def duo_lp(
    gain_small: np.ndarray,
    gain_big: np.ndarray,
    small_cost: float,
    penalty: float,
    small_capacity: int,
    big_capacity: int,
) -> float:
    """Optimal per-layer value ``max (sum gains - penalty x sum costs) / T`` under the budgets."""
    t = len(gain_big)
    value_small = (gain_small - penalty * small_cost) / t
    value_big = (gain_big - penalty) / t
    greedy = np.where(
        np.maximum(value_small, value_big) <= 0,
        SKIP,
        np.where(value_big >= value_small, BIG, SMALL),
    )
    if (greedy == SMALL).sum() <= small_capacity and (greedy == BIG).sum() <= big_capacity:
        chosen = np.where(greedy == BIG, value_big, np.where(greedy == SMALL, value_small, 0.0))
        return float(chosen.sum())
    rows = np.concatenate([np.arange(t), np.arange(t), np.full(t, t), np.full(t, t + 1)])
    cols = np.concatenate([np.arange(t), t + np.arange(t), np.arange(t), t + np.arange(t)])
    # sparse: the dense (T + 2) x 2T matrix would take 16 T^2 bytes (16 GB at T = 32768); HiGHS
    # receives the same CSC matrix either way (linprog converts a dense one)
    matrix = sparse.csr_array((np.ones(4 * t), (rows, cols)), shape=(t + 2, 2 * t))
    limits = np.concatenate([np.ones(t), [small_capacity, big_capacity]])
    result = linprog(
        -np.concatenate([value_small, value_big]),
        A_ub=matrix,
        b_ub=limits,
        bounds=(0.0, 1.0),
        method="highs-ds",
    )
    if result.status != 0:  # pragma: no cover (x = 0 is always feasible)
        raise RuntimeError(f"the duo LP failed: {result.message}")
    return float(-result.fun)


class DuoSim(LayerCallSim):
    """N sub-envs of the duo mode (see the module docstring); the ``BatchSim`` protocol, as
    ``RoutingSim``."""

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        super().__init__(params, num_envs)
        n, t, layers = num_envs, params.n_tokens, params.duo_layers
        self.small_capacity = params.duo_small_capacity
        self.big_capacity = params.duo_big_capacity
        self.difficulty = np.ones((n, t))
        self.remaining = np.ones((n, t))
        self.eta_big = np.zeros((n, t, layers))
        self.layer = np.zeros(n, dtype=np.int64)
        self.modules = np.zeros((n, t), dtype=np.int64)
        self.gain = np.zeros(n)
        self.compute_cost = np.zeros(n)
        self.over_budget = np.zeros(n, dtype=np.int64)
        self._step_stats += [self.modules, self.gain, self.compute_cost, self.over_budget]

    def _new_batch(self, idx: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        p = self.params
        for i in idx:
            rng = rngs[i]
            self.difficulty[i] = rng.lognormal(0.0, 0.5, p.n_tokens)
            base = rng.uniform(0.05, 0.5, p.duo_layers)  # how useful each layer is
            spread = rng.lognormal(0.0, 0.5, (p.n_tokens, p.duo_layers))
            self.eta_big[i] = np.minimum(0.95, base[None, :] * spread)
        self.remaining[idx] = self.difficulty[idx]
        self.layer[idx] = 0

    def _draw_episodes(self, env_rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        self._new_batch(env_rows, rngs)

    def gains(self, idx: Rows = EVERY_ENV) -> tuple[np.ndarray, np.ndarray]:
        """(n, T) loss the small and the big module would remove at the current layer."""
        eta = np.take_along_axis(self.eta_big[idx], self.layer[idx][:, None, None], axis=2)[..., 0]
        big = eta * self.remaining[idx]
        return SMALL_EFFECT * big, big

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Run the current layer of sub-envs ``idx`` with modules ``actions`` (n, T)."""
        p = self.params
        idx = rows(idx, self.num_envs)
        gain_small, gain_big = self.gains(idx)
        modules = actions.astype(np.int64).copy()
        gains = np.where(modules == BIG, gain_big, np.where(modules == SMALL, gain_small, 0.0))
        over = np.zeros(len(idx), dtype=np.int64)
        for module, capacity in ((SMALL, self.small_capacity), (BIG, self.big_capacity)):
            for j in range(len(idx)):
                (taken,) = np.nonzero(modules[j] == module)
                if len(taken) > capacity:  # keep the largest gains (ties to the lower token)
                    order = taken[np.lexsort((taken, -gains[j, taken]))]
                    dropped = order[capacity:]
                    modules[j, dropped] = SKIP
                    gains[j, dropped] = 0.0
                    over[j] += len(dropped)
        cost = np.where(modules == BIG, 1.0, np.where(modules == SMALL, p.duo_small_cost, 0.0))
        self.modules[idx] = modules
        self.gain[idx] = gains.sum(axis=1) / p.n_tokens
        self.compute_cost[idx] = cost.sum(axis=1) / p.n_tokens
        self.over_budget[idx] = over
        self.linear[idx] = self.gain[idx] - p.duo_cost_penalty * self.compute_cost[idx]
        self.reward[idx] = self.linear[idx]
        if p.lp_active:
            for j, i in enumerate(idx):
                self.upper_bound[i] = duo_lp(
                    gain_small[j], gain_big[j], p.duo_small_cost, p.duo_cost_penalty,
                    self.small_capacity, self.big_capacity,
                )  # fmt: skip
        self.remaining[idx] -= gains
        self.steps[idx] += 1
        self.layer[idx] += 1
        finished = idx[self.layer[idx] >= p.duo_layers]
        if len(finished):
            self._new_batch(finished, rngs)

    def info(self, idx: Rows | int = EVERY_ENV) -> dict[str, Any]:
        """The info of rows ``idx`` (arrays) or of env ``idx`` (numpy scalars)."""
        info = self._info_head(idx)
        info.update(
            gain=self.gain[idx],
            compute_cost=self.compute_cost[idx],
            over_budget=self.over_budget[idx],
            layer=self.layer[idx],
        )
        return self._detach(info, idx)

    def observation(self, idx: Rows = EVERY_ENV) -> np.ndarray:
        """(n, 3 T + 2) float32: per token remaining loss, small gain and big gain (each as
        ``v / (v + 1)``), then layer / L and step / max_steps."""
        p = self.params
        gain_small, gain_big = self.gains(idx)
        remaining = self.remaining[idx]
        tokens = np.stack([remaining, gain_small, gain_big], axis=2)
        tokens = squash(tokens, 1.0)
        scalars = np.stack(
            [self.layer[idx] / p.duo_layers, progress_share(self.steps[idx], p.max_steps)],
            axis=1,
        )
        return np.concatenate([tokens.reshape(len(tokens), -1), scalars], axis=1).astype(np.float32)

    def observation_size(self) -> int:
        """Length of one sub-env's observation."""
        return N_TOKEN_FEATURES * self.params.n_tokens + 2
