"""A whole leaderboard: run every task, pool rows, score the suite (IQM, probability of
improvement, performance profiles) and record the environment it ran in.

``run_leaderboard`` is the library entry point behind ``netgym leaderboard run``; the
``Leaderboard`` it returns is what ``netgym.leaderboard.report`` writes to disk.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from netgym.provenance import git_commit, netgym_version

from . import stats
from .entries import Entry
from .protocols import Protocol
from .runner import Progress, Row, build_rows, execute, plan_tasks

PACKAGES = (
    "numpy",
    "scipy",
    "gymnasium",
    "pettingzoo",
    "torch",
    "stable-baselines3",
    "networkx",
)
"""packages whose versions every result records"""
PROFILE_TAUS = tuple(float(t) for t in np.round(np.linspace(-0.5, 1.5, 41), 4))
"""normalised-score thresholds of the performance profiles"""


def environment_fingerprint() -> dict[str, Any]:
    """netgym version, git commit, python, platform and the versions of ``PACKAGES``."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "netgym_version": netgym_version(),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


@dataclass
class SuiteScore:
    """One entry over every task it played: IQM of its normalised run scores, with a CI."""

    entry: str
    tasks: list[str]
    runs: int
    iqm: float
    ci_low: float
    ci_high: float
    profile: list[float]
    """fraction of runs above each ``PROFILE_TAUS`` threshold, averaged over tasks"""


@dataclass
class Leaderboard:
    """Everything a leaderboard run produced."""

    protocols: list[Protocol]
    rows: list[Row]
    suite: list[SuiteScore]
    improvement: list[dict[str, Any]]
    """probability of improvement: x, y, tasks, p, ci_low, ci_high (x != y)"""
    environment: dict[str, Any]
    data_checksums: dict[str, str | None] = field(default_factory=dict)
    wall_s: float = 0.0
    family_suite: dict[str, list[SuiteScore]] = field(default_factory=dict)
    """family title -> the suite scores over that family's tasks only"""
    run_folders: dict[str, list[str]] = field(default_factory=dict)
    """entry name -> the train.py run folders of that entry (its learning curves)"""
    timelines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """protocol label -> per-trace timelines of its reference policy (``timeline``)"""

    def anchors(self, protocol: Protocol) -> dict[str, float | None]:
        """Raw scores of the anchors under ``protocol`` (and the oracle's, and the bound)."""
        means = {
            row.entry: row.mean
            for row in self.rows
            if row.protocol == protocol.name and row.kind == "baseline"
        }
        a = protocol.anchors
        return {
            "random": means.get(a.random),
            "reference": means.get(a.reference),
            "oracle": means.get(a.oracle) if a.oracle else None,
            "bound": a.bound,
        }


def task_scores(rows: Sequence[Row], entry: str) -> dict[str, np.ndarray]:
    """protocol label -> the normalised scores of the entry's runs.

    A run is one training seed evaluated on one evaluation seed block: independent draws of
    the entry's performance on the task (a baseline on a protocol with 5 seeds has 5 runs).
    """
    out: dict[str, list[float]] = {}
    for row in rows:
        if row.entry == entry:
            out.setdefault(f"{row.protocol}@{row.version}", []).extend(row.block_normalised)
    return {task: np.asarray(values) for task, values in out.items()}


def suite_scores(rows: Sequence[Row], reps: int = stats.SUITE_REPS) -> list[SuiteScore]:
    """IQM with a stratified bootstrap CI per entry, best first."""
    suite = []
    for entry in dict.fromkeys(row.entry for row in rows):
        per_task = task_scores(rows, entry)
        tasks = list(per_task.values())
        point, low, high = stats.iqm_interval(tasks, reps=reps, seed=0)
        suite.append(
            SuiteScore(
                entry=entry,
                tasks=list(per_task),
                runs=int(sum(len(t) for t in tasks)),
                iqm=point,
                ci_low=low,
                ci_high=high,
                profile=[float(v) for v in stats.performance_profile(tasks, PROFILE_TAUS)],
            )
        )
    suite.sort(key=lambda score: (-score.iqm, score.entry))
    return suite


