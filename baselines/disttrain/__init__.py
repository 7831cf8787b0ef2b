"""Baselines and oracles of the distributed-training networking envs."""

from collections.abc import Callable
from typing import Any

from netgym.baselines.policy import RandomPolicy

from . import collective

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/CollectivePath-v0": {
        "ecmp": (
            lambda seed: collective.Ecmp(qps=1, seed=seed),
            "ECMP, 1 QP per connection: one random alive path, kept",
        ),
        "ecmp-qp": (
            lambda seed: collective.Ecmp(qps=None, seed=seed),
            "ECMP with one QP per piece (NCCL QPS_PER_CONNECTION = pieces)",
        ),
        "flowlet": (
            lambda seed: collective.Ecmp(qps=1, rehash_per_pattern=True, seed=seed),
            "flowlet switching: a new random path at every step pattern",
        ),
        "spray": (
            lambda seed: collective.Spray(seed),
            "spraying at piece granularity: pieces round-robin over the alive paths",
        ),
        "greedy-1": (
            lambda seed: collective.Greedy(1, capacity_aware=False),
            "sequential greedy least-loaded path, no split (bytes)",
        ),
        "greedy-2": (
            lambda seed: collective.Greedy(2, capacity_aware=False),
            "sequential greedy least-loaded, 2 parts (bytes)",
        ),
        "greedy-cap-4": (
            lambda seed: collective.Greedy(4, capacity_aware=True),
            "capacity-aware greedy, up to 4 parts (Ethereal-like)",
        ),
        "greedy-cap": (
            lambda seed: collective.Greedy(64, capacity_aware=True),
            "capacity-aware greedy, every piece on its own (Ethereal-like)",
        ),
        "oracle": (
            lambda seed: collective.Oracle(seed),
            "edge-colouring (healthy non-blocking) or the rounded min-congestion LP",
        ),
        "random": (lambda seed: RandomPolicy(seed), "a random alive path per piece"),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""

__all__ = ["BASELINES", "collective"]
