"""Job templates: the DAG of stages and the recorded task durations a job is drawn from.

A template is one query at one input size (TPC-H: 22 queries x 7 sizes). Each stage has
``n_tasks`` identical tasks and three "waves" of recorded task durations, each keyed by the
number of executors the job had when they were recorded (Decima's traces; reference/netllm.md
3.1):

- ``fresh_durations``: the first task of an executor that was idle or moving between jobs;
- ``first_wave``: the first task of an executor that comes from another stage of the job;
- ``rest_wave``: the following tasks of an executor that stays on the stage.

``JobLibrary`` holds the templates on a (query, size) grid and draws a job's template the way
spark-sched-sim does (a uniform query, then a uniform size), so that the same seed gives the
same job sequence as the anchor. ``DurationTables`` flattens the waves into the lookup the sim
samples from (``sample`` in spark-sched-sim's ``task_duration.py``: the executor level is drawn
between the two recorded levels around the job's executor count, then a recorded duration of
that level uniformly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

WAVES = ("fresh_durations", "first_wave", "rest_wave")
"""the three duration sets of a stage, in the anchors' key names"""
KIND_IDLE, KIND_NEW_STAGE, KIND_CONTINUE = 0, 1, 2
"""which set a task's duration comes from: an executor that was idle or moving, one that comes
from another stage of the job, one that continues on the stage"""
EXECUTOR_LEVELS = (5, 10, 20, 40, 50, 60, 80, 100)
"""executor counts between which a job's count is interpolated (spark-sched-sim's
``_init_executor_intervals``; the traces also hold level 2, which it never picks)"""


@dataclass(frozen=True)
class StageTemplate:
    """One stage: its task count and its duration sets (seconds; first wave cleaned)."""

    n_tasks: int
    """identical tasks of the stage"""
    waves: dict[str, dict[int, np.ndarray]]
    """wave name -> executor level -> recorded durations in seconds (may be empty)"""

    @cached_property
    def rough_duration_s(self) -> float:
        """Mean of every recorded duration of the stage (the anchors' first estimate of a
        task's duration, shown before any task has run)."""
        values = [array for wave in self.waves.values() for array in wave.values()]
        return float(np.concatenate(values).mean())

    @cached_property
    def min_duration_s(self) -> float:
        """The shortest recorded duration of the stage: no task of it can take less."""
        values = [array for wave in self.waves.values() for array in wave.values()]
        return float(np.concatenate(values).min())

    @cached_property
    def typical_duration_s(self) -> float:
        """Mean of the rest-wave durations over all levels (first wave where there are none):
        a task's duration once an executor runs on the stage, for work estimates."""
        for wave in ("rest_wave", "first_wave", "fresh_durations"):
            values = [a for a in self.waves[wave].values() if len(a)]
            if values:
                return float(np.concatenate(values).mean())
        return self.rough_duration_s


@dataclass(frozen=True)
class JobTemplate:
    """A job's DAG of stages and its stages' durations."""

    name: str
    """e.g. ``tpch-q9-50g`` or ``synthetic-q3-s4``"""
    parents: tuple[tuple[int, ...], ...]
    """parents of each stage (stage ids 0..n-1)"""
    stages: tuple[StageTemplate, ...]
    children: tuple[tuple[int, ...], ...] = field(init=False)
    """children of each stage"""

    def __post_init__(self) -> None:
        if len(self.parents) != len(self.stages):
            raise ValueError(
                f"job template {self.name}: {len(self.parents)} parent lists for "
                f"{len(self.stages)} stages"
            )
        topological_order(self.parents, self.name)
        children: list[list[int]] = [[] for _ in self.stages]
        for child, parents in enumerate(self.parents):
            for parent in parents:
                children[parent].append(child)
        object.__setattr__(self, "children", tuple(tuple(c) for c in children))

    @property
    def n_stages(self) -> int:
        """Stages of the job."""
        return len(self.stages)

    @property
    def n_edges(self) -> int:
        """Dependencies of the job."""
        return sum(len(p) for p in self.parents)

    @cached_property
    def work_s(self) -> float:
        """Executor-seconds of the job: tasks x typical task duration, summed over stages."""
        return float(sum(s.n_tasks * s.typical_duration_s for s in self.stages))

    @cached_property
    def critical_path_s(self) -> float:
        """Longest chain of one typical task per stage: the job's time at full parallelism
        (every stage's tasks in one wave), without moves or warm-ups."""
        return float(max(longest_paths(self.parents, [s.typical_duration_s for s in self.stages])))

    @cached_property
    def min_work_s(self) -> float:
        """Executor-seconds the job needs at least (tasks x shortest duration)."""
        return float(sum(s.n_tasks * s.min_duration_s for s in self.stages))

    @cached_property
    def min_critical_path_s(self) -> float:
        """The job's completion time can be no shorter: the heaviest chain of one shortest
        task per stage (a stage cannot start before all its parents have completed)."""
        return float(max(longest_paths(self.parents, [s.min_duration_s for s in self.stages])))


