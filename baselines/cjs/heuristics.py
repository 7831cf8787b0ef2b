"""Heuristic schedulers of ``netgym/SparkScheduling-v0``: FIFO, Fair, random, SRPT and
critical path. All read only the observation (the padded ``Dict``); ``reset(env)`` reads the
cluster size and the action format from ``env.params``.

FIFO and Fair are spark-sched-sim's ``RoundRobinScheduler`` (reference/netllm.md 3.1): if the
job whose executors are free has a schedulable stage, all free executors go there; otherwise
the jobs are searched in arrival order for one below its executor cap (FIFO: ceil(N / 2);
Fair: ceil(N / jobs in the system)), and its stage gets the executors up to the cap. Within a
job, a stage whose parents are all complete is preferred, else the first schedulable one.
The random scheduler is spark-sched-sim's too (a random job with a schedulable stage, a random
cap). SRPT and critical path keep Fair's caps and change the order: the job with the least
remaining work first, or the stage at the head of the longest remaining chain of work first
(Graphene's "troublesome tasks first").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

REMAINING, RECENT, WORK, SCHEDULABLE, FRONTIER = 0, 1, 2, 3, 4
"""columns of ``obs['stages']`` the heuristics read (see ``netgym.envs.cjs.observe``)"""


class _Heuristic:
    """Reads the env's sizes at ``reset`` and encodes (row, cap) as the env's action."""

    name = "heuristic"

    def reset(self, env: Any) -> None:
        """Read the number of executors, the rows and the action format of ``env``."""
        params = env.unwrapped.params
        if params.observation != "padded":
            raise ValueError(
                f"{self.name} reads the padded observation, not {params.observation!r}"
            )
        self.n_executors = params.n_executors
        self.none_row = params.max_stages
        self.flat = params.action_format == "flat"

    def action(self, row: int | None, n_exec: int) -> Any:
        """The env's action for ``row`` (None: no stage) with cap ``n_exec``."""
        stage = self.none_row if row is None else int(row)
        n_exec = int(min(max(n_exec, 1), self.n_executors))
        if self.flat:
            return np.array([stage, n_exec - 1], dtype=np.int64)
        return {"stage": stage, "n_exec": n_exec}

    @staticmethod
    def candidates(obs: dict[str, np.ndarray]) -> dict[int, int]:
        """Job slot -> its preferred schedulable row (parents complete first, then stage
        order), for the slots that have one, in slot (arrival) order."""
        stages = obs["stages"]
        rows = (stages[:, SCHEDULABLE] > 0.5).nonzero()[0].tolist()
        if not rows:
            return {}
        first: dict[int, int] = {}
        ready: dict[int, int] = {}
        slots = obs["stage_job"]
        for row in rows:  # (a few rows: items cost less than fancy indexing)
            slot = slots.item(row)
            if slot not in first:
                first[slot] = row
            if slot not in ready and stages.item(row, FRONTIER) > 0.5:
                ready[slot] = row
        return {slot: ready.get(slot, row) for slot, row in sorted(first.items())}

    def job_cap(self, obs: dict[str, np.ndarray], fair: bool) -> int:
        """Most executors a job may hold: Fair's ceil(N / jobs) or FIFO's ceil(N / 2)."""
        if fair:
            return math.ceil(self.n_executors / max(1, int(obs["active_jobs"][0])))
        return math.ceil(self.n_executors / 2)


class RoundRobin(_Heuristic):
    """spark-sched-sim's ``RoundRobinScheduler``: FIFO (``fair=False``) or Fair."""

    def __init__(self, fair: bool) -> None:
        self.fair = fair
        self.name = "fair" if fair else "fifo"

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> Any:
        """The source job's stage with every free executor, else the first job below its cap
        (in arrival order) with executors up to the cap, else no stage."""
        committable = int(obs["committable"][0])
        source = int(obs["source_job"][0])
        candidates = self.candidates(obs)
        if source >= 0 and source in candidates:
            return self.action(candidates[source], committable)
        cap = self.job_cap(obs, self.fair)
        supply = obs["job_executors"]
        for slot, row in candidates.items():
            if slot != source and supply[slot] < cap:
                return self.action(row, min(committable, cap - int(supply[slot])))
        return self.action(None, committable)


