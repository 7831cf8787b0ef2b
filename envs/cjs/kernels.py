"""The compiled parts of the Spark cluster (numba, ``core.compiled.kernel``; each is the only
implementation of what it does) and the flat arrays they share with ``sim.SparkSim``:

- ``run_tasks``, the clock between the events that need Python. About five in six events of an
  episode are task completions on a stage that still has tasks to start: the executor starts
  the stage's next task at once, with a rest-wave duration, and nothing else changes, so no
  decision can come of it. ``run_tasks`` handles them in a compiled loop and returns at the
  first other event (a job arrival, an executor arrival, a task completion that releases its
  executor), which ``sim.SparkSim`` handles in Python.
- ``schedulable_stages``, the schedulable stages of a list of jobs (``SparkSim.schedulable``).
- the observation's kernels are in ``row_kernels.py`` (``shown_rows``, ``stage_features``).

Pending events are kept per executor (an executor has at most one: its task's completion or
its arrival at a job), and the next one is the least ``(time, code, executor)``, the order of
the heap they replace (``code``: the stage of a task completion, ``-1 - stage`` of an executor
arrival), so the events run in the same order. The durations are drawn as in Python: the next
uniform number of the episode's block (drawn in numpy from the episode's generator; the kernel
returns ``REFILL`` when the block is used up, and the caller draws the next block), the same
float64 operations in the same order, no fastmath.

Layout of the episode's arrays (``EpisodeArrays``), so that a call unboxes few arguments:

- ``ints`` (int64): a header (executors, stages, jobs, index of the next uniform number, then
  where each part starts), then the parts named in ``SEGMENTS``: the event code of each
  executor, tasks not started per stage, saturated stages per job, job of each stage,
  executors at each job, template stage of each stage, stage-complete and picked-this-round
  flags, each job's first stage, the parents of each stage (CSR), room for found stages,
  and room for the open round's schedulable stages;
- ``floats`` (float64): event time of each executor (``inf``: none), the duration of each
  stage's last started task, the block of uniform numbers.

And of the library's (``StaticArrays``, built once per env): ``static_ints`` holds, per executor
count n = 0..N, the index in ``EXECUTOR_LEVELS`` of the left and right level of
``templates.executor_key_table``, then, per template stage and level, the offset and length of
the rest-wave durations (with their fallbacks); ``static_floats`` holds P(left) per n, the
seconds added per template stage and level, then every recorded duration.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.compiled import kernel
from .templates import EXECUTOR_LEVELS, KIND_CONTINUE, DurationTables, JobTemplate

RANDOM_BLOCK = 4096
"""uniform numbers drawn from the episode's generator at a time"""
CURSOR = 3
"""position of the next uniform number's index in ``ints``"""
N_LEVELS = len(EXECUTOR_LEVELS)
ARRIVAL, NO_EVENT, REFILL = -1, -2, -3
"""what ``run_tasks`` returns instead of an executor"""
TASK_SCALE = 100.0
WORK_SCALE = 100.0
AGE_SCALE = 100.0
AGE_CAP = 1e4
"""the job-age feature's highest value (10^6 s in units of 100 s)"""


class StaticArrays:
    """The library's duration tables as flat arrays for ``run_tasks`` (see the module
    docstring), and the template-stage number of each template's first stage."""

    def __init__(
        self,
        templates: Sequence[JobTemplate],
        tables: DurationTables,
        key_table: Sequence[tuple[int, int, float]],
    ) -> None:
        level_index = {level: i for i, level in enumerate(EXECUTOR_LEVELS)}
        self.first_stage: dict[int, int] = {}
        """id(template) -> template-stage number of its stage 0"""
        offsets: list[int] = []
        lengths: list[int] = []
        added: list[float] = []
        for template in templates:
            if id(template) in self.first_stage:
                continue
            self.first_stage[id(template)] = len(offsets) // N_LEVELS
            for kinds in tables.stage_kinds(template):
                rest = kinds[KIND_CONTINUE]
                for level in EXECUTOR_LEVELS:
                    offset, length, seconds = rest[level]
                    offsets.append(offset)
                    lengths.append(length)
                    added.append(seconds)
        lows = [level_index[low] for low, _, _ in key_table]
        highs = [level_index[high] for _, high, _ in key_table]
        p_low = [p for _, _, p in key_table]
        self.ints = np.array(lows + highs + offsets + lengths, dtype=np.int64)
        self.floats = np.concatenate(
            [np.array(p_low + added, dtype=np.float64), np.asarray(tables.flat, dtype=np.float64)]
        )
        self.durations = self.floats[len(p_low) + len(added) :]
        """every recorded duration (a view of ``floats``)"""


