"""Exact optimum of the linear part of the routing reward (the per-step upper bound).

For one layer call with router probabilities ``P`` (T x E), top-k and capacity C, the linear
objective of an assignment ``x`` (T x E, 0/1) is

    J(x) = sum_te P_te x_te / T - lambda_d (T k - sum_te x_te) / (T k)

subject to ``sum_e x_te <= k`` (each token at most k distinct experts) and ``sum_t x_te <= C``
(expert capacity). This is a transportation problem: its constraint matrix is the incidence
matrix of a bipartite graph, totally unimodular, so the LP relaxation has an integral optimal
vertex and the LP optimum is the optimum over assignments (reference/moe.md 6(B), "Oracle").
No routing rule (top-k, expert choice capped at k, balanced, bias-based, hash) can exceed it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import sparse
from scipy.optimize import linprog


@lru_cache(maxsize=8)
def _constraints(n_tokens: int, n_experts: int) -> sparse.csr_matrix:
    """Rows 0..T-1: token sums; rows T..T+E-1: expert sums, over x flattened token-major."""
    t, e = n_tokens, n_experts
    cols = np.arange(t * e)
    token_rows = cols // e
    expert_rows = t + cols % e
    data = np.ones(2 * t * e)
    return sparse.csr_matrix(
        (data, (np.concatenate([token_rows, expert_rows]), np.concatenate([cols, cols]))),
        shape=(t + e, t * e),
    )


def linear_value(
    assignment: np.ndarray, probs: np.ndarray, top_k: int, drop_penalty: float
) -> float:
    """``J(x)`` of a 0/1 assignment (T, E)."""
    t = probs.shape[0]
    processed = float(assignment.sum())
    return float(
        (probs * assignment).sum() / t - drop_penalty * (t * top_k - processed) / (t * top_k)
    )


def routing_lp(
    probs: np.ndarray, top_k: int, capacity: int, drop_penalty: float
) -> tuple[float, np.ndarray]:
    """The optimal value of ``J`` and an optimal 0/1 assignment (T, E).

    When plain top-k respects every capacity it is optimal (every weight is positive, so each
    token takes its k best experts) and no solver is called; otherwise HiGHS dual simplex
    solves the LP, whose vertex optimum is integral.

    Raises:
        ValueError: bad shapes, ``top_k`` outside [1, E] or ``capacity < 1``.
        RuntimeError: the solver failed (it should not: the LP is always feasible, x = 0).
    """
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2:
        raise ValueError(f"probs must be (tokens, experts), got shape {probs.shape}")
    t, e = probs.shape
    if not 1 <= top_k <= e:
        raise ValueError(f"top_k must be in [1, {e}], got {top_k}")
    if capacity < 1:
        raise ValueError(f"capacity must be >= 1, got {capacity}")
    weights = probs / t + drop_penalty / (t * top_k)
    best = np.argsort(-weights, axis=1, kind="stable")[:, :top_k]
    greedy = np.zeros((t, e), dtype=np.int64)
    np.put_along_axis(greedy, best, 1, axis=1)
    if greedy.sum(axis=0).max() <= capacity:
        return linear_value(greedy, probs, top_k, drop_penalty), greedy
    bounds_ub = np.concatenate([np.full(t, float(top_k)), np.full(e, float(capacity))])
    result = linprog(
        -weights.ravel(),
        A_ub=_constraints(t, e),
        b_ub=bounds_ub,
        bounds=(0.0, 1.0),
        method="highs-ds",
    )
    if result.status != 0:
        raise RuntimeError(f"the routing LP failed: {result.message}")
    assignment = np.rint(result.x).astype(np.int64).reshape(t, e)
    if np.abs(result.x - assignment.ravel()).max() > 1e-6:  # pragma: no cover (TU matrix)
        raise RuntimeError("the routing LP returned a fractional vertex")
    value = linear_value(assignment, probs, top_k, drop_penalty)
    return value, assignment
