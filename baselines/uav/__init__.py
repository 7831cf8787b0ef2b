"""UAV offloading baselines (reference/uav.md sections 5 and 6.5): hover, random, k-means,
greedy grid, static and per-step PSO placement, and the association upper bounds."""

from .bounds import (
    BoundsInfo,
    bounds_for,
    capacity_bound,
    coverable_users,
    interference_free_bound,
    milp_optimum,
)
from .placement import (
    GreedyGridPlacement,
    Hover,
    KMeansPlacement,
    RandomMoves,
    greedy_grid_placement,
    kmeans,
    moves_toward,
)
from .pso import PsoStatic, PsoStep, pso_placement

__all__ = [
    "BoundsInfo",
    "GreedyGridPlacement",
    "Hover",
    "KMeansPlacement",
    "PsoStatic",
    "PsoStep",
    "RandomMoves",
    "bounds_for",
    "capacity_bound",
    "coverable_users",
    "greedy_grid_placement",
    "interference_free_bound",
    "kmeans",
    "milp_optimum",
    "moves_toward",
    "pso_placement",
]
