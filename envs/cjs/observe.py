"""Observations and action masks of ``netgym/SparkScheduling-v0``.

A decision shows the incomplete stages of the round's jobs (``SparkSim.round_jobs``: the
source's job and the oldest jobs that fit in ``max_stages`` rows), job by job in arrival order
and, within a job, by stage id. Row ``r`` of every per-stage array is the same stage, and the
action's ``stage`` picks a row.

Per-stage features (``STAGE_FEATURES``, float32):

| column | feature | unit |
|---|---|---|
| 0 | tasks not started | / 100 |
| 1 | duration of the stage's last started task (before any: its mean recorded duration) | s |
| 2 | remaining work: column 0 x column 1 | 100 executor-s |
| 3 | schedulable now (the action may pick it) | 0/1 |
| 4 | all parents complete (tasks can start as soon as an executor arrives) | 0/1 |
| 5 | executors working on, moving to or promised to the stage | / n_executors |
| 6 | the job's executor supply (at, moving to or promised to the job) | / n_executors |
| 7 | the stage belongs to the source's job | 0/1 |
| 8 | time since the job arrived (capped at 10^6 s) | 100 s |

Every feature is bounded (the task and duration bounds come from the job library), so the
spaces have finite highs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .kernels import AGE_CAP, TASK_SCALE, WORK_SCALE
from .params import SparkParams
from .row_kernels import shown_rows, stage_features
from .sim import SparkSim
from .templates import JobLibrary

STAGE_FEATURES = (
    "remaining_tasks",
    "recent_duration_s",
    "remaining_work",
    "schedulable",
    "frontier",
    "stage_executors",
    "job_executors",
    "source_job",
    "job_age",
)


def _scalar(low: int, high: int) -> spaces.Box:
    return spaces.Box(low, high, (1,), dtype=np.int64)


def feature_highs(params: SparkParams, library: JobLibrary) -> np.ndarray:
    """The highest value of each stage feature (``STAGE_FEATURES``)."""
    tasks = library.max_tasks / TASK_SCALE
    duration = library.max_duration_s + params.warmup_delay_s
    return np.array(
        [tasks, duration, tasks * duration * TASK_SCALE / WORK_SCALE, 1, 1, 1, 1, 1, AGE_CAP],
        dtype=np.float32,
    )


def observation_space(params: SparkParams, library: JobLibrary) -> spaces.Dict:
    """The observation space of ``params`` with ``library``'s jobs (see the env's docstring)."""
    rows, n = params.max_stages, params.n_executors
    highs = feature_highs(params, library)
    common = {
        "committable": _scalar(0, n),
        "source_job": _scalar(-1, rows - 1),
        "active_jobs": _scalar(0, params.n_jobs),
    }
    features = len(STAGE_FEATURES)
    if params.observation == "graph":
        node_high = np.append(highs, np.float32(rows - 1))
        node_space = spaces.Box(np.zeros_like(node_high), node_high, dtype=np.float32)
        return spaces.Dict({"graph": spaces.Graph(node_space, spaces.Discrete(1)), **common})
    return spaces.Dict(
        {
            "stages": spaces.Box(
                np.zeros((rows, features), np.float32), np.tile(highs, (rows, 1)), dtype=np.float32
            ),
            "stage_job": spaces.Box(-1, rows - 1, (rows,), dtype=np.int64),
            "edges": spaces.Box(-1, rows - 1, (params.edge_rows, 2), dtype=np.int64),
            "job_executors": spaces.Box(0, n, (rows,), dtype=np.int64),
            **common,
        }
    )


def action_space(params: SparkParams) -> spaces.Space:
    """``Dict(stage=Discrete(max_stages + 1), n_exec=Discrete(n_executors, start=1))`` or its
    flat twin ``MultiDiscrete([max_stages + 1, n_executors])`` (``n_exec - 1`` second)."""
    if params.action_format == "flat":
        return spaces.MultiDiscrete([params.max_stages + 1, params.n_executors])
    return spaces.Dict(
        {
            "stage": spaces.Discrete(params.max_stages + 1),
            "n_exec": spaces.Discrete(params.n_executors, start=1),
        }
    )


class Observer:
    """Builds the observation of a decision and remembers which stage each row shows.

    The rows, edges and other structure change only when a job arrives or completes, a stage
    completes or another set of jobs is shown, so they are kept between decisions (keyed by
    the sim's episode, ``SparkSim.structure`` and the shown jobs); the per-stage numbers are
    gathered each time.
    """

    def __init__(self, params: SparkParams) -> None:
        self.params = params
        self.rows: list[int] = []
        """the stage (sim numbering) of each row of the last observation"""
        self.row_of: dict[int, int] = {}
        """the row of each shown stage"""
        self.slot_start: list[int] = [0]
        """each job slot's first row, then the number of rows"""
        self.hidden_edges = 0
        """dependencies the last observation could not list (edge rows full)"""
        self.n_edges = 0
        """dependencies among the shown rows"""
        self._key: tuple[int, int, tuple[int, ...]] | None = None
        self._episode = -1
        rows, edge_rows = params.max_stages, params.edge_rows
        self.row_ints = np.zeros(2 + 3 * rows, dtype=np.int64)
        """rows, slots, then per row its stage and its job, per slot its job (for
        ``kernels.stage_features``; written by ``kernels.shown_rows``)"""
        self.row_floats = np.zeros((2, rows), dtype=np.float64)
        """per row: its job's arrival time, then the all-parents-complete flag"""
        self._starts = np.zeros(rows + 1, dtype=np.int64)
        self._ints = np.zeros(2 * rows + 2 * edge_rows + 3, dtype=np.int64)
        """the integer arrays of an observation in one buffer (``observe`` copies it):
        stage_job, the edge rows, job_executors (filled per decision), committable,
        source_job, active_jobs"""

    def _structure(self, sim: SparkSim, jobs: list[int]) -> None:
        """Lay out the rows of ``jobs`` (``kernels.shown_rows``)."""
        if sim.episode != self._episode:  # the episode's buffers
            self._episode = sim.episode
            self._arrival = np.array(sim.arrival_s, dtype=np.float64)
            self._row_of = np.zeros(len(sim.stage_job), dtype=np.int64)
            self._edges = np.zeros(2 * sum(map(len, sim.parents)), dtype=np.int64)
        n_edges = shown_rows(
            np.array(jobs, dtype=np.int64),
            sim.arrays.ints,
            self._arrival,
            self.row_ints,
            self.row_floats,
            self._starts,
            self._ints,
            self._edges,
            self._row_of,
            self.params.edge_rows,
        )
        n = int(self.row_ints[0])
        self.rows = rows = self.row_ints[2 : 2 + n].tolist()
        self.row_of = dict(zip(rows, range(n), strict=True))
        self.slot_start = self._starts[: len(jobs) + 1].tolist()
        self.n_edges = n_edges
        self.hidden_edges = max(0, n_edges - self.params.edge_rows)

    @property
    def edges(self) -> np.ndarray:
        """Every dependency among the shown rows, ``(parent row, child row)`` per line."""
        return self._edges[: 2 * self.n_edges].reshape(-1, 2).copy()

    def observe(self, sim: SparkSim) -> dict[str, Any]:
        """The observation of ``sim``'s current decision (empty rows when it is done)."""
        params = self.params
        jobs = [] if sim.done else sim.round_jobs
        key = (sim.episode, sim.structure, tuple(jobs))
        if key != self._key:
            self._structure(sim, jobs)
            self._key = key
        pools = sim.pools
        n = len(self.rows)
        stages = np.zeros((params.max_stages, len(STAGE_FEATURES)), dtype=np.float32)
        ints = self._ints.copy()
        source_job = pools.source_job()
        source_slot = jobs.index(source_job) if source_job in jobs else -1
        if n:
            first, end = (
                (self.slot_start[source_slot], self.slot_start[source_slot + 1])
                if source_slot >= 0
                else (0, 0)
            )
            arrays = sim.arrays
            stage_features(
                stages,
                ints,
                self.row_ints,
                self.row_floats,
                arrays.ints,
                arrays.floats,
                pools.counts,
                self._row_of,
                first,
                end,
                sim.now,
                len(sim.round_schedulable),
                pools.committable(),
                source_slot,
                len(sim.active_jobs),
            )
        else:
            ints[-3:] = (0 if sim.done else pools.committable(), source_slot, len(sim.active_jobs))
        scalars = ints[-3:]
        common = {
            "committable": scalars[0:1],
            "source_job": scalars[1:2],
            "active_jobs": scalars[2:3],
        }
        if params.observation == "graph":
            slots = self._ints[:n].astype(np.float32).reshape(n, 1)
            nodes = np.concatenate([stages[:n], slots], axis=1)
            links = self.edges
            graph = spaces.GraphInstance(nodes, np.zeros(len(links), dtype=np.int64), links)
            return {"graph": graph, **common}
        rows, edge_rows = params.max_stages, params.edge_rows
        return {
            "stages": stages,
            "stage_job": ints[:rows],
            "edges": ints[rows : rows + 2 * edge_rows].reshape(edge_rows, 2),
            "job_executors": ints[rows + 2 * edge_rows : 2 * rows + 2 * edge_rows],
            **common,
        }

    def masks(self, sim: SparkSim) -> tuple[np.ndarray, np.ndarray]:
        """(stage mask of ``max_stages + 1`` entries, the last one 'no stage'; n_exec mask of
        ``n_executors`` entries for 1 .. n_executors) of the current decision."""
        params = self.params
        stage_mask = np.zeros(params.max_stages + 1, dtype=bool)
        stage_mask[-1] = True
        exec_mask = np.zeros(params.n_executors, dtype=bool)
        if not sim.done:
            row_of = self.row_of
            shown = [row_of[s] for s in sim.round_schedulable if s in row_of]
            stage_mask[shown] = True
            if shown and params.mask_none:
                stage_mask[-1] = False
            exec_mask[: sim.pools.committable()] = True
        return stage_mask, exec_mask


__all__ = ["STAGE_FEATURES", "Observer", "action_space", "observation_space"]
