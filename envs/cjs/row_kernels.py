"""The compiled parts of an observation of ``netgym/SparkScheduling-v0`` (numba,
``core.compiled.kernel``; each the only implementation of what it does), on the episode's flat
arrays of ``kernels.EpisodeArrays`` (their layout: ``kernels``'s docstring):

- ``shown_rows``, the rows an observation shows, their dependencies and flags
  (``observe.Observer``, when a stage or job completes or arrives);
- ``stage_features``, the per-stage rows of an observation, its schedulable flags and scalars.
"""

from __future__ import annotations

import numpy as np

from ..core.compiled import kernel
from .kernels import (
    AGE_CAP,
    AGE_SCALE,
    CODES,
    DONE,
    FIRST_STAGE,
    PARENT_START,
    PARENTS,
    REMAINING,
    ROUND,
    STAGE_JOB,
    STARTS,
    TASK_SCALE,
    WORK_SCALE,
)


@kernel
def stage_features(
    out: np.ndarray,
    ints_out: np.ndarray,
    row_ints: np.ndarray,
    row_floats: np.ndarray,
    ints: np.ndarray,
    floats: np.ndarray,
    counts: np.ndarray,
    row_of: np.ndarray,
    first: int,
    end: int,
    now: float,
    n_schedulable: int,
    committable: int,
    source_slot: int,
    active_jobs: int,
) -> None:
    """Write the per-stage features (``observe.STAGE_FEATURES``) of the shown rows into
    ``out`` (float32, zeros), each shown job's executor supply and the three scalars
    (``committable``, ``source_slot``, ``active_jobs``) into ``ints_out``
    (``observe.Observer``'s buffer: its ``job_executors`` part, then the last three).
    Column 3 flags the rows of the first ``n_schedulable`` stages of the ``round`` part of
    ``ints`` (the open round's schedulable stages).

    ``row_ints``: the shown rows and jobs, then per row the stage and its job, per job slot
    its job; ``row_floats``: per row its job's arrival time and the all-parents-complete flag;
    ``counts``: ``pools.ExecutorPools.counts``; ``row_of``: the row of each shown stage (as
    ``shown_rows`` wrote it; other entries are stale); rows ``first`` to ``end`` (excluded) are
    the source's job. The same float64 operations as the definitions, rounded once to float32.
    """
    n, s, n_jobs = ints[0], ints[1], ints[2]
    remaining = ints[ints[STARTS + REMAINING] : ints[STARTS + REMAINING + 1]]
    codes = ints[ints[STARTS + CODES] : ints[STARTS + CODES + 1]]
    times = floats[:n]
    recent = floats[n : n + s]
    n_pools = s + n_jobs + 2
    promised = counts[:n_pools]
    moving = counts[n_pools : n_pools + s]
    supply = counts[n_pools + s :]
    n_rows, n_slots = row_ints[0], row_ints[1]
    stages = row_ints[2 : 2 + n_rows]
    jobs = row_ints[2 + n_rows : 2 + 2 * n_rows]
    slot_jobs = row_ints[2 + 2 * n_rows : 2 + 2 * n_rows + n_slots]
    running = np.zeros(n_rows, dtype=np.int64)
    """tasks running on each row's stage: executors whose pending event ends one there"""
    for executor in range(n):
        code = codes[executor]
        if code >= 0 and times[executor] < np.inf:
            row = row_of[code]
            if 0 <= row < n_rows and stages[row] == code:
                running[row] += 1
    for row in range(n_rows):
        stage, job = stages[row], jobs[row]
        left = remaining[stage]
        duration = recent[stage]
        out[row, 0] = left / TASK_SCALE
        out[row, 1] = duration
        out[row, 2] = left * duration / WORK_SCALE
        out[row, 4] = row_floats[1, row]
        out[row, 5] = (running[row] + moving[stage] + promised[stage]) / n
        out[row, 6] = supply[job] / n
        if first <= row < end:
            out[row, 7] = 1.0
        age = (now - row_floats[0, row]) / AGE_SCALE
        out[row, 8] = age if age < AGE_CAP else AGE_CAP
    schedulable = ints[ints[STARTS + ROUND] : ints[STARTS + ROUND] + n_schedulable]
    for stage in schedulable:
        row = row_of[stage]
        if 0 <= row < n_rows and stages[row] == stage:
            out[row, 3] = 1.0
    start = out.shape[0] + (ints_out.shape[0] - 2 * out.shape[0] - 3)  # past stage_job, edges
    for slot in range(n_slots):
        ints_out[start + slot] = supply[slot_jobs[slot]]
    end_ = ints_out.shape[0]
    ints_out[end_ - 3] = committable
    ints_out[end_ - 2] = source_slot
    ints_out[end_ - 1] = active_jobs


