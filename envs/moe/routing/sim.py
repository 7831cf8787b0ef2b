"""Batched numpy dynamics of ``netgym/MoeRouting-v0`` (the ``BatchSim`` protocol).

Everything has a leading env axis N. Nothing here imports gymnasium.

* ``RoutingSim``: one layer call per step for N sub-envs, with gates from ``GateSource``
  (``gates.py``) or a trace (``trace_gates.py``), the top-k choice and expert capacity of the
  compiled kernels (``kernels.py``: bias mode; ``capacity.route``: assign mode), the reward of
  reference 6(B) and the observation features. Its scalar fast path (``step_one``,
  ``observation_one``) calls the same kernel and formula functions as the batched step.
* ``LayerLatency`` (``latency.py``): the layer time of reference 6(B).
* The formulas (``load_imbalance``, ``linear_objective``, ``routing_reward``,
  ``progress_share``, ``squash``) work on Python numbers and numpy arrays alike, so the batched
  step and the one-env fast path compute the same IEEE operations in the same order.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.sim import Rows, TimeLimit, rows
from ...core.vector import EVERY_ENV
from .capacity import route
from .gates import GateSource
from .kernels import route_top_k
from .latency import LayerLatency
from .limits import check_memory_of
from .params import LP_BOUND_MAX_SIZE, RoutingParams
from .trace_gates import TraceGates


# ------------------------------------------------------------------------------ formulas
def load_imbalance(
    max_load: float | np.ndarray, total: float | np.ndarray, n_experts: int
) -> float | np.ndarray:
    """``max_e n_e / mean_e n_e - 1`` from the largest load and the total load (0 when nothing
    was processed); Python numbers or (N,) arrays."""
    mean = total / n_experts
    if not isinstance(total, np.ndarray):
        return max_load / mean - 1.0 if total else 0.0
    if total.all():  # the usual case: no guard needed
        return max_load / mean - 1.0
    return np.divide(max_load, mean, out=np.ones(len(total)), where=total > 0) - 1.0


def imbalance(loads: np.ndarray) -> np.ndarray:
    """(N,) ``load_imbalance`` of loads (N, E)."""
    return load_imbalance(loads.max(axis=-1), loads.sum(axis=-1), loads.shape[-1])


def linear_objective(
    captured_mass: float | np.ndarray, drops: float | np.ndarray, params: RoutingParams
) -> float | np.ndarray:
    """The linear part of the reward: ``mass / T - lambda_d drops / (T k)``."""
    t, k = params.n_tokens, params.top_k
    return captured_mass / t - params.drop_penalty * drops / (t * k)


def routing_reward(
    linear: float | np.ndarray,
    spread: float | np.ndarray,
    layer_ms: float | np.ndarray,
    params: RoutingParams,
    reference_ms: float,
) -> float | np.ndarray:
    """Reference 6(B): ``linear - lambda_i imbalance - lambda_c t_layer / t_ref``."""
    return (
        linear
        - params.imbalance_penalty * spread
        - params.latency_penalty * layer_ms / reference_ms
    )


def progress_share(steps: float | np.ndarray, max_steps: int) -> float | np.ndarray:
    """``steps / max_steps``, at most 1 (an observation scalar)."""
    share = steps / max_steps
    return np.minimum(share, 1.0) if isinstance(share, np.ndarray) else min(share, 1.0)


def squash(value: float | np.ndarray, scale: float) -> float | np.ndarray:
    """``v / (v + scale)`` in [0, 1): 0.5 means ``v == scale``."""
    return value / (value + scale)


def info_arrays(sim: LayerCallSim, idx: Rows | int = EVERY_ENV) -> dict[str, Any]:
    """``sim.info(idx)`` (the name ``routing_env.info_arrays`` had)."""
    return sim.info(idx)


# ------------------------------------------------------------------------------ the sims
N_EXPERT_ROWS = 4
"""observation rows per expert: soft demand, last load, last overflow, last requested slots"""
N_SCALARS = 2
"""observation scalars: step / max_steps, last layer time share"""


class LayerCallSim(TimeLimit):
    """What both routing sims (``RoutingSim``, ``DuoSim``) share: N envs, one layer call per
    step, truncation after ``max_steps``, the per-env step counter, reward, linear part and LP
    bound, and the head of the info."""

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        check_memory_of("MoeRouting", params)
        if params.lp_bound and not params.lp_active:
            warnings.warn(
                f"MoeRouting: the per-step LP bound is switched off: its LP has "
                f"{params.lp_size} variables (n_tokens={params.n_tokens}, n_experts="
                f"{params.n_experts}, action_mode={params.action_mode!r}), over "
                f"LP_BOUND_MAX_SIZE={LP_BOUND_MAX_SIZE}, where HiGHS takes seconds to minutes "
                "per step; info has no 'upper_bound' (pass lp_bound=False to silence this)",
                stacklevel=2,
            )
        self.params = params
        self.num_envs = n = num_envs
        self.steps = np.zeros(n, dtype=np.int64)
        self.reward = np.zeros(n)
        self.linear = np.zeros(n)
        self.upper_bound = np.zeros(n)
        self._step_stats = [self.steps, self.reward, self.linear, self.upper_bound]
        """per-env arrays that describe the last step (zeroed at a reset)"""

    def reset(
        self,
        idx: Rows,
        rngs: Sequence[np.random.Generator],
        options: dict[str, Any] | None = None,
    ) -> None:
        """New episodes for sub-envs ``idx`` (statistics of the last step are zeroed)."""
        self._draw_episodes(rows(idx, self.num_envs), rngs)
        for array in self._step_stats:
            array[idx] = 0

    def _draw_episodes(self, env_rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Draw what a new episode of sub-envs ``env_rows`` starts from."""
        raise NotImplementedError

    def _info_head(self, idx: Rows | int) -> dict[str, Any]:
        """``step``, ``linear`` and (with ``lp_active``) ``upper_bound`` of ``idx``, read as
        ``array[idx]`` (see ``_detach``)."""
        info: dict[str, Any] = {"step": self.steps[idx], "linear": self.linear[idx]}
        if self.params.lp_active:
            info["upper_bound"] = self.upper_bound[idx]
        return info

    @staticmethod
    def _detach(info: dict[str, Any], idx: Rows | int) -> dict[str, Any]:
        """``info`` whose values do not change with the sim: ``array[idx]`` is a numpy scalar
        for an int and a copy for an index array, but a view of the sim's array for a slice."""
        if isinstance(idx, slice):
            for key, value in info.items():
                if value.base is not None:
                    info[key] = value.copy()
        return info


