"""How executors move in the Spark cluster: starting tasks, going to stages and jobs, being
released idle (spark-sched-sim's ``_execute_next_task``, ``_move_executor_to_stage``,
``_send_executor``, ``_try_backup_schedule``, ``_fulfill_commitment`` and
``_move_idle_executors``).

``ExecutorMoves`` is the part of ``sim.SparkSim`` that these make; it works on the sim's state
(the attributes annotated below, set by ``SparkSim``, among them the block of the episode's
uniform numbers, ``_uniforms``, and the index of the next one, ``_cursor[0]``) and uses one of
its methods, ``schedulable``.
"""

from __future__ import annotations

import numpy as np

from .kernels import RANDOM_BLOCK, EpisodeArrays
from .pools import ExecutorPools
from .templates import KIND_CONTINUE, KIND_IDLE, KIND_NEW_STAGE


class ExecutorMoves:
    """Executor moves of ``SparkSim`` (see the module docstring)."""

    pools: ExecutorPools
    arrays: EpisodeArrays
    event_time: memoryview
    event_code: memoryview
    now: float
    moving_delay_s: float
    key_table: list[tuple[int, int, float]]
    job_key: list[list[float]]
    stage_key: list[list[float]]
    _durations: memoryview
    _uniforms: memoryview
    _cursor: memoryview
    stage_kinds: list[list[dict[int, tuple[int, int, float]]]]
    stage_job: list[int]
    first_stage: list[int]
    remaining: memoryview
    running: list[int]
    saturated: memoryview
    job_count: memoryview
    recent_s: memoryview
    frontier: list[bool]
    local: list[set[int]]
    executor_job: list[int]
    task_stage: list[int]
    executing: list[bool]
    active_jobs: list[int]
    rng: np.random.Generator

    def _start_task(self, executor: int, stage: int) -> None:
        """``executor`` starts the next task of ``stage`` now."""
        left = self.remaining[stage] - 1
        self.remaining[stage] = left
        self.running[stage] += 1
        if not left:
            self.saturated[self.stage_job[stage]] += 1
        i = self._cursor[0]  # the episode's next uniform number (a new block when used up)
        if i >= RANDOM_BLOCK:
            self._refill()
            i = 0
        self._cursor[0] = i + 1
        u = self._uniforms[i]
        low, high, p_low = self.stage_key[stage]
        if u < p_low:  # the level, then u rescaled to a fresh uniform number
            level, u = low, u / p_low
        else:
            level, u = high, (u - p_low) / (1.0 - p_low)
        last = self.task_stage[executor]
        kind = KIND_IDLE if last < 0 else KIND_CONTINUE if last == stage else KIND_NEW_STAGE
        offset, length, added = self.stage_kinds[stage][kind][level]
        duration = self._durations[offset + int(u * length)] + added
        self.task_stage[executor] = stage
        self.executing[executor] = True
        self.recent_s[stage] = duration
        self.event_time[executor] = self.now + duration
        self.event_code[executor] = stage

    def _refill(self) -> None:
        """Draw the next block of the episode's uniform numbers (the first is next)."""
        self.arrays.block[:] = self.rng.random(RANDOM_BLOCK)
        self._cursor[0] = 0

    def _move_to_stage(self, executor: int, stage: int) -> None:
        if self.remaining[stage] == 0:
            self._backup(executor)
            return
        job = self.stage_job[stage]
        if self.executor_job[executor] != job:
            self._send(executor, stage)
            return
        pools = self.pools
        if not self.frontier[stage]:  # its parents are still running: wait at the job
            self.task_stage[executor] = -1
            pool = pools.n_stages + job  # pools.move(executor, pools.job_pool(job)), inline
        else:
            pool = stage
        location, members = pools.location, pools.members
        old = location[executor]
        if old >= 0:
            members[old].remove(executor)
        location[executor] = pool
        members[pool].add(executor)
        if pool == stage:
            self._start_task(executor, stage)

    def _send(self, executor: int, stage: int) -> None:
        self.pools.send(executor, stage)
        old_job = self.executor_job[executor]
        if old_job >= 0:
            local = self.local[old_job]
            local.remove(executor)
            self.job_key[old_job][:] = self.key_table[len(local)]
            self.job_count[old_job] = len(local)
            self.executor_job[executor] = -1
            self.task_stage[executor] = -1
        self.event_time[executor] = self.now + self.moving_delay_s
        self.event_code[executor] = -1 - stage

    def _backup(self, executor: int) -> None:
        """``executor`` reached a stage that needs it no more: another stage of its job, else
        of another job, else idle."""
        job = self.executor_job[executor]
        stages = self.schedulable([job], job) if job >= 0 else []
        if not stages:
            stages = self.schedulable([j for j in self.active_jobs if j != job], job)
        if stages:
            self._move_to_stage(executor, stages[-1])
        else:
            self._move_idle(self.pools.location[executor], [executor])

    def _fulfil(self, executor: int, destination: int) -> None:
        pools = self.pools
        source = pools.fulfil(executor, destination)
        if destination == pools.common:
            self._move_idle(source, [executor])
        else:
            self._move_to_stage(executor, destination)

    def _fulfil_all(self, source: int, idle: list[int]) -> None:
        """Send ``source``'s idle executors (popped from the end of ``idle``) where its promises
        go, oldest promise first: ``_fulfil`` for each, with ``ExecutorPools.fulfil`` inline
        (the same operations in the same order)."""
        pools = self.pools
        commitments, n_from, n_to, supply = (
            pools.commitments,
            pools.n_from,
            pools.n_to,
            pools.supply,
        )
        promised = commitments[source]
        pool_job, location, common = pools.pool_job, pools.location, pools.common
        for destination, n in list(promised.items()):
            while n > 0 and idle:
                executor = idle.pop()
                here = location[executor]
                held = commitments[here]
                count = held[destination] - 1
                if count:
                    held[destination] = count
                else:
                    del held[destination]
                n_from[here] -= 1
                n_to[destination] -= 1
                job = pool_job[destination]
                if job != pool_job[here]:
                    supply[job] -= 1
                if destination == common:
                    self._move_idle(here, [executor])
                else:
                    self._move_to_stage(executor, destination)
                n -= 1

    def _move_idle(self, source: int, executors: list[int] | None = None) -> None:
        """Idle executors of a stage pool go to their job's pool, those of a job with no task
        left to start go to the common pool; a live job's pool keeps its idle executors."""
        pools = self.pools
        if source == pools.common or source == pools.placeholder:
            return
        if executors is None:
            executors = [e for e in pools.members[source] if not self.executing[e]]
        job = pools.pool_job[source]
        job_saturated = self.saturated[job] == self.first_stage[job + 1] - self.first_stage[job]
        if source >= pools.n_stages and not job_saturated:
            return
        destination = pools.common if job_saturated else pools.job_pool(job)
        for executor in executors:
            pools.move(executor, destination)
            if job_saturated:
                self.local[job].remove(executor)
                self.executor_job[executor] = -1
                self.task_stage[executor] = -1
        if job_saturated and executors:
            self.job_key[job][:] = self.key_table[len(self.local[job])]
            self.job_count[job] = len(self.local[job])


__all__ = ["ExecutorMoves"]
