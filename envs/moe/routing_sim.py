"""Batched numpy dynamics of ``netgym/MoeRouting-v0``: gates, top-k, capacity, latency, reward.

Everything has a leading env axis N. Nothing here imports gymnasium.

* ``RoutingSim``: one layer call per step for N sub-envs, with gates from ``GateSource``
  (``routing_gates.py``), the reward of reference 6(B) and the observation features.
* ``route``: turns a choice of up to k experts per token into an assignment under the expert
  capacity C (Switch/GShard): duplicates and explicit drops are removed, and each expert keeps
  its C highest-priority assignments (ties to the lower token index); the rest are dropped.
* ``LayerLatency``: the layer time of reference 6(B), ``max over devices of sum_e t_exp(n_e)
  + t_a2a``, with ``t_exp`` from ``MoeCostModel`` and ``t_a2a = 2 x tokens x d_model x 2 B /
  link bandwidth`` for the tokens that cross devices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cost import MoeCostModel
from .routing_params import RoutingParams

HIDDEN_SIZE = {"readme": 4096, "mixtral": 4096, "deepseekmoe16b": 2048, "qwen15moe": 2048}
"""d_model of the cost-model presets (bytes per token moved by the all-to-all = d_model x 2)"""


def top_k_experts(scores: np.ndarray, k: int, overwrite: bool = False) -> np.ndarray:
    """Indices (..., k) of the k largest scores along the last axis.

    For k <= 4 they are in descending order of score (ties to the lower index), by repeated
    argmax, which is faster than ``argpartition`` there; for larger k in no particular order.
    ``overwrite=True`` lets it write into ``scores`` (a scratch array of the caller).
    """
    return top_k_with_scores(scores, k, overwrite)[0]


def top_k_with_scores(
    scores: np.ndarray, k: int, overwrite: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``top_k_experts`` and the chosen scores (..., k), read before they are overwritten."""
    if k == scores.shape[-1]:
        chosen = np.broadcast_to(np.arange(k), scores.shape[:-1] + (k,)).copy()
        return chosen, np.array(scores)
    if k > 4:
        chosen = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
        return chosen, np.take_along_axis(scores, chosen, axis=-1)
    work = (scores if overwrite else np.array(scores)).reshape(-1, scores.shape[-1])
    rows = np.arange(len(work))
    out = np.empty((len(work), k), dtype=np.int64)
    values = np.empty((len(work), k), dtype=work.dtype)
    for j in range(k):
        best = work.argmax(axis=-1)
        out[:, j] = best
        values[:, j] = work[rows, best]
        if j + 1 < k:
            work[rows, best] = -np.inf
    shape = scores.shape[:-1] + (k,)
    return out.reshape(shape), values.reshape(shape)


# ------------------------------------------------------------------------------ routing
@dataclass
class RouteResult:
    """An assignment of N layer calls (see ``route``)."""

    experts: np.ndarray
    """(N, T, k) expert of each slot after capacity, -1 = dropped / empty"""
    loads: np.ndarray
    """(N, E) tokens processed by each expert (<= capacity)"""
    drops: np.ndarray
    """(N,) slots not processed: T k - sum of loads"""
    explicit_drops: np.ndarray
    """(N,) slots the action left empty (assign mode: value E)"""
    duplicate_drops: np.ndarray
    """(N,) slots that repeated an expert already chosen by the same token"""
    overflow_drops: np.ndarray
    """(N, E) slots dropped because expert e was full"""
    captured: np.ndarray
    """(N, E) router probability mass processed by each expert"""
    requested: np.ndarray
    """(N, E) slots that asked for each expert (after duplicates, before capacity)"""


