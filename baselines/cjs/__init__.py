"""Baselines of ``netgym/SparkScheduling-v0``: FIFO and Fair (spark-sched-sim's round-robin
schedulers), random, SRPT and critical path (``heuristics.py``). The lower bound on the mean
JCT is the env's ``lower_bound()`` (``netgym.envs.cjs.bound``)."""

from collections.abc import Callable
from typing import Any

from .heuristics import CriticalPath, RandomScheduler, RoundRobin, ShortestRemainingWork

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/SparkScheduling-v0": {
        "fifo": (
            lambda seed: RoundRobin(fair=False),
            "jobs in arrival order, at most ceil(N / 2) executors each (spark-sched-sim)",
        ),
        "fair": (
            lambda seed: RoundRobin(fair=True),
            "jobs in arrival order, at most ceil(N / jobs) executors each (spark-sched-sim)",
        ),
        "random": (
            lambda seed: RandomScheduler(seed),
            "a random job's stage with a random cap (spark-sched-sim's random scheduler)",
        ),
        "srpt": (
            lambda seed: ShortestRemainingWork(),
            "the job with the least remaining work first, Fair's caps",
        ),
        "critical-path": (
            lambda seed: CriticalPath(),
            "the stage heading the longest chain of remaining work first, Fair's caps",
        ),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""

__all__ = ["BASELINES", "CriticalPath", "RandomScheduler", "RoundRobin", "ShortestRemainingWork"]
