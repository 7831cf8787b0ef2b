"""Executor pools and commitments: where every executor is, and where it has been promised.

The bookkeeping of spark-sched-sim's ``ExecutorTracker`` (reference/netllm.md 3.1), with pools
numbered instead of keyed by tuples: stage pools ``0 .. S-1`` (the episode's stages, numbered
job by job), job pools ``S .. S+J-1``, the common pool ``S+J`` (executors at no job; all of
them at the start) and a placeholder ``S+J+1`` that never holds an executor (the source of
executors between commitment rounds).

- A **stage pool** holds the executors working on the stage, and those that just finished a
  task there; a **job pool** holds executors idle at the job.
- A **commitment** from the current source pool to a stage pool (or the common pool) promises
  one executor of the source to go there once it is free. Commitments from a pool are kept in
  the order they were made; a released executor fulfils the oldest.
- A job's **supply** counts the executors at the job, committed to it from other jobs and
  moving to it: Fair and FIFO cap it.
"""

from __future__ import annotations

import numpy as np


class ExecutorPools:
    """Pools, commitments and supplies of one episode (see the module docstring)."""

    def __init__(self, n_executors: int, stage_job: list[int], n_jobs: int) -> None:
        n_stages = len(stage_job)
        self.n_stages = n_stages
        self.common = n_stages + n_jobs
        """the common pool's id"""
        self.placeholder = n_stages + n_jobs + 1
        """the id of the empty pool that is the source between rounds"""
        self.pool_job = stage_job + list(range(n_jobs)) + [-1, -1]
        """job of each pool (-1: the common pool and the placeholder)"""
        n_pools = n_stages + n_jobs + 2
        self.members: list[set[int]] = [set() for _ in range(n_pools)]
        self.members[self.common] = set(range(n_executors))
        self.commitments: list[dict[int, int]] = [{} for _ in range(n_pools)]
        """pool -> {destination pool: promised executors}, oldest first"""
        self.n_from = [0] * n_pools
        """promises made from each pool"""
        self.counts = np.zeros(n_pools + n_stages + n_jobs + 1, dtype=np.int64)
        """``n_to``, ``moving_to`` and ``supply`` in one array (for ``kernels.stage_features``;
        the three are memoryviews of it)"""
        counts = memoryview(self.counts)
        self.n_to = counts[:n_pools]
        """promises made to each pool"""
        self.moving_to = counts[n_pools : n_pools + n_stages]
        """executors on their way to each stage"""
        self.supply = counts[n_pools + n_stages :]
        """executors at, committed to or moving to each job (the last entry is a sink for
        promises to the common pool)"""
        self.location = [self.common] * n_executors
        """pool of each executor (-1 while it moves between jobs)"""
        self.source = self.common
        """the pool whose executors the current round commits"""

    def job_pool(self, job: int) -> int:
        """The id of ``job``'s pool."""
        return self.n_stages + job

    def source_job(self) -> int:
        """The job of the source pool (-1 for the common pool and the placeholder)."""
        return self.pool_job[self.source]

    def committable(self) -> int:
        """Executors of the source pool not promised anywhere yet."""
        source = self.source
        return len(self.members[source]) - self.n_from[source]

    def commit(self, n: int, destination: int) -> None:
        """Promise ``n`` executors of the source pool to ``destination``."""
        source = self.source
        promised = self.commitments[source]
        promised[destination] = promised.get(destination, 0) + n
        self.n_from[source] += n
        self.n_to[destination] += n
        job = self.pool_job[destination]
        if job != self.pool_job[source]:
            self.supply[job] += n

    def next_commitment(self, pool: int) -> int | None:
        """The destination of the oldest promise from ``pool``, or None."""
        return next(iter(self.commitments[pool]), None)

    def fulfil(self, executor: int, destination: int) -> int:
        """Remove one promise from ``executor``'s pool to ``destination``; return that pool."""
        source = self.location[executor]
        promised = self.commitments[source]
        left = promised[destination] - 1
        if left:
            promised[destination] = left  # (an existing key keeps its place: oldest first)
        else:
            del promised[destination]
        self.n_from[source] -= 1
        self.n_to[destination] -= 1
        pool_job = self.pool_job
        job = pool_job[destination]
        if job != pool_job[source]:
            self.supply[job] -= 1
        return source

    def move(self, executor: int, pool: int) -> None:
        """Put ``executor`` into ``pool`` at once (within its job, or to the common pool)."""
        old = self.location[executor]
        if old >= 0:
            self.members[old].remove(executor)
        self.location[executor] = pool
        self.members[pool].add(executor)

    def send(self, executor: int, stage: int) -> None:
        """Start moving ``executor`` to ``stage`` of another job (it arrives later)."""
        old = self.location[executor]
        self.members[old].remove(executor)
        self.location[executor] = -1
        self.moving_to[stage] += 1
        self.supply[self.pool_job[stage]] += 1
        old_job = self.pool_job[old]
        if old_job >= 0:
            self.supply[old_job] -= 1

    def arrive(self, executor: int, stage: int) -> None:
        """``executor`` reaches the job of ``stage``: it enters the job's pool."""
        self.moving_to[stage] -= 1
        self.move(executor, self.job_pool(self.pool_job[stage]))


__all__ = ["ExecutorPools"]