def topological_order(parents: Sequence[Sequence[int]], where: str) -> list[int]:
    """Stage ids in an order where every parent comes before its children.

    Raises:
        ValueError: a parent id out of range, a self-loop or a cycle (naming ``where`` and the
            stages on it).
    """
    n = len(parents)
    indegree = [0] * n
    children: list[list[int]] = [[] for _ in range(n)]
    for child, ps in enumerate(parents):
        for parent in ps:
            if not 0 <= parent < n:
                raise ValueError(f"{where}: stage {child} has parent {parent}, outside 0..{n - 1}")
            if parent == child:
                raise ValueError(f"{where}: stage {child} depends on itself (a cycle)")
            indegree[child] += 1
            children[parent].append(child)
    order = [s for s in range(n) if indegree[s] == 0]
    for stage in order:  # the list grows while we walk it (Kahn's algorithm)
        for child in children[stage]:
            indegree[child] -= 1
            if indegree[child] == 0:
                order.append(child)
    if len(order) < n:
        cycle = sorted(s for s in range(n) if indegree[s] > 0)
        raise ValueError(f"{where}: the stage DAG has a cycle through stages {cycle}")
    return order


def longest_paths(parents: Sequence[Sequence[int]], weights: Sequence[float]) -> list[float]:
    """For each stage, the heaviest chain of stages that ends at it (its weight included)."""
    best = [0.0] * len(parents)
    for stage in topological_order(parents, "longest_paths"):
        best[stage] = weights[stage] + max((best[p] for p in parents[stage]), default=0.0)
    return best


def executor_key_table(n_executors: int) -> list[tuple[int, int, float]]:
    """For each job executor count n = 0..n_executors: (left level, right level, P(left)).

    spark-sched-sim picks the recorded level for a task as ``left`` with probability
    ``(n - left) / (right - left)`` and ``right`` otherwise (its ``_sample_executor_key``),
    where ``left <= n <= right`` are the neighbouring ``EXECUTOR_LEVELS``; counts below 5 use
    level 5, counts above 100 level 100.
    """
    levels = EXECUTOR_LEVELS
    table: list[tuple[int, int, float]] = []
    for n in range(n_executors + 1):
        if n <= levels[0]:
            table.append((levels[0], levels[0], 1.0))
        elif n >= levels[-1]:
            table.append((levels[-1], levels[-1], 1.0))
        else:
            right = next(level for level in levels if level >= n)
            left = levels[levels.index(right) - 1]
            if right == n:
                table.append((n, n, 1.0))
            else:
                table.append((left, right, (n - left) / (right - left)))
    return table


class DurationTables:
    """Every template's durations in one flat array, and per stage and kind of task the
    (offset, length, seconds added) of the set a level draws from.

    The fallbacks are spark-sched-sim's: an idle executor draws a fresh duration, or a first-
    wave one plus the warm-up delay where the level has no fresh one; an executor new to the
    stage draws a first-wave duration (else fresh); one that continues draws a rest-wave
    duration (else first wave, else fresh). A level the stage was not recorded at is replaced
    by its largest recorded level.
    """

    def __init__(self, templates: Sequence[JobTemplate], warmup_s: float) -> None:
        chunks: list[np.ndarray] = []
        offset = 0
        self.lookup: dict[int, list[list[dict[int, tuple[int, int, float]]]]] = {}
        """id(template) -> stage -> kind -> level -> (offset, length, added seconds)"""
        for template in templates:
            if id(template) in self.lookup:
                continue
            per_stage = []
            for stage in template.stages:
                placed: dict[tuple[str, int], tuple[int, int]] = {}
                for wave, by_level in stage.waves.items():
                    for level, values in by_level.items():
                        if len(values):
                            placed[wave, level] = (offset, len(values))
                            chunks.append(np.asarray(values, dtype=np.float64))
                            offset += len(values)
                per_stage.append(_kinds(stage, placed, warmup_s, template.name))
            self.lookup[id(template)] = per_stage
        self.flat = np.concatenate(chunks) if chunks else np.zeros(0)

    def stage_kinds(self, template: JobTemplate) -> list[list[dict[int, tuple[int, int, float]]]]:
        """Per stage of ``template``: the three kinds' level -> (offset, length, added s)."""
        return self.lookup[id(template)]


