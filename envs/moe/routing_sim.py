"""Moved to ``.routing.sim`` and ``.routing.capacity``; this re-export keeps the old import path for one release."""  # noqa: E501

from .routing.capacity import RouteResult, assignment_matrix, route, top_k_with_scores
from .routing.sim import (
    HIDDEN_SIZE,
    N_EXPERT_ROWS,
    N_SCALARS,
    LayerLatency,
    RoutingSim,
    imbalance,
    linear_objective,
)

__all__ = [
    "HIDDEN_SIZE",
    "N_EXPERT_ROWS",
    "N_SCALARS",
    "LayerLatency",
    "RouteResult",
    "RoutingSim",
    "assignment_matrix",
    "imbalance",
    "linear_objective",
    "route",
    "top_k_with_scores",
]
