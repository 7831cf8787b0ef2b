"""Moved to ``.routing.sim``, ``.capacity``, ``.latency``; this re-export keeps the old import path for one release."""  # noqa: E501

from .routing.capacity import RouteResult, assignment_matrix, route, top_k_with_scores
from .routing.latency import HIDDEN_SIZE, LayerLatency
from .routing.sim import N_EXPERT_ROWS, N_SCALARS, RoutingSim, imbalance, linear_objective

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