class RoutingSim(LayerCallSim):
    """N layer calls stepped together (the ``bias`` and ``assign`` action modes).

    ``reset(idx, rngs, options)`` starts episodes; ``step(idx, actions, rngs)`` routes the
    current batch of sub-envs ``idx`` with their actions, scores it and draws their next batch
    (``idx``: ``slice(None)`` or sorted, unique env indices). After a step the per-env arrays
    ``reward``, ``gate_mass``, ``drops``, ``imbalance``, ``layer_ms``, ``linear``,
    ``upper_bound`` (the LP optimum of the step's linear objective, NaN-free: only filled when
    ``params.lp_active``), ``loads`` (N, E), ``overflow`` (N, E), ``experts`` (N, T, k) describe
    the step just taken.
    """

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        super().__init__(params, num_envs)
        n, e, t, k = num_envs, params.n_experts, params.n_tokens, params.top_k
        self.capacity = params.capacity
        self.gates = TraceGates(params, n) if params.gates == "trace" else GateSource(params, n)
        self.latency = LayerLatency(params)
        # loads, overflow drops and requested slots side by side: three observation rows in
        # one division (``_write_rows``)
        self._counts = np.zeros((n, 3, e), dtype=np.int64)
        self.loads = self._counts[:, 0]
        self.overflow = self._counts[:, 1]
        self.requested = self._counts[:, 2]
        self._squashed_rows = np.array([[0], [1], [1]])
        """rows 1-3 of the observation: load / C, then overflow and requested as v / (v + C)"""
        self.captured = np.zeros((n, e))
        self.experts = np.full((n, t, k), -1, dtype=np.int64)
        self._slots_of = self.experts.reshape(n, t * k)  # a view: the kernel's layout
        self.gate_mass = np.zeros(n)
        self.drops = np.zeros(n, dtype=np.int64)
        self.explicit_drops = np.zeros(n, dtype=np.int64)
        self.duplicate_drops = np.zeros(n, dtype=np.int64)
        self.imbalance = np.zeros(n)
        self.layer_ms = np.zeros(n)
        self._slots = t * k
        self._only = np.zeros(1, dtype=np.int64)
        self._step_stats += [
            self.loads,
            self.overflow,
            self.requested,
            self.captured,
            self.gate_mass,
            self.drops,
            self.explicit_drops,
            self.duplicate_drops,
            self.imbalance,
            self.layer_ms,
        ]

    def _draw_episodes(self, env_rows: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        self.gates.reset(env_rows, rngs)
        self.experts[env_rows] = -1

    def _view(self, idx: Rows) -> Rows:
        """A slice for ``idx`` when it names every sub-env in order: basic indexing makes views,
        where an index array would copy every (N, T, E) read."""
        if isinstance(idx, slice) or len(idx) != self.num_envs:
            return idx
        # indices are sorted and unique (``np.flatnonzero`` / ``arange``): n of them from 0
        # to n - 1 are all sub-envs in order
        return EVERY_ENV if idx[0] == 0 and idx[-1] == self.num_envs - 1 else idx

    def _route_biased(self, stepped: np.ndarray, biases: np.ndarray) -> None:
        """Top-k routing with the biases (len(stepped), E) of sub-envs ``stepped`` (bias mode):
        the kernel writes their experts, loads, overflow, requested slots and captured mass."""
        gates = self.gates
        route_top_k(
            gates.logits,
            np.ascontiguousarray(biases, dtype=np.float32),  # float32, as the logits
            gates.weights,
            gates.totals,
            stepped,
            self.params.top_k,
            self.capacity,
            self._slots_of,
            self._counts,
            self.captured,
        )

    def _route_assigned(self, sel: Rows, actions: np.ndarray) -> None:
        """The slots of checked assign-mode actions of rows ``sel``: value E is an explicit
        drop, the priority of a slot is the router probability of its expert."""
        p = self.params
        chosen = actions.reshape(len(actions), p.n_tokens, p.top_k).astype(np.int64)
        chosen = np.where(chosen >= p.n_experts, -1, chosen)
        priority = np.take_along_axis(self.gates.probs[sel], np.maximum(chosen, 0), axis=-1)
        result = route(
            chosen, priority, None, self.capacity, slot_probs=priority, n_experts=p.n_experts
        )
        self.experts[sel] = result.experts
        self.loads[sel] = result.loads
        self.overflow[sel] = result.overflow_drops
        self.captured[sel] = result.captured
        self.requested[sel] = result.requested
        self.explicit_drops[sel] = result.explicit_drops
        self.duplicate_drops[sel] = result.duplicate_drops

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Route the current batch of sub-envs ``idx`` with checked ``actions``; draw the next."""
        p = self.params
        # a slice when every sub-env steps (the scalar env, most vector steps)
        sel = self._view(idx)
        stepped = rows(idx, self.num_envs)
        if p.action_mode == "bias":
            self._route_biased(stepped, actions)
            self.explicit_drops[sel] = 0
            self.duplicate_drops[sel] = 0
        else:
            self._route_assigned(sel, actions)
        loads = self.loads[sel]
        layer_ms = self.latency.layer_ms(loads)
        mass = self.captured[sel].sum(axis=1)
        drops = p.n_tokens * p.top_k - loads.sum(axis=1)
        self._score(sel, mass, drops, imbalance(loads), layer_ms)
        gates = self.gates
        if p.lp_active:
            from .lp import routing_lp  # scipy: imported only when the bound is asked

            probs = gates.probs[sel]
            for j, i in enumerate(stepped):
                bound, _ = routing_lp(probs[j], p.top_k, self.capacity, p.drop_penalty)
                self.upper_bound[i] = bound
        self.steps[sel] += 1
        gates.draw(stepped, rngs)

    def step_one(self, biases: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """``step(slice(None), biases[None], rngs)`` of a one-env sim in bias mode without the
        LP bound (the scalar env's step), bit-identical to it: the same kernel, then the reward
        terms in Python floats through the same formula functions (int -> float is exact)."""
        p = self.params
        t, k, e = p.n_tokens, p.top_k, p.n_experts
        if p.action_mode != "bias" or p.lp_active or self.num_envs != 1:
            raise ValueError("step_one needs one env in bias mode without the LP bound")
        self._route_biased(self._only, biases.reshape(1, e))
        self.explicit_drops[0] = 0
        self.duplicate_drops[0] = 0
        loads = self._counts[0, 0]
        load_sum = int(loads.sum())
        spread = load_imbalance(float(loads.max()), load_sum, e)
        layer_ms = float(self.latency.layer_ms(self.loads[:1])[0])
        self._score(0, float(self.captured[0].sum()), t * k - load_sum, spread, layer_ms)
        self.steps[0] += 1
        self.gates.draw(self._only, rngs)

    def _score(
        self,
        sel: Rows | int,
        mass: float | np.ndarray,
        drops: int | np.ndarray,
        spread: float | np.ndarray,
        layer_ms: float | np.ndarray,
    ) -> None:
        """Store the step's reward and its terms for rows ``sel`` (arrays, the batched step) or
        row 0 (Python numbers, ``step_one``)."""
        p = self.params
        linear = linear_objective(mass, drops, p)
        self.gate_mass[sel] = mass / p.n_tokens
        self.drops[sel] = drops
        self.imbalance[sel] = spread
        self.layer_ms[sel] = layer_ms
        self.linear[sel] = linear
        self.reward[sel] = routing_reward(linear, spread, layer_ms, p, self.latency.reference_ms)

    def info(self, idx: Rows | int = EVERY_ENV) -> dict[str, Any]:
        """The info of rows ``idx`` (arrays) or of env ``idx`` (numpy scalars): see
        ``MoeRoutingEnv``."""
        info = self._info_head(idx)
        drops = self.drops[idx]
        info.update(
            gate_mass=self.gate_mass[idx],
            drops=drops,
            drop_fraction=drops / self._slots,
            overflow_drops=self.overflow[idx].sum(axis=-1),
            explicit_drops=self.explicit_drops[idx],
            duplicate_drops=self.duplicate_drops[idx],
            imbalance=self.imbalance[idx],
            layer_ms=self.layer_ms[idx],
            loads=self.loads[idx].copy(),
        )
        return self._detach(info, idx)

    # ------------------------------------------------------------------ observations
    def _write_rows(self, idx: Rows, rows_out: np.ndarray) -> None:
        """Fill ``rows_out`` (n, 4, E) with the per-expert features (see ``expert_rows``)."""
        cap = float(self.capacity)
        demand = self.params.top_k * self.gates.column_mass[idx]  # k sum_t P_te, float32
        np.divide(demand, demand + cap, out=rows_out[:, 0])
        counts = self._counts[idx]  # load / (0 + C) = load / C exactly
        np.divide(counts, counts * self._squashed_rows + cap, out=rows_out[:, 1:])

    def expert_rows(self, idx: Rows = EVERY_ENV) -> np.ndarray:
        """(n, 4, E) float32 per-expert features in [0, 1]: soft demand of the current batch
        ``k sum_t P_te`` over capacity, last load / C, last overflow drops and last requested
        slots (before capacity), each squashed as ``v / (v + C)``."""
        idx = self._view(idx)
        shape = (len(self.steps[idx]), N_EXPERT_ROWS, self.params.n_experts)
        out = np.empty(shape, dtype=np.float32)  # float32 as the observation
        self._write_rows(idx, out)
        return out

    def scalars(self, idx: Rows = EVERY_ENV) -> np.ndarray:
        """(n, 2): step / max_steps and the last layer time as ``t / (t + t_ref)``."""
        return np.stack(
            [
                progress_share(self.steps[idx], self.params.max_steps),
                squash(self.layer_ms[idx], self.latency.reference_ms),
            ],
            axis=1,
        )

    def observation(self, idx: Rows = EVERY_ENV) -> np.ndarray:
        """(n, obs_dim) float32: [router probs (T E), assign mode only] + expert rows + scalars.

        A new array each call (written in place, without intermediate tables)."""
        p = self.params
        idx = self._view(idx)
        steps = self.steps[idx]
        out = np.empty((len(steps), self.observation_size()), dtype=np.float32)
        start = 0
        if p.action_mode == "assign":
            start = p.n_tokens * p.n_experts
            out[:, :start] = self.gates.probs[idx].reshape(len(steps), -1)
        rows_end = start + N_EXPERT_ROWS * p.n_experts
        self._write_rows(idx, out[:, start:rows_end].reshape(len(steps), N_EXPERT_ROWS, -1))
        out[:, rows_end] = progress_share(steps, p.max_steps)
        out[:, rows_end + 1] = squash(self.layer_ms[idx], self.latency.reference_ms)
        return out

    def observation_one(self) -> np.ndarray:
        """``observation()[0]`` of a one-env sim in bias mode (the scalar env's), bit-identical
        to it: the two scalars from Python numbers (the same IEEE divisions)."""
        p = self.params
        rows_end = N_EXPERT_ROWS * p.n_experts
        out = np.empty(rows_end + N_SCALARS, dtype=np.float32)
        self._write_rows(EVERY_ENV, out[:rows_end].reshape(1, N_EXPERT_ROWS, -1))
        out[rows_end] = progress_share(int(self.steps[0]), p.max_steps)
        out[rows_end + 1] = squash(float(self.layer_ms[0]), self.latency.reference_ms)
        return out

    def observation_size(self) -> int:
        """Length of one sub-env's observation."""
        p = self.params
        size = N_EXPERT_ROWS * p.n_experts + N_SCALARS
        return size + (p.n_tokens * p.n_experts if p.action_mode == "assign" else 0)


__all__ = [
    "LayerCallSim",
    "N_EXPERT_ROWS",
    "N_SCALARS",
    "RoutingSim",
    "imbalance",
    "info_arrays",
    "linear_objective",
    "load_imbalance",
    "progress_share",
    "routing_reward",
    "squash",
]