SEGMENTS = (
    "codes",
    "remaining",
    "saturated",
    "stage_job",
    "job_count",
    "template_stage",
    "done",
    "selected",
    "first_stage",
    "parent_start",
    "parents",
    "found",
    "round",
)
"""the parts of ``EpisodeArrays.ints`` after its header, in order"""
(
    CODES,
    REMAINING,
    SATURATED,
    STAGE_JOB,
    JOB_COUNT,
    TEMPLATE_STAGE,
    DONE,
    SELECTED,
    FIRST_STAGE,
    PARENT_START,
    PARENTS,
    FOUND,
    ROUND,
) = range(len(SEGMENTS))
STARTS = 4
"""``ints[STARTS + k]`` is where segment ``k`` starts (``ints[STARTS + k + 1]``: its end)"""
HEADER = STARTS + len(SEGMENTS) + 1


class EpisodeArrays:
    """One episode's flat state for the kernels (see the module docstring), with memoryviews
    of its parts for the Python side (indexing one gives a Python int or float)."""

    def __init__(
        self,
        n_executors: int,
        n_tasks: list[int],
        stage_job: list[int],
        n_jobs: int,
        template_stage: list[int],
        recent_s: list[float],
        parents: list[list[int]],
        first_stage: list[int],
    ) -> None:
        n, s = n_executors, len(n_tasks)
        parent_start = [0]
        for stage_parents in parents:
            parent_start.append(parent_start[-1] + len(stage_parents))
        parts = {
            "codes": [0] * n,
            "remaining": n_tasks,
            "saturated": [0] * n_jobs,
            "stage_job": stage_job,
            "job_count": [0] * n_jobs,
            "template_stage": template_stage,
            "done": [0] * s,
            "selected": [0] * s,
            "first_stage": first_stage,
            "parent_start": parent_start,
            "parents": [parent for stage_parents in parents for parent in stage_parents],
            "found": [0] * s,
            "round": [0] * s,
        }
        starts = [HEADER]
        for name in SEGMENTS:
            starts.append(starts[-1] + len(parts[name]))
        header = [n, s, n_jobs, RANDOM_BLOCK, *starts]
        self.ints = np.array(
            header + [value for name in SEGMENTS for value in parts[name]], dtype=np.int64
        )
        self.floats = np.full(n + s + RANDOM_BLOCK, np.inf)
        self.floats[n : n + s] = recent_s
        ints, floats = memoryview(self.ints), memoryview(self.floats)
        views = {name: ints[starts[k] : starts[k + 1]] for k, name in enumerate(SEGMENTS)}
        self.cursor = ints[CURSOR : CURSOR + 1]
        """``cursor[0]``: index of the next uniform number in the block"""
        self.event_code = views["codes"]
        self.remaining = views["remaining"]
        self.saturated = views["saturated"]
        self.job_count = views["job_count"]
        self.done = views["done"]
        self.selected = views["selected"]
        self.found = self.ints[starts[FOUND] : starts[FOUND + 1]]
        """where ``schedulable_stages`` writes (an ndarray view)"""
        self.round = self.ints[starts[ROUND] : starts[ROUND + 1]]
        """where it writes the open round's schedulable stages (``segment=ROUND``), which
        ``stage_features`` flags"""
        self.event_time = floats[:n]
        self.recent_s = floats[n : n + s]
        self.block = self.floats[n + s :]
        """the uniform numbers (an ndarray view: refilled in place)"""
        self.uniforms = floats[n + s :]


