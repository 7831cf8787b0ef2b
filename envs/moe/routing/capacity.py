"""Top-k choice and the expert capacity of one MoE layer call, batched over N layer calls.

* ``top_k_with_scores``: the k largest router scores of each token (descending, ties to the
  lower expert: repeated argmax).
* ``route``: turns a choice of up to k experts per token into an assignment under the expert
  capacity C (Switch/GShard): duplicates and explicit drops are removed, and each expert keeps
  its C highest-priority assignments (ties to the lower token index); the rest are dropped.

Both run the compiled kernels of ``kernels.py`` (their only implementation, shared with the
env's step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import route_slots, top_k_rows


def top_k_with_scores(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (..., k) of the k largest scores along the last axis, and those scores.

    In descending order of score, ties to the lower index (repeated argmax); ``k`` equal to
    the last axis gives every index in order. NaN scores are refused (the compiled kernel
    would rank them below every number and could return no index for a row of NaNs).
    """
    if np.isnan(scores).any():
        raise ValueError("top_k_with_scores: scores contain NaN; give finite scores or +-inf")
    chosen, values = top_k_rows(np.ascontiguousarray(scores).reshape(-1, scores.shape[-1]), k)
    shape = scores.shape[:-1] + (k,)
    return chosen.reshape(shape), values.reshape(shape)


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
        distinct: the caller's promise that no token repeats an expert and no slot is empty
            (top-k choices); the kernel finds none then, so it changes nothing (kept for the
            callers that pass it).
        slot_probs: (N, T, k) router probability of each slot's expert (any value where
            ``chosen`` is -1), instead of gathering it from ``probs``.
        n_experts: E when ``probs`` is None.
    """
    n, t, k = chosen.shape
    e = probs.shape[-1] if probs is not None else n_experts
    if e is None:
        raise ValueError("route needs probs or n_experts")
    chosen = np.ascontiguousarray(chosen, dtype=np.int64)
    if chosen.size and (chosen.min() < -1 or chosen.max() >= e):
        # the compiled kernel does not check bounds: an expert id past E would write past
        # its arrays
        raise ValueError(
            f"route: chosen experts must be -1 (no expert) or in [0, {e}), got values in "
            f"[{chosen.min()}, {chosen.max()}]"
        )
    if slot_probs is None:
        slot_probs = np.take_along_axis(probs, np.maximum(chosen, 0), axis=-1)
    # float64 is exact for float32 values: the same ranking, the same sums (as np.bincount)
    mass = np.ascontiguousarray(slot_probs, dtype=np.float64)
    ranked = np.ascontiguousarray(priority, dtype=np.float64)
    experts = np.empty((n, t * k), dtype=np.int64)
    counts = np.empty((n, 3, e), dtype=np.int64)
    captured = np.empty((n, e))
    explicit = np.empty(n, dtype=np.int64)
    duplicate = np.empty(n, dtype=np.int64)
    route_slots(chosen, ranked, mass, capacity, experts, counts, captured, explicit, duplicate)
    loads = counts[:, 0]
    return RouteResult(
        experts.reshape(n, t, k),
        loads,
        t * k - loads.sum(axis=1),
        explicit,
        duplicate,
        counts[:, 1],
        captured,
        counts[:, 2],
    )


def assignment_matrix(experts: np.ndarray, n_experts: int) -> np.ndarray:
    """(..., T, E) 0/1 matrix of a slot assignment (..., T, k) with -1 = empty."""
    shape = experts.shape[:-1] + (n_experts + 1,)
    out = np.zeros(shape, dtype=np.int64)
    np.put_along_axis(out, np.where(experts < 0, n_experts, experts), 1, axis=-1)
    return out[..., :n_experts]


__all__ = ["RouteResult", "assignment_matrix", "route", "top_k_with_scores"]
