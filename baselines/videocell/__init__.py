"""Baselines of ``netgym/WirelessVideoCell-v0`` (``heuristics.py``): round robin, max-C/I,
proportional fair, personalised greedy, proportional fair + robustMPC clients, random. The
per-step fluid bounds are the env's ``info['upper_bound']`` and ``info['count_bound']``."""

from collections.abc import Callable
from typing import Any

from ..policy import RandomPolicy
from .heuristics import MaxCI, PersonalisedGreedy, PfMpc, ProportionalFair, RoundRobin

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/WirelessVideoCell-v0": {
        "rr": (lambda seed: RoundRobin(), "round robin: equal PRB shares to downloading users"),
        "maxci": (lambda seed: MaxCI(), "max-C/I: all PRBs to the best downloading channel"),
        "pf": (
            lambda seed: ProportionalFair(),
            "proportional fair: all PRBs to the best rate / average delivered rate",
        ),
        "greedy": (
            lambda seed: PersonalisedGreedy(),
            "personalised greedy: adequate bitrate (desired on a low buffer), smallest "
            "need first, leftovers up to desired",
        ),
        "pf-mpc": (
            lambda seed: PfMpc(),
            "network default: proportional fair + robustMPC clients",
        ),
        "random": (lambda seed: RandomPolicy(seed), "uniformly random PRB shares"),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""

__all__ = [
    "BASELINES",
    "MaxCI",
    "PersonalisedGreedy",
    "PfMpc",
    "ProportionalFair",
    "RoundRobin",
]