def _kinds(
    stage: StageTemplate,
    placed: dict[tuple[str, int], tuple[int, int]],
    warmup_s: float,
    where: str,
) -> list[dict[int, tuple[int, int, float]]]:
    recorded = sorted(stage.waves["first_wave"])
    if not recorded:
        raise ValueError(f"{where}: a stage has no first-wave durations at any executor level")
    fallbacks = (
        (("fresh_durations", 0.0), ("first_wave", warmup_s)),
        (("first_wave", 0.0), ("fresh_durations", 0.0)),
        (("rest_wave", 0.0), ("first_wave", 0.0), ("fresh_durations", 0.0)),
    )
    kinds = []
    for chain in fallbacks:
        table: dict[int, tuple[int, int, float]] = {}
        for level in set(EXECUTOR_LEVELS) | set(recorded):
            key = level if level in stage.waves["first_wave"] else recorded[-1]
            for wave, added in chain:
                if (wave, key) in placed:
                    table[level] = (*placed[wave, key], added)
                    break
            else:
                raise ValueError(
                    f"{where}: a stage has no duration a task could draw at executor level "
                    f"{key} (waves {[w for w, _ in chain]} are all empty there)"
                )
        kinds.append(table)
    return kinds


@dataclass(frozen=True)
class JobLibrary:
    """Templates on a (query, size) grid; a job draws a uniform query, then a uniform size."""

    source: str
    """'tpch', 'synthetic' or a description of where the templates came from"""
    queries: tuple[str, ...]
    sizes: tuple[str, ...]
    grid: tuple[tuple[JobTemplate, ...], ...]
    """``grid[query][size]``"""

    def __post_init__(self) -> None:
        if not self.grid or any(len(row) != len(self.sizes) for row in self.grid):
            raise ValueError(f"job library {self.source}: the grid must be queries x sizes")

    def templates(self) -> list[JobTemplate]:
        """Every template, query by query."""
        return [template for row in self.grid for template in row]

    def draw(self, rng: np.random.Generator) -> JobTemplate:
        """One job's template: ``integers(queries)`` then ``integers(sizes)`` from ``rng``
        (the draws of spark-sched-sim's ``generate_job``)."""
        query = int(rng.integers(len(self.queries)))
        size = int(rng.integers(len(self.sizes)))
        return self.grid[query][size]

    @cached_property
    def max_stages(self) -> int:
        """The most stages of any template."""
        return max(t.n_stages for t in self.templates())

    @cached_property
    def max_tasks(self) -> int:
        """The most tasks of any stage."""
        return max(s.n_tasks for t in self.templates() for s in t.stages)

    @cached_property
    def max_duration_s(self) -> float:
        """The longest recorded task duration."""
        return max(
            float(values.max())
            for t in self.templates()
            for s in t.stages
            for wave in s.waves.values()
            for values in wave.values()
            if len(values)
        )

    @cached_property
    def max_edges_per_stage(self) -> float:
        """The largest edges / stages ratio of any template."""
        return max(t.n_edges / t.n_stages for t in self.templates())


__all__ = [
    "EXECUTOR_LEVELS",
    "KIND_CONTINUE",
    "KIND_IDLE",
    "KIND_NEW_STAGE",
    "WAVES",
    "DurationTables",
    "JobLibrary",
    "JobTemplate",
    "StageTemplate",
    "executor_key_table",
    "longest_paths",
    "topological_order",
]
