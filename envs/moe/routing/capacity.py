"""Top-k choice and the expert capacity of one MoE layer call, batched over N layer calls.

* ``top_k_with_scores``: the k largest router scores of each token (repeated argmax for k <= 4).
* ``route``: turns a choice of up to k experts per token into an assignment under the expert
  capacity C (Switch/GShard): duplicates and explicit drops are removed, and each expert keeps
  its C highest-priority assignments (ties to the lower token index); the rest are dropped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


def top_k_with_scores(
    scores: np.ndarray, k: int, overwrite: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (..., k) of the k largest scores along the last axis, and those scores.

    For k <= 4 they are in descending order of score (ties to the lower index), by repeated
    argmax, which is faster than ``argpartition`` there; for larger k in no particular order.
    ``overwrite=True`` lets it write into ``scores`` (a scratch array of the caller); the
    chosen scores are read before they are overwritten.
    """
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
    token, offset = slot_layout(n, t, k, e)
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
        overflow = over_capacity(group, ranked, demand, capacity)  # indices into ``group``
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
def slot_layout(n: int, t: int, k: int, e: int) -> tuple[np.ndarray, np.ndarray]:
    """Token index (env T + token) and group offset (env E) of each flat slot (read-only)."""
    slot = np.arange(n * t * k)
    token, offset = slot // k, (slot // (t * k)) * e
    token.setflags(write=False)
    offset.setflags(write=False)
    return token, offset


def over_capacity(
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


__all__ = [
    "RouteResult",
    "assignment_matrix",
    "over_capacity",
    "route",
    "slot_layout",
    "top_k_with_scores",
]
