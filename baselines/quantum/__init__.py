"""Baselines and exact optima of the quantum-network envs."""

from collections.abc import Callable
from typing import Any

from . import chain, scheduling

# repeater chain (netgym/RepeaterChain-v0)
from .chain import NestedDoubling as NestedDoubling
from .chain import OptimalChainPolicy as OptimalChainPolicy
from .chain import PurifySwap as PurifySwap
from .chain import RandomChainPolicy as RandomChainPolicy
from .chain import SwapAsap as SwapAsap

# multi-user QoS scheduling (netgym/QuantumNetworkScheduling-v0)
from .scheduling import EarliestDeadlineFirst as EarliestDeadlineFirst
from .scheduling import Idle as Idle
from .scheduling import PeriodicTaskSchedule as PeriodicTaskSchedule
from .scheduling import RandomMasked as RandomMasked

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/RepeaterChain-v0": {
        "random": (
            lambda seed: chain.RandomChainPolicy(seed),
            "uniformly random valid action per node",
        ),
        "swap-asap": (lambda seed: chain.SwapAsap(), "swap at every repeater that can"),
        "swap-asap-cutoff": (
            lambda seed: chain.SwapAsap(cutoff=2),
            "swap-asap, discarding links that reach age 2 steps",
        ),
        "nested": (
            lambda seed: chain.NestedDoubling(),
            "nested doubling: a repeater joins only the two halves of its level",
        ),
        "nested-inesta": (
            lambda seed: chain.NestedDoubling(inesta=True),
            "Iñesta et al.'s nested: swap-asap except first level only in full states",
        ),
        "purify-swap": (
            lambda seed: chain.PurifySwap(),
            "purify parallel pairs below F 0.9 (2 memories per side), else swap-asap",
        ),
        "optimal": (
            lambda seed: chain.OptimalChainPolicy(),
            "exact min-E[T] policy (policy iteration; abstract, 1 memory, cutoff, n <= 5)",
        ),
    },
    "netgym/QuantumNetworkScheduling-v0": {
        "idle": (lambda seed: scheduling.Idle(), "never starts a demand"),
        "random": (
            lambda seed: scheduling.RandomMasked(seed),
            "uniformly random valid action (masked, idle included)",
        ),
        "edf": (
            lambda seed: scheduling.EarliestDeadlineFirst(),
            "online non-preemptive earliest-deadline-first, fastest feasible protocol",
        ),
        "pts": (
            lambda seed: scheduling.PeriodicTaskSchedule(),
            "QoS paper's periodic task schedule: offline NP-EDF timetable, expected durations",
        ),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""
