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

import functools
from dataclasses import dataclass

import numpy as np

from ..cost import MoeCostModel
from .params import RoutingParams

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
    e = scores.shape[-1]
    work = (scores if overwrite else np.array(scores)).reshape(-1, e)  # C-contiguous
    flat = work.reshape(-1)  # a view: flat indices gather and write faster than (row, col)
    row_start = _row_starts(len(work), e)
    out = np.empty((len(work), k), dtype=np.int64)
    values = np.empty((len(work), k), dtype=work.dtype)
    for j in range(k):
        best = work.argmax(axis=-1)
        out[:, j] = best
        index = best + row_start
        values[:, j] = flat[index]
        if j + 1 < k:
            flat[index] = -np.inf
    shape = scores.shape[:-1] + (k,)
    return out.reshape(shape), values.reshape(shape)


@functools.lru_cache(maxsize=64)
def _row_starts(rows: int, width: int) -> np.ndarray:
    """Read-only ``arange(rows) * width``: the flat index of each row's first entry."""
    starts = np.arange(rows) * width
    starts.setflags(write=False)
    return starts


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
    probs: np.ndarray | None,
    capacity: int,
    distinct: bool = False,
    slot_probs: np.ndarray | None = None,
    n_experts: int | None = None,
) -> RouteResult:
    """Apply duplicates, explicit drops and the expert capacity to a choice of experts.

    Args:
        chosen: (N, T, k) expert per slot, ``-1`` = no expert (explicit drop).
        priority: (N, T, k) priority of each slot for its expert's capacity (higher first;
            equal priorities go to the lower token).
        probs: (N, T, E) router probabilities (the captured mass counts them); None when
            ``slot_probs`` and ``n_experts`` are given.
        capacity: slots per expert.
        distinct: the caller guarantees no token repeats an expert and no slot is empty
            (top-k choices), which skips those checks.
        slot_probs: (N, T, k) router probability of each slot's expert (any value where
            ``chosen`` is -1), instead of gathering it from ``probs``.
        n_experts: E when ``probs`` is None.
    """
    n, t, k = chosen.shape
    e = probs.shape[-1] if probs is not None else n_experts
    if e is None:
        raise ValueError("route needs probs or n_experts")
    token, offset = _slot_layout(n, t, k, e)
    flat = chosen.astype(np.int64).ravel()  # a copy: the duplicate checks write into it
    explicit = np.zeros(n, dtype=np.int64)
    duplicate = np.zeros(n, dtype=np.int64)
    if distinct:
        slot, expert, slot_token = None, flat, token
        group = flat + offset if n > 1 else flat
    else:
        chosen = flat.reshape(n, t, k)
        explicit = (chosen < 0).sum(axis=(1, 2))
        for j in range(1, k):  # a later slot that repeats an earlier expert of its token
            later = chosen[:, :, j : j + 1]
            repeat = ((later == chosen[:, :, :j]) & (later >= 0)).any(axis=-1)
            duplicate += repeat.sum(axis=1)
            chosen[:, :, j][repeat] = -1
        (slot,) = np.nonzero(flat >= 0)
        expert, slot_token = flat[slot], token[slot]
        group = offset[slot] + expert
    # flat slot index f = (env T + token) k + j; its expert's group g = env E + expert
    demand = np.bincount(group, minlength=n * e)
    if slot_probs is None:
        mass = probs.ravel()[slot_token * e + expert]
    else:  # a copy: overflowing slots are zeroed below
        mass = slot_probs.ravel()[slot] if slot is not None else slot_probs.ravel().copy()
    if len(demand) and demand.max() > capacity:
        ranked = priority.ravel() if slot is None else priority.ravel()[slot]
        overflow = _over_capacity(group, ranked, demand, capacity)  # indices into ``group``
        overflow_drops = np.bincount(group[overflow], minlength=n * e)
        flat = flat.copy()  # ``group`` may be a view of it
        flat[overflow if slot is None else slot[overflow]] = -1
        mass[overflow] = 0.0  # x + 0 = x: the captured sums are those of the kept slots
        loads = demand - overflow_drops
    else:
        overflow_drops, loads = np.zeros(n * e, dtype=np.int64), demand
    captured = np.bincount(group, weights=mass, minlength=n * e).reshape(n, e)
    loads = loads.reshape(n, e)
    drops = t * k - loads.sum(axis=1)
    return RouteResult(
        flat.reshape(n, t, k),
        loads,
        drops,
        explicit,
        duplicate,
        overflow_drops.reshape(n, e),
        captured,
        demand.reshape(n, e),
    )


