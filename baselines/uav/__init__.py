"""UAV offloading baselines (reference/uav.md sections 5 and 6.5): hover, random, k-means,
greedy grid, static and per-step PSO placement, and the association upper bounds."""

from collections.abc import Callable
from typing import Any

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

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/UavOffload-v0": {
        "hover": (lambda seed: Hover(), "every UAV hovers at its start"),
        "random": (lambda seed: RandomMoves(seed), "uniformly random move per UAV"),
        "kmeans": (
            lambda seed: KMeansPlacement(seed),
            "k-means centroids of the users, greedy moves toward them",
        ),
        "greedy-grid": (
            lambda seed: GreedyGridPlacement(),
            "successive greedy lattice placement, greedy moves toward it",
        ),
        "pso-static": (
            lambda seed: PsoStatic(seed),
            "PSO placement (30 particles, 100 iterations), greedy moves toward it",
        ),
        "pso-step": (
            lambda seed: PsoStep(seed),
            "best joint move in the reachable set each step (exhaustive, PSO when large)",
        ),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""

__all__ = [
    "BASELINES",
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
