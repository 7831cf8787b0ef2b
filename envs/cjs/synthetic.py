"""The embedded default job library: seeded synthetic Spark jobs with TPC-H's statistics.

``SyntheticDags`` generates ``n_queries`` DAGs, each at the input sizes ``sizes_gb``, in the
layout of the TPC-H traces (``templates.JobTemplate``: three duration waves per executor level),
so the simulator treats both sources alike. What it reproduces (computed from the 22 TPC-H
queries x 7 sizes; reference/netllm.md 3.2):

- **DAGs**: 2-18 stages (TPC-H's mean and spread), a single final stage, about 38 % source
  stages (table scans), near-trees (one child per stage, a few extra edges), depth about 6.
  The structure of a query is the same at every input size; the size changes task counts and
  durations.
- **Tasks**: a scan reads one of a few tables in blocks, so its task count grows with the input
  (``max(2, round(size_gb x tasks_per_gb))``; TPC-H's five table sizes and how often queries
  scan them are ``scan_tables``); a shuffle stage has Spark's 200 partitions (78 %) or a
  handful of tasks (an aggregate).
- **Durations**: a scan task takes about 2 s (its table's median, log-normal across stages), a
  shuffle task tens of ms, growing slowly with the input size; durations grow with the
  executor level (contention), the first wave is slower than the rest (x1.2-1.8 for scans, x4-6 for
  shuffles), fresh durations (recorded for some stages only) equal first-wave ones, and a
  stage has a rest wave at a level only if it has more tasks than that many executors (as in
  the traces, where the first ``level`` tasks were the first wave).

Calibration: with these statistics, FIFO's and Fair's mean job completion times over 20 seeds
come out 12 % and 7 % below the TPC-H traces'; ``duration_scale = 1.05`` brings both, and their
ratio, within 2 % (``docs/cjs.md``, ``tests/test_cjs_reproduction.py`` checks 10 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.validation import check_int, check_range, check_sequence, set_field
from .templates import JobLibrary, JobTemplate, StageTemplate

RECORDED_LEVELS = (2, 5, 10, 20, 40, 50, 60, 80, 100)
"""executor levels at which the synthetic durations are 'recorded' (TPC-H's)"""


@dataclass(frozen=True)
class SyntheticDags:
    """Settings of the synthetic job library (see the module docstring)."""

    seed: int = 0
    """seed of the library (not of the episodes): the same seed gives the same templates"""
    n_queries: int = 22
    """distinct DAG structures"""
    sizes_gb: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 50.0, 80.0, 100.0)
    """input sizes each query is generated at"""
    min_stages: int = 2
    max_stages: int = 18
    stages_mean: float = 9.2
    """stages per query: a normal of this mean and ``stages_sd``, rounded and clipped to
    [min_stages, max_stages] (TPC-H: 2-18, mean 9.2, sd 4.6)"""
    stages_sd: float = 4.6
    scan_share: float = 0.38
    """share of a job's stages that are scans (source stages)"""
    chain_prob: float = 0.8
    """probability that a shuffle stage feeds the next one (else a later one): depth"""
    extra_edge_prob: float = 0.3
    """probability of one dependency beyond the tree, per job"""
    scan_tables: tuple[tuple[float, float, float], ...] = (
        (0.0, 24.0, 1.6),
        (0.19, 17.0, 3.4),
        (0.91, 5.0, 1.6),
        (1.33, 11.0, 2.0),
        (5.93, 21.0, 2.2),
    )
    """(tasks per GB, weight, median task duration in s) of each table a scan may read
    (TPC-H at 100 GB: 2, 19, 91, 133 and 593 tasks; a table of 0 tasks per GB has 2)"""
    scan_duration_sd: float = 0.3
    """log-normal spread of a scan's task duration around its table's median"""
    shuffle_partitions: int = 200
    """tasks of a shuffle stage (Spark's default partitions)"""
    small_shuffle_prob: float = 0.22
    """probability that a shuffle stage has only 1-8 tasks"""
    shuffle_duration_s: float = 0.021
    """median shuffle task duration at 2 GB (rest wave; grows as size^0.15, sd 1.2)"""
    duration_scale: float = 1.05
    """multiplies every duration: the calibration knob (see the module docstring)"""
    samples_per_level: int = 8
    """recorded durations per wave and executor level"""

    def __post_init__(self) -> None:
        owner = "SyntheticDags"
        check_int(self, owner, "seed", low=0)
        check_int(self, owner, "n_queries", low=1)
        sizes = check_sequence(owner, "sizes_gb", self.sizes_gb)
        for size in sizes:
            check_range(owner, "sizes_gb entries", size, low=0, low_inclusive=False)
        set_field(self, "sizes_gb", tuple(float(s) for s in sizes))
        check_int(self, owner, "min_stages", low=2)
        check_int(self, owner, "max_stages", low=self.min_stages)
        check_range(owner, "stages_mean", self.stages_mean, low=0, low_inclusive=False)
        check_range(owner, "stages_sd", self.stages_sd, low=0)
        for name in ("scan_share", "chain_prob", "extra_edge_prob", "small_shuffle_prob"):
            check_range(owner, name, getattr(self, name), low=0.0, high=1.0)
        for name in ("shuffle_duration_s", "duration_scale"):
            check_range(owner, name, getattr(self, name), low=0, low_inclusive=False)
        check_range(owner, "scan_duration_sd", self.scan_duration_sd, low=0)
        tables = check_sequence(owner, "scan_tables", self.scan_tables)
        for table in tables:
            per_gb, weight, duration = check_sequence(owner, "scan_tables entries", table, length=3)
            check_range(owner, "scan_tables tasks per GB", per_gb, low=0)
            check_range(owner, "scan_tables weight", weight, low=0, low_inclusive=False)
            check_range(owner, "scan_tables duration", duration, low=0, low_inclusive=False)
        set_field(self, "scan_tables", tuple(tuple(float(x) for x in t) for t in tables))
        check_int(self, owner, "shuffle_partitions", low=1)
        check_int(self, owner, "samples_per_level", low=1)