def route(
    chosen: np.ndarray,
    priority: np.ndarray,
    probs: np.ndarray,
    capacity: int,
    distinct: bool = False,
) -> RouteResult:
    """Apply duplicates, explicit drops and the expert capacity to a choice of experts.

    Args:
        chosen: (N, T, k) expert per slot, ``-1`` = no expert (explicit drop).
        priority: (N, T, k) priority of each slot for its expert's capacity (higher first).
        probs: (N, T, E) router probabilities (the captured mass counts them).
        capacity: slots per expert.
        distinct: the caller guarantees no token repeats an expert and no slot is empty
            (top-k choices), which skips those checks.
    """
    n, t, k = chosen.shape
    e = probs.shape[-1]
    chosen = chosen.astype(np.int64, copy=True)
    explicit = np.zeros(n, dtype=np.int64) if distinct else (chosen < 0).sum(axis=(1, 2))
    duplicate = np.zeros(n, dtype=np.int64)
    if not distinct:  # a later slot that repeats an earlier expert of its token is dropped
        for j in range(1, k):
            later = chosen[:, :, j : j + 1]
            repeat = ((later == chosen[:, :, :j]) & (later >= 0)).any(axis=-1)
            duplicate += repeat.sum(axis=1)
            chosen[:, :, j][repeat] = -1
    # flat slot index f = (env T + token) k + j; its expert's group g = env E + expert
    flat = chosen.ravel()
    (slot,) = np.nonzero(flat >= 0) if not distinct else (np.arange(n * t * k),)
    expert = flat[slot]
    env_index = slot // (t * k)
    group = env_index * e + expert
    demand = np.bincount(group, minlength=n * e)
    overflow = np.zeros(len(group), dtype=bool)
    if demand.max(initial=0) > capacity:
        # sort by (expert group, -priority), ties in token order: two stable sorts (faster
        # than lexsort; the second is a radix sort on small ints)
        by_priority = np.argsort(-priority.ravel()[slot], kind="stable")
        key = group[by_priority].astype(np.int16 if n * e < 32768 else np.int64)
        order = by_priority[np.argsort(key, kind="stable")]
        sorted_group = group[order]
        rank = np.arange(len(order)) - np.searchsorted(sorted_group, sorted_group)
        overflow[order] = rank >= capacity
    overflow_drops = np.bincount(group[overflow], minlength=n * e).reshape(n, e)
    kept = flat.copy()
    kept[slot[overflow]] = -1
    kept = kept.reshape(n, t, k)
    keep = ~overflow
    kept_group = group[keep]
    loads = np.bincount(kept_group, minlength=n * e).reshape(n, e)
    mass = probs.ravel()[(slot[keep] // k) * e + expert[keep]]
    captured = np.bincount(kept_group, weights=mass, minlength=n * e).reshape(n, e)
    drops = t * k - loads.sum(axis=1)
    requested = demand.reshape(n, e)
    return RouteResult(kept, loads, drops, explicit, duplicate, overflow_drops, captured, requested)


def assignment_matrix(experts: np.ndarray, n_experts: int) -> np.ndarray:
    """(..., T, E) 0/1 matrix of a slot assignment (..., T, k) with -1 = empty."""
    shape = experts.shape[:-1] + (n_experts + 1,)
    out = np.zeros(shape, dtype=np.int64)
    np.put_along_axis(out, np.where(experts < 0, n_experts, experts), 1, axis=-1)
    return out[..., :n_experts]


# ------------------------------------------------------------------------------ latency
class LayerLatency:
    """Layer time of N layer calls from the expert loads (reference/moe.md 6(B)).

    ``t_layer = max_d [sum_{e on d} t_exp(n_e) + t_a2a(d)]`` where ``t_exp`` is
    ``MoeCostModel.expert_ms`` and ``t_a2a(d) = 2 (dispatch + combine) x (D - 1) / D x n_d x
    d_model x bytes / link`` for the ``n_d`` slots processed on device d (with tokens spread
    evenly over the devices, a share ``(D - 1) / D`` of them comes from other devices).
    ``reference_ms`` is the time of a perfectly balanced layer (every expert ``k T / E``
    tokens, no drops), the normaliser of the latency term.
    """

    def __init__(self, params: RoutingParams) -> None:
        self.params = params
        self.cost = MoeCostModel.preset(params.model, params.hardware)
        hidden = HIDDEN_SIZE.get(params.model)
        bytes_per_token = hidden * self.cost.model.bytes_per_param
        share = (params.n_devices - 1) / params.n_devices
        self.a2a_ms_per_slot = (
            2.0 * share * bytes_per_token / (params.link_gbytes_per_s * 1e9) * 1e3
        )
        # loads are integers in [0, T]: tabulate t_exp once (exactly MoeCostModel.expert_ms)
        self.expert_table_ms = self.cost.expert_ms(np.arange(params.n_tokens + 1))
        balanced = np.full((1, params.n_experts), params.top_k * params.n_tokens / params.n_experts)
        self.reference_ms = float(self._device_ms(self.cost.expert_ms(balanced), balanced).max())

    def device_ms(self, loads: np.ndarray) -> np.ndarray:
        """(N, D) busy time of each device for integer ``loads`` (N, E)."""
        return self._device_ms(self.expert_table_ms[loads], loads)

    def _device_ms(self, expert_ms: np.ndarray, loads: np.ndarray) -> np.ndarray:
        n, d = len(loads), self.params.n_devices
        expert = expert_ms.reshape(n, d, -1).sum(axis=-1)
        return expert + self.a2a_ms_per_slot * loads.reshape(n, d, -1).sum(axis=-1)

    def layer_ms(self, loads: np.ndarray) -> np.ndarray:
        """(N,) layer time: the slowest device."""
        return self.device_ms(loads).max(axis=-1)


# ------------------------------------------------------------------------------ reward
def imbalance(loads: np.ndarray) -> np.ndarray:
    """(N,) ``max_e n_e / mean_e n_e - 1`` (0 when nothing was processed)."""
    total = loads.sum(axis=-1)
    mean = total / loads.shape[-1]
    ratio = np.divide(loads.max(axis=-1), mean, out=np.ones(len(loads)), where=total > 0)
    return ratio - 1.0


def linear_objective(
    captured_mass: np.ndarray, drops: np.ndarray, params: RoutingParams
) -> np.ndarray:
    """The linear part of the reward: ``mass / T - lambda_d drops / (T k)``."""
    t, k = params.n_tokens, params.top_k
    return captured_mass / t - params.drop_penalty * drops / (t * k)


# ------------------------------------------------------------------------------ the sim
N_EXPERT_ROWS = 4
"""observation rows per expert: soft demand, last load, last overflow, last requested slots"""
N_SCALARS = 2
"""observation scalars: step / max_steps, last layer time share"""


def _squash(value: np.ndarray, scale: float) -> np.ndarray:
    """``v / (v + scale)`` in [0, 1): 0.5 means ``v == scale``."""
    return value / (value + scale)


class RoutingSim:
    """N layer calls stepped together (the ``bias`` and ``assign`` action modes).

    ``reset(idx, rngs)`` starts episodes; ``step(idx, actions, rngs)`` routes the current batch
    of sub-envs ``idx`` with their actions, scores it and draws their next batch. After a step
    the per-env arrays ``reward``, ``gate_mass``, ``drops``, ``imbalance``, ``layer_ms``,
    ``linear``, ``upper_bound`` (the LP optimum of the step's linear objective, NaN-free: only
    filled when ``params.lp_bound``), ``loads`` (N, E), ``overflow`` (N, E), ``experts``
    (N, T, k) describe the step just taken.
    """

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        from .routing_gates import GateSource
        from .routing_trace_gates import TraceGates

        self.params = params
        self.num_envs = n = num_envs
        e, t, k = params.n_experts, params.n_tokens, params.top_k
        self.capacity = params.capacity
        self.gates = TraceGates(params, n) if params.gates == "trace" else GateSource(params, n)
        self._token_ones = np.ones((1, t), dtype=np.float32)
        self.latency = LayerLatency(params)
        self.steps = np.zeros(n, dtype=np.int64)
        self.loads = np.zeros((n, e), dtype=np.int64)
        self.overflow = np.zeros((n, e), dtype=np.int64)
        self.requested = np.zeros((n, e), dtype=np.int64)
        self.captured = np.zeros((n, e))
        self.experts = np.full((n, t, k), -1, dtype=np.int64)
        self.reward = np.zeros(n)
        self.gate_mass = np.zeros(n)
        self.drops = np.zeros(n, dtype=np.int64)
        self.explicit_drops = np.zeros(n, dtype=np.int64)
        self.duplicate_drops = np.zeros(n, dtype=np.int64)
        self.imbalance = np.zeros(n)
        self.layer_ms = np.zeros(n)
        self.linear = np.zeros(n)
        self.upper_bound = np.zeros(n)

    def reset(self, idx: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """New episodes for sub-envs ``idx`` (statistics of the last step are zeroed)."""
        self.gates.reset(idx, rngs)
        for array in (
            self.steps,
            self.loads,
            self.overflow,
            self.requested,
            self.captured,
            self.reward,
            self.gate_mass,
            self.drops,
            self.explicit_drops,
            self.duplicate_drops,
            self.imbalance,
            self.layer_ms,
            self.linear,
            self.upper_bound,
        ):
            array[idx] = 0
        self.experts[idx] = -1

    def choose(
        self, idx: np.ndarray | slice, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """The slots (n, T, k), their capacity priority and whether they are distinct top-k
        choices, for checked actions of sub-envs ``idx``."""
        p = self.params
        if p.action_mode == "bias":
            scores = self.gates.logits[idx] + actions[:, None, :].astype(np.float32)
            chosen, priority = top_k_with_scores(scores, p.top_k, overwrite=True)
            return chosen, priority, True
        chosen = actions.reshape(len(actions), p.n_tokens, p.top_k).astype(np.int64)
        chosen = np.where(chosen >= p.n_experts, -1, chosen)
        safe = np.maximum(chosen, 0)
        priority = np.take_along_axis(self.gates.probs[idx], safe, axis=-1)
        return chosen, priority, False

    def step(self, idx: np.ndarray, actions: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """Route the current batch of sub-envs ``idx`` with checked ``actions``; draw the next."""
        from .routing_lp import routing_lp

        p = self.params
        # a slice when every sub-env steps (the scalar env, most vector steps): basic indexing
        # makes views, where an index array would copy every (N, T, E) read and write
        sel: np.ndarray | slice = slice(None) if len(idx) == self.num_envs else idx
        chosen, priority, distinct = self.choose(sel, actions)
        probs = self.gates.probs[sel]
        result = route(chosen, priority, probs, self.capacity, distinct=distinct)
        self.experts[sel] = result.experts
        self.loads[sel] = result.loads
        self.overflow[sel] = result.overflow_drops
        self.captured[sel] = result.captured
        self.requested[sel] = result.requested
        mass = result.captured.sum(axis=1)
        self.gate_mass[sel] = mass / p.n_tokens
        self.drops[sel] = result.drops
        self.explicit_drops[sel] = result.explicit_drops
        self.duplicate_drops[sel] = result.duplicate_drops
        spread = imbalance(result.loads)
        layer_ms = self.latency.layer_ms(result.loads)
        linear = linear_objective(mass, result.drops, p)
        self.imbalance[sel] = spread
        self.layer_ms[sel] = layer_ms
        self.linear[sel] = linear
        self.reward[sel] = (
            linear
            - p.imbalance_penalty * spread
            - p.latency_penalty * layer_ms / self.latency.reference_ms
        )
        if p.lp_bound:
            for j, i in enumerate(idx):
                bound, _ = routing_lp(probs[j], p.top_k, self.capacity, p.drop_penalty)
                self.upper_bound[i] = bound
        self.steps[sel] += 1
        self.gates.draw(idx, rngs)

    # ------------------------------------------------------------------ observations
    def expert_rows(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(n, 4, E) per-expert features in [0, 1]: soft demand of the current batch
        ``k sum_t P_te`` over capacity, last load / C, last overflow drops and last requested
        slots (before capacity), each squashed as ``v / (v + C)``."""
        p = self.params
        cap = float(self.capacity)
        probs = self.gates.probs[idx]
        demand = p.top_k * np.matmul(self._token_ones, probs)[:, 0]  # BLAS sum over tokens
        return np.stack(
            [
                _squash(demand, cap),
                self.loads[idx] / cap,
                _squash(self.overflow[idx], cap),
                _squash(self.requested[idx], cap),
            ],
            axis=1,
        )

    def scalars(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(n, 2): step / max_steps and the last layer time as ``t / (t + t_ref)``."""
        return np.stack(
            [
                np.minimum(self.steps[idx] / self.params.max_steps, 1.0),
                _squash(self.layer_ms[idx], self.latency.reference_ms),
            ],
            axis=1,
        )

    def observation(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(n, obs_dim) float32: [router probs (T E), assign mode only] + expert rows + scalars."""
        rows = self.expert_rows(idx)
        parts = [rows.reshape(len(rows), -1), self.scalars(idx)]
        if self.params.action_mode == "assign":
            probs = self.gates.probs[idx]
            parts.insert(0, probs.reshape(len(probs), -1))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def observation_size(self) -> int:
        """Length of one sub-env's observation."""
        p = self.params
        size = N_EXPERT_ROWS * p.n_experts + N_SCALARS
        return size + (p.n_tokens * p.n_experts if p.action_mode == "assign" else 0)