@kernel
def run_tasks(
    ints: np.ndarray,
    floats: np.ndarray,
    static_ints: np.ndarray,
    static_floats: np.ndarray,
    next_arrival: float,
) -> tuple[int, float, int]:
    """Run the episode's clock through task completions on stages with tasks left to start;
    stop at the next other event, remove it and return ``(executor, time, code)``, or
    ``(ARRIVAL, next_arrival, 0)`` when the next job arrives first (at equal times too),
    ``(NO_EVENT, 0, 0)`` when nothing is pending, ``(REFILL, 0, 0)`` when a task needs a
    uniform number and the block is used up (nothing changed by that last step)."""
    n, s = ints[0], ints[1]
    codes = ints[ints[STARTS + CODES] : ints[STARTS + CODES + 1]]
    remaining = ints[ints[STARTS + REMAINING] : ints[STARTS + REMAINING + 1]]
    saturated = ints[ints[STARTS + SATURATED] : ints[STARTS + SATURATED + 1]]
    stage_job = ints[ints[STARTS + STAGE_JOB] : ints[STARTS + STAGE_JOB + 1]]
    job_count = ints[ints[STARTS + JOB_COUNT] : ints[STARTS + JOB_COUNT + 1]]
    template_stage = ints[ints[STARTS + TEMPLATE_STAGE] : ints[STARTS + TEMPLATE_STAGE + 1]]
    times = floats[:n]
    recent = floats[n : n + s]
    block = floats[n + s :]
    n_keys = n + 1  # executor counts 0..n
    lows = static_ints[:n_keys]
    highs = static_ints[n_keys : 2 * n_keys]
    cells = (static_ints.shape[0] - 2 * n_keys) // 2
    offsets = static_ints[2 * n_keys : 2 * n_keys + cells]
    lengths = static_ints[2 * n_keys + cells :]
    p_lows = static_floats[:n_keys]
    added = static_floats[n_keys : n_keys + cells]
    durations = static_floats[n_keys + cells :]
    cursor = ints[CURSOR]
    inf = np.inf
    while True:
        # the least (time, code, executor): the least time first (four running minima, no
        # branch), then among the executors at that time the lowest code, then executor
        m0, m1, m2, m3 = inf, inf, inf, inf
        quad = n - n % 4
        for executor in range(0, quad, 4):
            t0, t1, t2, t3 = (
                times[executor],
                times[executor + 1],
                times[executor + 2],
                times[executor + 3],
            )
            m0 = t0 if t0 < m0 else m0
            m1 = t1 if t1 < m1 else m1
            m2 = t2 if t2 < m2 else m2
            m3 = t3 if t3 < m3 else m3
        for executor in range(quad, n):
            t0 = times[executor]
            m0 = t0 if t0 < m0 else m0
        m0 = m1 if m1 < m0 else m0
        m2 = m3 if m3 < m2 else m2
        best_time = m2 if m2 < m0 else m0
        best, best_code = -1, 0
        if best_time < inf:
            for executor in range(n):
                if times[executor] == best_time and (best < 0 or codes[executor] < best_code):
                    best, best_code = executor, codes[executor]
        if best < 0:
            ints[CURSOR] = cursor
            if next_arrival < inf:
                return ARRIVAL, next_arrival, 0
            return NO_EVENT, 0.0, 0
        if best_time >= next_arrival:
            ints[CURSOR] = cursor
            return ARRIVAL, next_arrival, 0
        if best_code >= 0 and remaining[best_code] > 0:
            if cursor >= RANDOM_BLOCK:
                ints[CURSOR] = cursor
                return REFILL, 0.0, 0
            stage = best_code
            left = remaining[stage] - 1
            remaining[stage] = left
            job = stage_job[stage]
            if left == 0:
                saturated[job] += 1
            u = block[cursor]
            cursor += 1
            count = job_count[job]
            p_low = p_lows[count]
            if u < p_low:  # the level, then u rescaled to a fresh uniform number
                cell = template_stage[stage] * N_LEVELS + lows[count]
                index = offsets[cell] + int(u / p_low * lengths[cell])
            else:
                cell = template_stage[stage] * N_LEVELS + highs[count]
                index = offsets[cell] + int((u - p_low) / (1.0 - p_low) * lengths[cell])
            duration = durations[index] + added[cell]
            recent[stage] = duration
            times[best] = best_time + duration
            continue
        times[best] = inf
        ints[CURSOR] = cursor
        return best, best_time, best_code


@kernel
def schedulable_stages(
    jobs: np.ndarray,
    ints: np.ndarray,
    counts: np.ndarray,
    source_job: int,
    cap: int,
    segment: int,
) -> int:
    """Write the schedulable stages of ``jobs`` (``sim.SparkSim.schedulable``: job by job,
    stage by stage) into the part ``segment`` of ``ints`` (``FOUND``, or ``ROUND`` for the
    stages a round shows); return how many there are.

    A stage is schedulable when it is incomplete, its demand (tasks not started minus
    executors moving or promised to it) is positive, every parent's demand is not, it was not
    picked in this round and its job holds fewer than ``cap`` executors (``source_job`` is
    exempt).
    """
    s, n_jobs = ints[1], ints[2]
    remaining = ints[ints[STARTS + REMAINING] : ints[STARTS + REMAINING + 1]]
    done = ints[ints[STARTS + DONE] : ints[STARTS + DONE + 1]]
    selected = ints[ints[STARTS + SELECTED] : ints[STARTS + SELECTED + 1]]
    first = ints[ints[STARTS + FIRST_STAGE] : ints[STARTS + FIRST_STAGE + 1]]
    parent_start = ints[ints[STARTS + PARENT_START] : ints[STARTS + PARENT_START + 1]]
    parents = ints[ints[STARTS + PARENTS] : ints[STARTS + PARENTS + 1]]
    found = ints[ints[STARTS + segment] : ints[STARTS + segment + 1]]
    n_pools = s + n_jobs + 2
    promised = counts[:n_pools]
    moving = counts[n_pools : n_pools + s]
    supply = counts[n_pools + s :]
    k = 0
    for job in jobs:
        if job != source_job and supply[job] >= cap:
            continue
        for stage in range(first[job], first[job + 1]):
            if done[stage] or selected[stage]:
                continue
            if remaining[stage] - moving[stage] - promised[stage] <= 0:
                continue
            ready = True
            for i in range(parent_start[stage], parent_start[stage + 1]):
                parent = parents[i]
                if remaining[parent] - moving[parent] - promised[parent] > 0:
                    ready = False
                    break
            if ready:
                found[k] = stage
                k += 1
    return k


__all__ = [
    "RANDOM_BLOCK",
    "EpisodeArrays",
    "StaticArrays",
    "run_tasks",
    "schedulable_stages",
]