def _dag(rng: np.random.Generator, spec: SyntheticDags) -> tuple[tuple[int, ...], ...]:
    """Parents of each stage: scans ``0..m-1``, shuffles ``m..n-1``, the last one final."""
    n = int(
        np.clip(
            round(rng.normal(spec.stages_mean, spec.stages_sd)), spec.min_stages, spec.max_stages
        )
    )
    n_scans = int(np.clip(round(n * spec.scan_share + rng.normal(0, 0.7)), 1, n - 1))
    parents: list[set[int]] = [set() for _ in range(n)]
    shuffles = list(range(n_scans, n))
    for position, stage in enumerate(shuffles[1:], start=1):  # the shuffle backbone
        if rng.random() < spec.chain_prob or position == 1:
            parents[stage].add(shuffles[position - 1])
        else:
            parents[stage].add(shuffles[int(rng.integers(0, position))])
    # every shuffle but the final one feeds a later one; scans feed shuffles
    has_child = {p for ps in parents for p in ps}
    for position, stage in enumerate(shuffles[:-1]):
        if stage not in has_child:
            parents[shuffles[int(rng.integers(position + 1, len(shuffles)))]].add(stage)
    parents[shuffles[0]].add(0)
    for scan in range(1, n_scans):
        parents[shuffles[int(rng.integers(0, len(shuffles)))]].add(scan)
    if n > 2 and rng.random() < spec.extra_edge_prob:
        child = shuffles[int(rng.integers(1, len(shuffles)))] if len(shuffles) > 1 else n - 1
        parent = int(rng.integers(0, child))
        parents[child].add(parent)
    return tuple(tuple(sorted(ps)) for ps in parents)


def _waves(
    rng: np.random.Generator,
    spec: SyntheticDags,
    scan: bool,
    rest_s: float,
    n_tasks: int,
) -> dict[str, dict[int, np.ndarray]]:
    """The three waves of one stage at one size, per recorded level (seconds)."""
    slope, noise = (0.0035, 0.1) if scan else (0.022, 0.24)
    has_fresh = rng.random() < (0.5 if scan else 0.1)
    waves: dict[str, dict[int, np.ndarray]] = {name: {} for name in ("fresh_durations",)}
    waves["first_wave"], waves["rest_wave"] = {}, {}
    size = spec.samples_per_level
    for level in RECORDED_LEVELS:
        factor = max(0.9, 1.0 + slope * (level - 5))
        rest = rest_s * factor * np.exp(rng.normal(0.0, noise, size))
        first_ratio = 1.2 + 0.012 * (level - 5) if scan else 6.0 - 0.04 * (level - 5)
        first = rest * first_ratio * np.exp(rng.normal(0.0, noise, size))
        waves["first_wave"][level] = first * spec.duration_scale
        has_rest = n_tasks > level
        waves["rest_wave"][level] = rest * spec.duration_scale if has_rest else np.zeros(0)
        waves["fresh_durations"][level] = (
            waves["first_wave"][level].copy() if has_fresh else np.zeros(0)
        )
    return waves


def _query(rng: np.random.Generator, spec: SyntheticDags, query: int) -> list[JobTemplate]:
    parents = _dag(rng, spec)
    n = len(parents)
    scans = [not ps for ps in parents]
    tables = np.array(spec.scan_tables)
    table = rng.choice(len(tables), size=n, p=tables[:, 1] / tables[:, 1].sum())
    tasks_per_gb = tables[table, 0]
    small = rng.random(n) < spec.small_shuffle_prob
    small_tasks = np.where(rng.random(n) < 0.5, 1, rng.integers(2, 9, n))
    scan_rest = tables[table, 2] * np.exp(rng.normal(0.0, spec.scan_duration_sd, n))
    shuffle_rest = spec.shuffle_duration_s * np.exp(rng.normal(0.0, 1.2, n))
    templates = []
    for size_index, size_gb in enumerate(spec.sizes_gb):
        stages = []
        for stage in range(n):
            if scans[stage]:
                n_tasks = int(np.clip(round(size_gb * tasks_per_gb[stage]), 2, 600))
                rest_s = float(scan_rest[stage])
            else:
                n_tasks = int(small_tasks[stage]) if small[stage] else spec.shuffle_partitions
                rest_s = float(shuffle_rest[stage] * (size_gb / 2.0) ** 0.15)
            waves = _waves(rng, spec, bool(scans[stage]), rest_s, n_tasks)
            stages.append(StageTemplate(n_tasks=n_tasks, waves=waves))
        name = f"synthetic-q{query + 1}-s{size_index}"
        templates.append(JobTemplate(name=name, parents=parents, stages=tuple(stages)))
    return templates


@lru_cache(maxsize=8)
def synthetic_library(spec: SyntheticDags) -> JobLibrary:
    """The library of ``spec`` (cached per process: the same spec gives the same object)."""
    rng = np.random.default_rng(spec.seed)
    grid = tuple(tuple(_query(rng, spec, q)) for q in range(spec.n_queries))
    sizes = tuple(f"{size:g}g" for size in spec.sizes_gb)
    queries = tuple(f"q{q + 1}" for q in range(spec.n_queries))
    return JobLibrary(
        source=f"synthetic(seed={spec.seed})", queries=queries, sizes=sizes, grid=grid
    )


__all__ = ["RECORDED_LEVELS", "SyntheticDags", "synthetic_library"]
