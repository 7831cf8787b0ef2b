"""Non-learning policies and oracles, one subpackage per env family.

``make_policy(env_id, name, seed=0)`` builds a baseline by name; ``BASELINES[env_id]`` lists
the names with a one-line description. Every policy follows the protocol
``policy.reset(env)`` then ``policy.act(obs, info) -> action``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import abr, uav

_ABR = "netgym/AbrStreaming-v0"
_UAV = "netgym/UavOffload-v0"

# name -> (factory(seed) -> policy, description)
BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    _ABR: {
        "bba": (lambda seed: abr.BBA(), "buffer-based, reservoir 5 s, cushion 10 s"),
        "rb": (lambda seed: abr.RateBased(), "rate-based, harmonic mean of the last 5 chunks"),
        "bola": (lambda seed: abr.BOLA(), "BOLA-BASIC, dash.js parameters (10 s / 30 s)"),
        "mpc": (lambda seed: abr.RobustMPC(), "robustMPC, horizon 5, all plans"),
        "mpc-jump1": (
            lambda seed: abr.RobustMPC(max_jump=1),
            "robustMPC restricted to +-1 level per chunk (NetLLM's MPC)",
        ),
        "random": (lambda seed: abr.RandomPolicy(seed), "uniformly random level"),
        "lowest": (lambda seed: abr.FixedQuality(0), "always the lowest level"),
        "highest": (lambda seed: abr.FixedQuality(-1), "always the highest level"),
        "oracle": (
            lambda seed: abr.OfflineOptimal(),
            "offline optimum (DP over quantised buffer and clock, knows the trace)",
        ),
    },
    _UAV: {
        "hover": (lambda seed: uav.Hover(), "every UAV hovers at its start"),
        "random": (lambda seed: uav.RandomMoves(seed), "uniformly random move per UAV"),
        "kmeans": (
            lambda seed: uav.KMeansPlacement(seed),
            "k-means centroids of the users, greedy moves toward them",
        ),
        "greedy-grid": (
            lambda seed: uav.GreedyGridPlacement(),
            "successive greedy lattice placement, greedy moves toward it",
        ),
        "pso-static": (
            lambda seed: uav.PsoStatic(seed),
            "PSO placement (30 particles, 100 iterations), greedy moves toward it",
        ),
        "pso-step": (
            lambda seed: uav.PsoStep(seed),
            "best joint move in the reachable set each step (exhaustive, PSO when large)",
        ),
    },
}


def make_policy(env_id: str, name: str, seed: int = 0) -> Any:
    """Build the baseline ``name`` for ``env_id``; ``ValueError`` lists the known names."""
    env_id = env_id.split(":", 1)[-1]
    family = BASELINES.get(env_id)
    if family is None:
        raise ValueError(
            f"no baselines for env {env_id!r}; envs with baselines: {sorted(BASELINES)}"
        )
    if name not in family:
        raise ValueError(f"unknown policy {name!r} for {env_id}; known: {sorted(family)}")
    return family[name][0](seed)


__all__ = ["BASELINES", "make_policy"]