@kernel
def shown_rows(
    jobs: np.ndarray,
    ints: np.ndarray,
    arrival: np.ndarray,
    row_ints: np.ndarray,
    row_floats: np.ndarray,
    starts: np.ndarray,
    obs_ints: np.ndarray,
    edges: np.ndarray,
    row_of: np.ndarray,
    edge_rows: int,
) -> int:
    """The rows an observation shows for ``jobs`` (``observe.Observer``): every incomplete
    stage of each job, job by job, in stage order; return the number of dependencies among
    them (parent row, child row: pairs in ``edges``, for each row its incomplete parents in
    the order the job lists them).

    Writes ``row_ints`` (rows, slots, then per row its stage and job, per slot its job: what
    ``stage_features`` reads), ``row_floats`` (per row its job's arrival time, then 1.0 when
    all its parents are complete), ``starts`` (each slot's first row, then the end), and
    ``obs_ints``, the observation's integer buffer: each row's slot, the first ``edge_rows``
    edges (-1 padding), zeros after them. ``row_of`` is scratch (the row of each shown stage).
    """
    stage_job = ints[ints[STARTS + STAGE_JOB] : ints[STARTS + STAGE_JOB + 1]]
    done = ints[ints[STARTS + DONE] : ints[STARTS + DONE + 1]]
    first = ints[ints[STARTS + FIRST_STAGE] : ints[STARTS + FIRST_STAGE + 1]]
    parent_start = ints[ints[STARTS + PARENT_START] : ints[STARTS + PARENT_START + 1]]
    parents = ints[ints[STARTS + PARENTS] : ints[STARTS + PARENTS + 1]]
    n_slots = jobs.shape[0]
    n = 0
    for slot in range(n_slots):
        starts[slot] = n
        job = jobs[slot]
        for stage in range(first[job], first[job + 1]):
            if not done[stage]:
                row_of[stage] = n
                n += 1
    starts[n_slots] = n
    max_rows = (obs_ints.shape[0] - 2 * edge_rows - 3) // 2
    obs_ints[: max_rows + 2 * edge_rows] = -1
    obs_ints[max_rows + 2 * edge_rows :] = 0
    row_ints[0] = n
    row_ints[1] = n_slots
    k = 0  # edges found
    row = 0
    for slot in range(n_slots):
        job = jobs[slot]
        row_ints[2 + 2 * n + slot] = job
        for stage in range(first[job], first[job + 1]):
            if done[stage]:
                continue
            row_ints[2 + row] = stage
            row_ints[2 + n + row] = stage_job[stage]
            row_floats[0, row] = arrival[job]
            ready = 1.0
            for i in range(parent_start[stage], parent_start[stage + 1]):
                parent = parents[i]
                if not done[parent]:
                    ready = 0.0
                    edges[2 * k] = row_of[parent]
                    edges[2 * k + 1] = row
                    if k < edge_rows:
                        obs_ints[max_rows + 2 * k] = row_of[parent]
                        obs_ints[max_rows + 2 * k + 1] = row
                    k += 1
            row_floats[1, row] = ready
            obs_ints[row] = slot
            row += 1
    return k


__all__ = ["shown_rows", "stage_features"]
