"""Moved to ``.routing.sim``; this re-export keeps the old import path for one release."""

from .routing.sim import (
    HIDDEN_SIZE,
    N_EXPERT_ROWS,
    N_SCALARS,
    LayerLatency,
    RouteResult,
    RoutingSim,
    assignment_matrix,
    imbalance,
    linear_objective,
    route,
    top_k_with_scores,
)

__all__ = [
    "HIDDEN_SIZE",
    "LayerLatency",
    "N_EXPERT_ROWS",
    "N_SCALARS",
    "RouteResult",
    "RoutingSim",
    "assignment_matrix",
    "imbalance",
    "linear_objective",
    "route",
    "top_k_with_scores",
]