@functools.lru_cache(maxsize=64)
def _slot_layout(n: int, t: int, k: int, e: int) -> tuple[np.ndarray, np.ndarray]:
    """Token index (env T + token) and group offset (env E) of each flat slot (read-only)."""
    slot = np.arange(n * t * k)
    token, offset = slot // k, (slot // (t * k)) * e
    token.setflags(write=False)
    offset.setflags(write=False)
    return token, offset


def _over_capacity(
    group: np.ndarray, priority: np.ndarray, demand: np.ndarray, capacity: int
) -> np.ndarray:
    """Indices of the slots beyond their group's ``capacity`` in (group, -priority, slot) order.

    The slots are ranked within their group by descending priority, ties to the lower slot
    (= lower token). float32 priorities (the env's) use one ``np.sort`` of unique int64 keys
    ``group | descending priority bits | slot``: after ``+ 0.0`` (-0.0 becomes 0.0), a float32's
    bits with the magnitude bits of non-negative values flipped order as the negated float
    (non-negative ones below 2^31, larger first; negative ones above, larger magnitude last).
    Other dtypes, or keys over 63 bits, use two stable argsorts (priority, then group).
    """
    m = len(group)
    slot_bits = max(m - 1, 1).bit_length()
    group_bits = max(len(demand) - 1, 1).bit_length()
    positions = _positions(m)
    if priority.dtype == np.float32 and group_bits + 32 + slot_bits <= 63:
        bits = np.add(priority, np.float32(0.0)).view(np.int32)
        flipped = bits ^ ((~bits >> 31) & 0x7FFFFFFF)
        descending = flipped.view(np.uint32).astype(np.int64)  # in [0, 2^32)
        key = np.sort((group << (32 + slot_bits)) | (descending << slot_bits) | positions)
        sorted_group = key >> (32 + slot_bits)
        order = key & ((1 << slot_bits) - 1)
    else:  # two stable sorts (the second a radix sort on small ints)
        by_priority = np.argsort(-priority, kind="stable")
        key16 = group[by_priority].astype(np.int16 if len(demand) < 32768 else np.int64)
        order = by_priority[np.argsort(key16, kind="stable")]
        sorted_group = group[order]
    # sorted position i is over capacity when i >= (start of its group) + capacity
    limit = demand.cumsum() - (demand - capacity)
    return order[positions >= limit[sorted_group]]