class RandomScheduler(_Heuristic):
    """spark-sched-sim's random scheduler: a uniformly random job with a schedulable stage
    (its preferred stage) and a uniformly random cap in 1 .. committable executors."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> Any:
        """A random job's stage with a random cap (no stage when nothing is schedulable)."""
        committable = max(1, int(obs["committable"][0]))
        candidates = list(self.candidates(obs).values())
        n_exec = int(self.rng.integers(1, committable + 1))
        if not candidates:
            return self.action(None, n_exec)
        return self.action(candidates[int(self.rng.integers(len(candidates)))], n_exec)


class ShortestRemainingWork(_Heuristic):
    """SRPT: Fair's caps, but the job with the least remaining work (tasks not started x last
    task duration, summed over its stages) goes first; the source job keeps its executors."""

    name = "srpt"

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> Any:
        """The least-work job below its cap, with executors up to the cap."""
        committable = int(obs["committable"][0])
        source = int(obs["source_job"][0])
        candidates = self.candidates(obs)
        if source >= 0 and source in candidates:
            return self.action(candidates[source], committable)
        slots = obs["stage_job"]
        shown = slots >= 0
        work = np.bincount(slots[shown], weights=obs["stages"][shown, WORK])
        cap = self.job_cap(obs, fair=True)
        supply = obs["job_executors"]
        for slot in sorted(candidates, key=lambda s: (work[s], s)):
            if slot != source and supply[slot] < cap:
                return self.action(candidates[slot], min(committable, cap - int(supply[slot])))
        return self.action(None, committable)


class CriticalPath(_Heuristic):
    """Critical path first: Fair's caps, but the schedulable stage with the heaviest chain of
    remaining work below it (itself included, down to its job's last stage) goes first."""

    name = "critical-path"

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> Any:
        """The stage heading the longest remaining chain, among jobs below their cap."""
        committable = int(obs["committable"][0])
        source = int(obs["source_job"][0])
        stages, slots = obs["stages"], obs["stage_job"]
        schedulable = np.flatnonzero(stages[:, SCHEDULABLE] > 0.5)
        if len(schedulable) == 0:
            return self.action(None, committable)
        chain = chain_work(stages[:, WORK], obs["edges"], int((slots >= 0).sum()))
        cap = self.job_cap(obs, fair=True)
        supply = obs["job_executors"]
        best, best_key = None, None
        for row in schedulable.tolist():
            slot = int(slots[row])
            if slot != source and supply[slot] >= cap:
                continue
            key = (slot == source, chain[row], -row)
            if best_key is None or key > best_key:
                best, best_key = row, key
        if best is None:
            return self.action(None, committable)
        slot = int(slots[best])
        n_exec = committable if slot == source else min(committable, cap - int(supply[slot]))
        return self.action(best, n_exec)


def chain_work(work: np.ndarray, edges: np.ndarray, n_rows: int) -> np.ndarray:
    """For each row, the heaviest sum of ``work`` along a chain from it to a row without
    children (``edges``: parent row -> child row, -1 padding)."""
    links = edges[edges[:, 0] >= 0]
    children: list[list[int]] = [[] for _ in range(n_rows)]
    indegree = np.zeros(n_rows, dtype=np.int64)
    for parent, child in links.tolist():
        children[parent].append(child)
        indegree[child] += 1
    order = [r for r in range(n_rows) if indegree[r] == 0]
    for row in order:  # Kahn's order, parents first
        for child in children[row]:
            indegree[child] -= 1
            if indegree[child] == 0:
                order.append(child)
    best = np.zeros(len(work))
    for row in reversed(order):
        best[row] = work[row] + max((best[c] for c in children[row]), default=0.0)
    return best


__all__ = [
    "CriticalPath",
    "RandomScheduler",
    "RoundRobin",
    "ShortestRemainingWork",
    "chain_work",
]
