"""The event-driven Spark cluster of ``netgym/SparkScheduling-v0``: jobs of DAG stages on a pool
of executors, stopped at every scheduling decision.

The semantics are spark-sched-sim's (Decima's simulator as NetLLM vendors it; reference/netllm.md
3.1), re-implemented with plain lists, numbers for pools, and flat arrays that three compiled
kernels share (``kernels.py``: the task loop between events, the schedulable stages, the
observation rows):

- **Events**: job arrivals (job 0 at t = 0, then exponential gaps), executor arrivals
  (``moving_delay_s`` after an executor is sent to another job) and task completions, handled
  in time order; at equal times job arrivals come first, then executor arrivals, then task
  completions by stage and executor number (spark-sched-sim breaks ties by creation order).
- **Tasks**: an executor on a stage runs one task after the other while the stage has tasks
  not started; each duration is drawn when the task starts (``templates.DurationTables``) from
  the job's executor count at that moment.
- **Commitment rounds**: when a pool (the *source*) has executors not promised anywhere and some
  stage is schedulable, the agent picks a stage and a cap, one decision at a time; each pick
  promises ``min(cap, demand)`` executors of the source to the stage (``pools.ExecutorPools``).
  The round ends when no executor is left to promise, nothing is schedulable or the agent
  picks no stage; the rest of the source is then promised to the common pool, the free
  executors go where they were promised, and the clock runs to the next decision.
- A stage is **schedulable** when it still needs executors (its tasks not started exceed the
  executors moving or promised to it), all its parents need none, it was not picked in this
  round and its job holds fewer than all executors (the source's job is exempt).

One thing spark-sched-sim does not do: when the events run out while jobs are unfinished
(only possible after the agent declined to schedule), a round opens at a pool that holds idle
executors instead of failing, so an episode can always go on (or be truncated).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .executors import ExecutorMoves
from .kernels import (
    ARRIVAL,
    FOUND,
    NO_EVENT,
    REFILL,
    ROUND,
    EpisodeArrays,
    StaticArrays,
    run_tasks,
    schedulable_stages,
)
from .pools import ExecutorPools
from .templates import (
    DurationTables,
    JobLibrary,
    JobTemplate,
    executor_key_table,
)

# Pending events are kept per executor in flat arrays (``kernels.EpisodeArrays``): time and
# code = stage for a task completion, -1 - stage for an executor arrival; job arrivals are kept
# in their own sorted list.


class SparkSim(ExecutorMoves):
    """One cluster; ``reset`` starts an episode, ``act`` applies one decision and runs the
    clock to the next (see the module docstring; the executors' moves are in
    ``executors.py``)."""

    def __init__(
        self,
        library: JobLibrary,
        n_jobs: int,
        n_executors: int,
        interarrival_s: float,
        moving_delay_s: float,
        warmup_delay_s: float,
        max_stages: int,
    ) -> None:
        self.library = library
        self.max_stages = max_stages
        """rows of the observation: the most incomplete stages a round shows"""
        self.n_jobs = n_jobs
        self.n_executors = n_executors
        self.interarrival_s = interarrival_s
        self.moving_delay_s = moving_delay_s
        self.tables = DurationTables(library.templates(), warmup_delay_s)
        self.key_table = executor_key_table(n_executors)
        self.static = StaticArrays(library.templates(), self.tables, self.key_table)
        """the duration tables as ``kernels.run_tasks`` reads them"""
        self.tables.flat = self.static.durations  # the same values, kept once
        self._durations = memoryview(self.tables.flat)
        """the durations as Python floats by index (faster than ``ndarray.item``)"""
        self.done = True
        self.episode = 0
        """counts the episodes (``reset``) of this sim"""

    # ------------------------------------------------------------------ episode set-up
    def reset(self, rng: np.random.Generator, jobs: Sequence[JobTemplate] | None = None) -> None:
        """Draw the episode's jobs and arrival times from ``rng`` (as spark-sched-sim: per job
        a query, a size, then the gap to the next arrival) and run to the first decision.

        ``jobs`` replaces the drawn templates (the arrival times are drawn all the same).
        """
        templates, arrivals = [], []
        t = 0.0
        for _ in range(self.n_jobs):
            templates.append(self.library.draw(rng))
            arrivals.append(t)
            t += float(rng.exponential(self.interarrival_s))
        if jobs is not None:
            if len(jobs) != self.n_jobs:
                raise ValueError(f"jobs must hold {self.n_jobs} templates, got {len(jobs)}")
            templates = list(jobs)
        self.rng = rng
        self.episode += 1
        self._setup_jobs(templates, arrivals)
        self._run_until_decision()

    def _setup_jobs(self, templates: list[JobTemplate], arrivals: list[float]) -> None:
        self.job_templates = templates
        self.arrival_s = arrivals
        self.completion_s = [math.inf] * len(templates)
        self.first_stage: list[int] = []
        stage_job: list[int] = []
        self.stage_kinds: list[list[dict[int, tuple[int, int, float]]]] = []
        """per stage and kind of task: executor level -> (offset, length, added seconds)"""
        self.parents: list[list[int]] = []
        self.children: list[list[int]] = []
        self.n_tasks: list[int] = []
        recent_s: list[float] = []
        template_stage: list[int] = []
        static_first = self.static.first_stage
        for job, template in enumerate(templates):
            base = len(stage_job)
            self.first_stage.append(base)
            stage_job.extend([job] * template.n_stages)
            first = static_first[id(template)]
            template_stage.extend(range(first, first + template.n_stages))
            self.stage_kinds.extend(self.tables.stage_kinds(template))
            self.parents.extend([base + p for p in ps] for ps in template.parents)
            self.children.extend([base + c for c in cs] for cs in template.children)
            self.n_tasks.extend(s.n_tasks for s in template.stages)
            recent_s.extend(s.rough_duration_s for s in template.stages)
        self.first_stage.append(len(stage_job))
        self.stage_job = stage_job
        arrays = EpisodeArrays(
            self.n_executors,
            self.n_tasks,
            stage_job,
            len(templates),
            template_stage,
            recent_s,
            self.parents,
            self.first_stage,
        )
        self.arrays = arrays
        """the flat state that ``kernels.run_tasks`` shares (its parts below are views of it)"""
        self.remaining = arrays.remaining
        """tasks not started, per stage"""
        self.recent_s = arrays.recent_s
        """duration of each stage's last started task (before any: its rough duration)"""
        self.running = [0] * len(stage_job)
        """tasks running, per stage"""
        self.stage_done = arrays.done
        """1 once the stage is complete"""
        self._selected = arrays.selected
        """1 for the stages in ``selected``"""
        self.frontier = [not ps for ps in self.parents]
        """the stage is incomplete and all its parents are complete"""
        self.active: list[list[int]] = [
            list(range(self.first_stage[j], self.first_stage[j + 1])) for j in range(len(templates))
        ]
        """incomplete stages of each job, in stage order"""
        self.saturated = arrays.saturated
        """stages of each job with no task left to start"""
        self.job_count = arrays.job_count
        """executors at each job (``len(local[job])``, for ``run_tasks``)"""
        self.local: list[set[int]] = [set() for _ in templates]
        """executors at each job"""
        self.job_key = [list(self.key_table[0]) for _ in templates]
        """per job, ``key_table[len(local[job])]`` as a list, updated with ``local``"""
        self.stage_key = [self.job_key[job] for job in stage_job]
        """per stage, its job's ``job_key`` (the same list)"""
        n = self.n_executors
        self.executor_job = [-1] * n
        self.task_stage = [-1] * n
        """stage of each executor's current or last task (-1: idle, it warms up anew)"""
        self.executing = [False] * n
        self.pools = ExecutorPools(n, stage_job, len(templates))
        self.active_jobs: list[int] = []
        self.incomplete_stages = 0
        """incomplete stages of the jobs in the system"""
        self.selected: set[int] = set()
        self.event_time = arrays.event_time
        """time of each executor's pending event (inf: none)"""
        self.event_code = arrays.event_code
        """its code: the stage of a task completion, -1 - stage of an arrival at the stage"""
        self._cursor = arrays.cursor
        self._uniforms = arrays.uniforms
        self._next_job = 0
        self.now = 0.0
        self._active_arrivals_s = 0.0
        self.completed_jobs = 0
        self.total_jct_s = 0.0
        self.makespan_s = 0.0
        """time of the last job completion"""
        self.structure = 0
        """counts the changes of the incomplete stages (arrivals and completions)"""
        self.done = False
        self.stalls = 0
        """rounds opened because the events ran out (see the module docstring)"""

    @property
    def finished(self) -> list[int]:
        """Tasks completed, per stage (neither still to start nor running)."""
        counts = zip(self.n_tasks, self.remaining, self.running, strict=True)
        return [n - left - run for n, left, run in counts]

    @property
    def heap(self) -> list[tuple[float, int, int]]:
        """The pending events, (time, code, executor) in the order they will run."""
        events = zip(self.event_time, self.event_code, range(self.n_executors), strict=True)
        return sorted((t, c, e) for t, c, e in events if t != math.inf)

    @property
    def job_time_s(self) -> float:
        """Sum over jobs of the time each has spent in the system so far (the negative of the
        return so far): completed jobs' JCTs plus the age of the jobs in the system."""
        return self.total_jct_s + len(self.active_jobs) * self.now - self._active_arrivals_s

    # ------------------------------------------------------------------ decisions
    def demand(self, stage: int) -> int:
        """Executors ``stage`` can still take: tasks not started minus executors moving or
        promised to it (negative when it has more than it needs)."""
        pools = self.pools
        return self.remaining[stage] - pools.moving_to[stage] - pools.n_to[stage]

    def schedulable(self, jobs: Sequence[int], source_job: int, segment: int = FOUND) -> list[int]:
        """The schedulable stages of ``jobs`` (see the module docstring), job by job
        (``kernels.schedulable_stages``, written to ``segment`` of the episode's arrays:
        ``ROUND`` for the round's, which the observation flags)."""
        arrays = self.arrays
        found = schedulable_stages(
            np.array(jobs, dtype=np.int64),
            arrays.ints,
            self.pools.counts,
            source_job,
            self.n_executors,
            segment,
        )
        return (arrays.round if segment == ROUND else arrays.found)[:found].tolist()

    def commit(self, stage: int, n_executors: int) -> int:
        """Promise ``min(n_executors, demand)`` source executors to the schedulable ``stage``
        and mark it picked for this round; return how many were promised."""
        n = min(n_executors, self.demand(stage))
        self.pools.commit(n, stage)
        self.selected.add(stage)
        self._selected[stage] = 1
        return n

    def act(self, stage: int | None, n_executors: int) -> None:
        """One decision: promise executors to ``stage`` (None: to no stage, which ends the
        round); then go on with the round, or end it and run to the next decision."""
        if stage is not None:
            self.commit(stage, n_executors)
            if self.pools.committable() > 0 and self._open_round():
                return
        self.end_round()

    def end_round(self) -> None:
        """Promise the rest of the source to the common pool, send the free executors where
        they were promised and run the clock to the next decision (or the end)."""
        pools = self.pools
        left = pools.committable()
        if left > 0:
            pools.commit(left, pools.common)
        source = pools.source
        executing = self.executing
        idle = [e for e in pools.members[source] if not executing[e]]
        if idle:
            self._fulfil_all(source, idle)
        pools.source = pools.placeholder
        for stage in self.selected:
            self._selected[stage] = 0
        self.selected.clear()
        self._run_until_decision()

    # ------------------------------------------------------------------ the clock
    def _run_until_decision(self) -> None:
        """Handle events until a round opens (``round_jobs`` and ``round_schedulable`` set)
        or every job is done.

        The common event, a task completion on a stage that still has tasks to start, is
        handled by the compiled ``kernels.run_tasks``: the executor starts the next task (a
        rest-wave duration; see ``_start_task`` for the general case) and nothing else
        changes, so no round can open. It returns the other events, handled here.
        """
        pools, arrays, static = self.pools, self.arrays, self.static
        ints, floats, static_ints, static_floats = (
            arrays.ints,
            arrays.floats,
            static.ints,
            static.floats,
        )
        arrivals, n_jobs = self.arrival_s, self.n_jobs
        running, executing, members, n_from = (
            self.running,
            self.executing,
            pools.members,
            pools.n_from,
        )
        commitments, location, n_to = pools.commitments, pools.location, pools.n_to
        remaining, frontier, stage_job = self.remaining, self.frontier, self.stage_job
        executor_job, task_stage, n_stages = self.executor_job, self.task_stage, pools.n_stages
        next_arrival = arrivals[self._next_job] if self._next_job < n_jobs else math.inf
        while True:
            executor, time, code = run_tasks(ints, floats, static_ints, static_floats, next_arrival)
            if executor >= 0:
                self.now = time
                if code >= 0:
                    left = running[code] - 1
                    running[code] = left
                    executing[executor] = False
                    promised = commitments[code]
                    destination = next(iter(promised)) if promised and left else -1
                    if (
                        0 <= destination < n_stages
                        and remaining[destination]
                        and location[executor] == code
                        and executor_job[executor] == stage_job[destination] == stage_job[code]
                    ):
                        # The common release, inline (``_release`` -> ``_fulfil`` ->
                        # ``ExecutorPools.fulfil`` -> ``_move_to_stage``, the same operations
                        # in the same order): the stage still runs tasks, and the executor
                        # keeps its promise to a stage of its own job that has tasks to start.
                        count = promised[destination] - 1
                        if count:
                            promised[destination] = count
                        else:
                            del promised[destination]
                        n_from[code] -= 1
                        n_to[destination] -= 1
                        if frontier[destination]:
                            pool = destination
                        else:  # its parents are still running: wait at the job
                            task_stage[executor] = -1
                            pool = n_stages + stage_job[destination]
                        members[code].remove(executor)
                        location[executor] = pool
                        members[pool].add(executor)
                        if pool == destination:
                            self._start_task(executor, destination)
                    else:
                        self._release(executor, code)
                else:
                    self._executor_arrival(executor, -1 - code)
            elif executor == ARRIVAL:
                self.now = next_arrival
                self._job_arrival(self._next_job)
                self._next_job += 1
                next_arrival = arrivals[self._next_job] if self._next_job < n_jobs else math.inf
            elif executor == REFILL:
                self._refill()
                continue
            else:
                assert executor == NO_EVENT
                if self.completed_jobs == n_jobs:
                    self.done = True
                    return
                if self._open_stalled_round():
                    return
                raise RuntimeError(
                    "SparkSim: no event is pending, jobs are unfinished and no idle executor "
                    "has a schedulable stage (please report this with the seed and actions)"
                )
            source = pools.source  # pools.committable(), inline
            committable = len(members[source]) - n_from[source]
            if committable == 0 or not self._open_round():
                if committable:
                    self._move_idle(pools.source)
                    pools.source = pools.placeholder
                continue
            return

    def _open_round(self) -> bool:
        """Set the round's visible jobs and schedulable stages; False when none is."""
        self.round_jobs = self.visible_jobs()
        self.round_schedulable = self.schedulable(self.round_jobs, self.pools.source_job(), ROUND)
        return bool(self.round_schedulable)

    def visible_jobs(self) -> list[int]:
        """The jobs a round shows, in arrival order: the source's job and the oldest other
        jobs whose incomplete stages all fit in ``max_stages`` rows with it."""
        source_job = self.pools.source_job()
        budget = self.max_stages - (len(self.active[source_job]) if source_job >= 0 else 0)
        shown, full = [], False
        for job in self.active_jobs:
            if job == source_job:
                shown.append(job)
            elif not full:
                size = len(self.active[job])
                if size > budget:
                    full = True
                else:
                    budget -= size
                    shown.append(job)
        return shown

    def _open_stalled_round(self) -> bool:
        pools = self.pools
        candidates = [pools.common] + [pools.job_pool(j) for j in self.active_jobs]
        candidates += [s for j in self.active_jobs for s in self.active[j]]
        for pool in candidates:
            pools.source = pool
            if pools.committable() > 0 and self._open_round():
                self.stalls += 1
                return True
        pools.source = pools.placeholder
        return False

    # ------------------------------------------------------------------ event handlers
    def _job_arrival(self, job: int) -> None:
        self.active_jobs.append(job)
        self.incomplete_stages += len(self.active[job])
        self._active_arrivals_s += self.arrival_s[job]
        self.structure += 1
        if self.pools.members[self.pools.common]:
            self.pools.source = self.pools.common

    def _executor_arrival(self, executor: int, stage: int) -> None:
        job = self.stage_job[stage]
        local = self.local[job]
        local.add(executor)
        self.job_key[job][:] = self.key_table[len(local)]
        self.job_count[job] = len(local)
        self.executor_job[executor] = job
        self.pools.arrive(executor, stage)
        self._move_to_stage(executor, stage)

    def _release(self, executor: int, stage: int) -> None:
        """``executor`` finished a task of ``stage`` and the stage has none left to start."""
        job = self.stage_job[stage]
        frontier_changed = False
        if not self.running[stage]:  # no task left to start (a release) nor running
            frontier_changed = self._complete_stage(stage)
        if not self.active[job]:
            self._complete_job(job)
        pools = self.pools
        promised = pools.commitments[stage]  # pools.next_commitment(stage), inline
        destination = next(iter(promised)) if promised else None
        if destination is not None:
            self._fulfil(executor, destination)
        else:
            self.task_stage[executor] = -1
            if frontier_changed:
                self._move_idle(stage, [executor])
        if frontier_changed:
            pools.source = pools.job_pool(job)
        elif destination is None:
            pools.source = stage

    def _complete_stage(self, stage: int) -> bool:
        """Mark ``stage`` complete; True when it made some child ready to run."""
        self.stage_done[stage] = True
        self.frontier[stage] = False
        self.structure += 1
        self.active[self.stage_job[stage]].remove(stage)
        self.incomplete_stages -= 1
        opened = False
        for child in self.children[stage]:
            if not self.stage_done[child] and all(self.stage_done[p] for p in self.parents[child]):
                self.frontier[child] = True
                opened = True
        return opened

    def _complete_job(self, job: int) -> None:
        pools = self.pools
        if pools.members[pools.job_pool(job)]:
            self._move_idle(pools.job_pool(job))
        self.active_jobs.remove(job)
        self.completion_s[job] = self.now
        self._active_arrivals_s -= self.arrival_s[job]
        self.completed_jobs += 1
        self.total_jct_s += self.now - self.arrival_s[job]
        self.makespan_s = self.now


__all__ = ["SparkSim"]