@functools.lru_cache(maxsize=64)
def _positions(m: int) -> np.ndarray:
    """Read-only ``arange(m)``."""
    positions = np.arange(m)
    positions.setflags(write=False)
    return positions


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
    if total.all():  # the usual case: no guard needed
        return loads.max(axis=-1) / mean - 1.0
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
    (N, T, k) describe the step just taken. Index arrays ``idx`` are sorted and unique.
    """

    def __init__(self, params: RoutingParams, num_envs: int) -> None:
        from .gates import GateSource
        from .trace_gates import TraceGates

        self.params = params
        self.num_envs = n = num_envs
        e, t, k = params.n_experts, params.n_tokens, params.top_k
        self.capacity = params.capacity
        self.gates = TraceGates(params, n) if params.gates == "trace" else GateSource(params, n)
        self._scores = np.empty((n, t, e), dtype=np.float32)
        """scratch for the biased logits (bias mode)"""
        self.latency = LayerLatency(params)
        self.steps = np.zeros(n, dtype=np.int64)
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
        self.reward = np.zeros(n)
        self.gate_mass = np.zeros(n)
        self.drops = np.zeros(n, dtype=np.int64)
        self.explicit_drops = np.zeros(n, dtype=np.int64)
        self.duplicate_drops = np.zeros(n, dtype=np.int64)
        self.imbalance = np.zeros(n)
        self.layer_ms = np.zeros(n)
        self.linear = np.zeros(n)
        self.upper_bound = np.zeros(n)
        self._only = np.zeros(1, dtype=np.int64)

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

    def _view(self, idx: np.ndarray | slice) -> np.ndarray | slice:
        """A slice for ``idx`` when it names every sub-env in order: basic indexing makes views,
        where an index array would copy every (N, T, E) read."""
        if isinstance(idx, slice) or len(idx) != self.num_envs:
            return idx
        # indices are sorted and unique (``np.flatnonzero`` / ``arange``): n of them from 0
        # to n - 1 are all sub-envs in order
        return slice(None) if idx[0] == 0 and idx[-1] == self.num_envs - 1 else idx

    def choose(
        self, idx: np.ndarray | slice, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """The slots (n, T, k), their capacity priority and whether they are distinct top-k
        choices, for checked actions of sub-envs ``idx``."""
        p = self.params
        if p.action_mode == "bias":
            # biased logits in a scratch buffer (float32, as the logits)
            scores = self._scores[: len(actions)]
            np.add(self.gates.logits[idx], actions[:, None, :].astype(np.float32), out=scores)
            chosen, priority = top_k_with_scores(scores, p.top_k, overwrite=True)
            return chosen, priority, True
        chosen = actions.reshape(len(actions), p.n_tokens, p.top_k).astype(np.int64)
        chosen = np.where(chosen >= p.n_experts, -1, chosen)
        safe = np.maximum(chosen, 0)
        priority = np.take_along_axis(self.gates.probs[idx], safe, axis=-1)
        return chosen, priority, False

    def step(self, idx: np.ndarray, actions: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """Route the current batch of sub-envs ``idx`` with checked ``actions``; draw the next."""
        p = self.params
        # a slice when every sub-env steps (the scalar env, most vector steps)
        sel = self._view(idx)
        chosen, priority, distinct = self.choose(sel, actions)
        gates = self.gates
        if distinct:  # top-k: the probabilities of the T k chosen pairs, not the full table
            token, _ = _slot_layout(len(actions), p.n_tokens, p.top_k, p.n_experts)
            slot_probs = gates.slot_probs(sel, token, chosen.reshape(-1))
        else:  # assign mode: the priority is the router probability of each slot's expert
            slot_probs = priority
        result = route(
            chosen,
            priority,
            None,
            self.capacity,
            distinct=distinct,
            slot_probs=slot_probs,
            n_experts=p.n_experts,
        )
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
            from .lp import routing_lp  # scipy: imported only when the bound is asked

            probs = gates.probs[sel]
            for j, i in enumerate(idx):
                bound, _ = routing_lp(probs[j], p.top_k, self.capacity, p.drop_penalty)
                self.upper_bound[i] = bound
        self.steps[sel] += 1
        gates.draw(idx, rngs)

    def step_one(self, biases: np.ndarray, rngs: list[np.random.Generator]) -> None:
        """``step(arange(1), biases[None], rngs)`` of a one-env sim in bias mode without the
        LP bound (the scalar env's step), bit-identical to it: the same numpy operations on
        (T, E) and (1, E) arrays, without the batched (N, T, E) indexing, ``route``'s generic
        checks and its result object."""
        p = self.params
        t, k, e = p.n_tokens, p.top_k, p.n_experts
        if p.action_mode != "bias" or p.lp_bound or self.num_envs != 1:
            raise ValueError("step_one needs one env in bias mode without the LP bound")
        gates = self.gates
        scores = self._scores[0]
        np.add(gates.logits[0], biases.astype(np.float32), out=scores)
        chosen, priority = top_k_with_scores(scores, k, overwrite=True)  # (T, k)
        group = chosen.reshape(-1)  # the flat slots' experts (distinct top-k choices)
        token, _ = _slot_layout(1, t, k, e)
        mass = gates.slot_probs(slice(0, 1), token, group)  # a new array: zeroed below
        counts = self._counts[0]
        demand = np.bincount(group, minlength=e)
        experts = self.experts[0].reshape(-1)
        experts[:] = group
        if demand.max() > self.capacity:
            overflow = _over_capacity(group, priority.reshape(-1), demand, self.capacity)
            dropped = np.bincount(group[overflow], minlength=e)
            np.subtract(demand, dropped, out=counts[0])  # loads
            counts[1] = dropped  # overflow drops
            experts[overflow] = -1
            mass[overflow] = 0.0
        else:
            counts[0] = demand
            counts[1] = 0
        counts[2] = demand
        captured = np.bincount(group, weights=mass, minlength=e)
        self.captured[0] = captured
        loads = self.loads[:1]
        # the reward terms in Python floats: the same IEEE operations, in the same order, as
        # ``imbalance`` and ``linear_objective`` on length-1 arrays (int -> float is exact)
        total = float(captured.sum())
        load_sum = int(counts[0].sum())
        drops = t * k - load_sum
        spread = float(counts[0].max()) / (load_sum / e) - 1.0 if load_sum else 0.0
        layer_ms = float(self.latency.layer_ms(loads)[0])
        linear = total / t - p.drop_penalty * drops / (t * k)
        self.gate_mass[0] = total / t
        self.drops[0] = drops
        self.explicit_drops[0] = 0
        self.duplicate_drops[0] = 0
        self.imbalance[0] = spread
        self.layer_ms[0] = layer_ms
        self.linear[0] = linear
        self.reward[0] = (
            linear
            - p.imbalance_penalty * spread
            - p.latency_penalty * layer_ms / self.latency.reference_ms
        )
        self.steps[0] += 1
        gates.draw(self._only, rngs)

    # ------------------------------------------------------------------ observations
    def _soft_demand(self, idx: np.ndarray | slice) -> np.ndarray:
        """(n, E) float32 ``k sum_t P_te`` of the current batch (the gates' column sums)."""
        return self.params.top_k * self.gates.column_mass[idx]

    def _write_rows(self, idx: np.ndarray | slice, rows: np.ndarray) -> None:
        """Fill ``rows`` (n, 4, E) with the per-expert features (see ``expert_rows``)."""
        cap = float(self.capacity)
        demand = self._soft_demand(idx)
        np.divide(demand, demand + cap, out=rows[:, 0])
        counts = self._counts[idx]  # load / (0 + C) = load / C exactly
        np.divide(counts, counts * self._squashed_rows + cap, out=rows[:, 1:])

    def expert_rows(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(n, 4, E) float32 per-expert features in [0, 1]: soft demand of the current batch
        ``k sum_t P_te`` over capacity, last load / C, last overflow drops and last requested
        slots (before capacity), each squashed as ``v / (v + C)``."""
        idx = self._view(idx)
        shape = (len(self.steps[idx]), N_EXPERT_ROWS, self.params.n_experts)
        rows = np.empty(shape, dtype=np.float32)  # float32 as the observation
        self._write_rows(idx, rows)
        return rows

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
        np.minimum(steps / p.max_steps, 1.0, out=out[:, rows_end])
        layer_ms = self.layer_ms[idx]
        np.divide(layer_ms, layer_ms + self.latency.reference_ms, out=out[:, rows_end + 1])
        return out

    def observation_one(self) -> np.ndarray:
        """``observation(slice(0, 1))[0]`` of a one-env sim in bias mode (the scalar env's),
        bit-identical to it: the two scalars in Python floats (the same IEEE divisions)."""
        p = self.params
        rows_end = N_EXPERT_ROWS * p.n_experts
        out = np.empty(rows_end + N_SCALARS, dtype=np.float32)
        self._write_rows(slice(0, 1), out[:rows_end].reshape(1, N_EXPERT_ROWS, -1))
        out[rows_end] = min(int(self.steps[0]) / p.max_steps, 1.0)
        layer_ms = float(self.layer_ms[0])
        out[rows_end + 1] = layer_ms / (layer_ms + self.latency.reference_ms)
        return out

    def observation_size(self) -> int:
        """Length of one sub-env's observation."""
        p = self.params
        size = N_EXPERT_ROWS * p.n_experts + N_SCALARS
        return size + (p.n_tokens * p.n_experts if p.action_mode == "assign" else 0)