def family_title(env_id: str) -> str:
    """The title of the family that declares ``env_id`` (the id itself when none does)."""
    from netgym.envs.families import family_of

    try:
        return family_of(env_id).title
    except ValueError:
        return env_id


def family_suites(rows: Sequence[Row], reps: int = stats.SUITE_REPS) -> dict[str, list[SuiteScore]]:
    """family title -> ``suite_scores`` of the rows of that family's protocols."""
    families: dict[str, list[Row]] = {}
    for row in rows:
        families.setdefault(family_title(row.env_id), []).append(row)
    return {title: suite_scores(family_rows, reps) for title, family_rows in families.items()}


def improvement(rows: Sequence[Row], reps: int = stats.POI_REPS) -> list[dict[str, Any]]:
    """P(X > Y) with a stratified bootstrap CI for each ordered pair sharing a task."""
    scores = {entry: task_scores(rows, entry) for entry in dict.fromkeys(r.entry for r in rows)}
    out = []
    for x, x_tasks in scores.items():
        for y, y_tasks in scores.items():
            shared = [task for task in x_tasks if task in y_tasks]
            if x == y or not shared:
                continue
            p, low, high = stats.poi_interval(
                [x_tasks[t] for t in shared], [y_tasks[t] for t in shared], reps=reps, seed=0
            )
            out.append({"x": x, "y": y, "tasks": shared, "p": p, "ci_low": low, "ci_high": high})
    return out


def run_leaderboard(
    protocols: Sequence[Protocol],
    entries: Sequence[Entry] = (),
    policies: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    workers: int | None = 1,
    backend: str = "local",
    out_dir: str | Path | None = None,
    address: str | None = None,
    progress: Progress | None = None,
    suite_reps: int = stats.SUITE_REPS,
) -> Leaderboard:
    """Evaluate every baseline of each protocol's env (or ``policies``, always with the anchor
    baselines) and every entry that plays it, then score the rows and the suite.

    Args:
        protocols: the protocols (tasks) of the leaderboard.
        entries: trained agents or policy classes (``netgym.leaderboard.entries``).
        policies: baseline names to evaluate instead of all of them.
        data_dir: data folder for protocols that need one.
        workers: parallel processes (local) or concurrent tasks (ray, None = all CPUs).
        backend: 'local' or 'ray'.
        out_dir: folder of the task cache (None: no cache); an interrupted run resumes from it.
        address: a Ray cluster address (``backend='ray'``; None starts a local Ray).
        progress: ``progress(done, total, task)`` after each task.
        suite_reps: bootstrap resamples of the suite IQM intervals.

    Raises:
        ValueError: unknown policy or backend, entries that play no protocol.
        FileNotFoundError: a missing data folder.
    """
    started = time.perf_counter()
    protocols = list(protocols)
    if not protocols:
        raise ValueError("no protocols to run")
    tasks = plan_tasks(protocols, entries, policies, data_dir)
    out = None if out_dir is None else Path(out_dir)
    results = execute(tasks, backend, workers, out, address, progress)
    rows = build_rows(protocols, tasks, results)
    from .timeline import collect_timelines

    run_folders: dict[str, list[str]] = {}
    for entry in entries:
        if entry.kind == "run":
            run_folders.setdefault(entry.name, []).append(entry.target)
    return Leaderboard(
        protocols=protocols,
        rows=rows,
        suite=suite_scores(rows, suite_reps),
        improvement=improvement(rows),
        environment=environment_fingerprint(),
        data_checksums={p.label: p.data_checksum(data_dir) for p in protocols},
        wall_s=time.perf_counter() - started,
        family_suite=family_suites(rows, suite_reps),
        run_folders=run_folders,
        timelines=collect_timelines(protocols, data_dir),
    )


__all__ = [
    "PACKAGES",
    "PROFILE_TAUS",
    "Leaderboard",
    "SuiteScore",
    "environment_fingerprint",
    "family_suites",
    "family_title",
    "improvement",
    "run_leaderboard",
    "suite_scores",
    "task_scores",
]
