"""Run a leaderboard: plan the tasks (entry x protocol x evaluation seed), run them on a backend
with a cache, and pool the results into scored rows.

A task (``netgym.leaderboard.tasks``) is plain data, so that a worker process
(``backend="local"`` with ``workers > 1``) or a Ray task (``"ray"``) can run it. Every task is
deterministic given its seed, so results do not depend on the backend, the number of workers or
the order in which tasks finish. With an ``out_dir``, each finished task is written to
``out_dir/cache/<key>.json`` as it arrives; a run started again with the same ``out_dir`` reuses
them, so an interrupted leaderboard resumes where it stopped.

This module never prints; a ``progress(done, total, task)`` callback reports each finished task
(the CLI draws a tqdm bar with it).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import stats
from .entries import Entry, fitting_protocols
from .protocols import Protocol
from .tasks import Task, TaskError, run_task

BACKENDS = ("local", "ray")
CACHE_FORMAT = 2
"""bumped when the cached task data changes (2: versions cover behaviour, no source hash)"""
Progress = Callable[[int, int, "Task | None"], None]
"""``progress(done, total, task)``: ``task`` just finished (None: ``done`` came from the cache)"""


def _init_worker() -> None:
    """One torch thread per worker process (entries that are SB3 or LLM agents): at once when
    torch is loaded already, else through ``OMP_NUM_THREADS`` for when a policy loads it (the
    leaderboard itself never imports torch, which is in the ``[train]`` extra)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    else:
        os.environ.setdefault("OMP_NUM_THREADS", "1")


def run_local(tasks: Sequence[Task], workers: int = 1) -> Iterator[tuple[Task, dict[str, Any]]]:
    """Yield (task, result) as tasks finish: in this process, or in a pool of ``workers``."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1 or len(tasks) <= 1:
        for task in tasks:
            yield task, run_task(task)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(min(workers, len(tasks)), initializer=_init_worker) as pool:
        yield from pool.imap_unordered(_run_indexed, list(tasks), chunksize=1)


def _run_indexed(task: Task) -> tuple[Task, dict[str, Any]]:
    return task, run_task(task)


# ---------------------------------------------------------------------------------- cache
class TaskCache:
    """Finished tasks as ``cache/<key>.json`` files under a leaderboard's output folder."""

    def __init__(self, out_dir: Path | None) -> None:
        self.folder = None if out_dir is None else Path(out_dir) / "cache"

    def get(self, task: Task) -> dict[str, Any] | None:
        """The cached result of ``task``, or None."""
        if self.folder is None:
            return None
        path = self.folder / f"{task.key}.json"
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return None  # a file cut short by a crash: run the task again
        if data.get("format") != CACHE_FORMAT or data.get("task") != _task_dict(task):
            return None
        return data["result"]

    def put(self, task: Task, result: dict[str, Any]) -> None:
        """Write the result atomically (a temporary file renamed into place)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{task.key}.json"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        payload = {"format": CACHE_FORMAT, "task": _task_dict(task), "result": result}
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)


def _task_dict(task: Task) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(task)))


# ---------------------------------------------------------------------------------- planning
def baseline_entries(protocol: Protocol, policies: Sequence[str] | None) -> list[Entry]:
    """Every baseline of the protocol's env, or those of ``policies`` that the env has plus
    the random and reference anchors."""
    from netgym.baselines import BASELINES

    env = protocol.env_id.split(":", 1)[-1]
    family = BASELINES.get(env, {})
    if not family:
        raise ValueError(f"no baselines for env {env!r} of protocol {protocol.name!r}")
    allowed = [name for name in family if protocol.baselines is None or name in protocol.baselines]
    names = allowed if policies is None else [name for name in policies if name in allowed]
    names += [name for name in protocol.anchors.required() if name not in names]
    return [Entry.baseline(env, name) for name in names]


def plan_tasks(
    protocols: Sequence[Protocol],
    entries: Sequence[Entry] = (),
    policies: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
) -> list[Task]:
    """Every task of a leaderboard run, in a fixed order (protocol, entry, seed).

    Raises:
        ValueError: a policy that no protocol's env has, an entry that plays none of the
            protocols (``entries.fitting_protocols``: its env, and for a trained run the spaces
            it trained on).
        FileNotFoundError: a protocol's data folder is missing.
    """
    plays = {
        entry.key: {p.name for p in fitting_protocols(entry, list(protocols), data_dir)}
        for entry in entries
    }
    from netgym.baselines import make_policy

    for name in policies or ():
        errors = []
        for protocol in protocols:
            try:
                make_policy(protocol.env_id, name)
                break
            except ValueError as err:
                errors.append(str(err))
        else:
            raise ValueError("; ".join(dict.fromkeys(errors)))
    tasks = []
    for protocol in protocols:
        # the folder found here (e.g. under $NETGYM_DATA), so that every worker reads the same
        folder = protocol.require_data(data_dir)
        chosen = baseline_entries(protocol, policies)
        chosen += [entry for entry in entries if protocol.name in plays[entry.key]]
        keys = [entry.key for entry in chosen]
        if len(set(keys)) != len(keys):
            raise ValueError(f"an entry is given twice for protocol {protocol.name!r}")
        for entry in chosen:
            for seed in protocol.eval_seeds:
                tasks.append(
                    Task(
                        entry=entry,
                        protocol=protocol.name,
                        version=protocol.version,
                        episodes=protocol.episodes,
                        seed=seed,
                        data_dir=None if folder is None else str(folder),
                    )
                )
    return tasks


def execute(
    tasks: Sequence[Task],
    backend: str = "local",
    workers: int | None = 1,
    out_dir: Path | None = None,
    address: str | None = None,
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the tasks that are not cached yet; return task key -> result for all of them."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; known: {list(BACKENDS)}")
    cache = TaskCache(out_dir)
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for task in tasks:
        cached = cache.get(task)
        if cached is None:
            todo.append(task)
        else:
            results[task.key] = cached
    done = len(results)
    if progress is not None and done:
        progress(done, len(tasks), None)  # the cached tasks, at once
    if backend == "ray":
        from .ray_backend import run_ray

        stream: Iterable[tuple[Task, dict[str, Any]]] = run_ray(todo, address, workers)
    else:
        stream = run_local(todo, 1 if workers is None else workers)
    for task, result in stream:
        cache.put(task, result)
        results[task.key] = result
        done += 1
        if progress is not None:
            progress(done, len(tasks), task)
    return results


# ---------------------------------------------------------------------------------- rows
@dataclass
class Row:
    """One entry on one protocol for one training seed: every evaluation seed pooled."""

    entry: str
    kind: str
    protocol: str
    version: str
    env_id: str
    train_seed: int | None
    eval_seeds: list[int]
    episodes: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    normalised: float
    normalised_ci_low: float
    normalised_ci_high: float
    wall_s: float
    eval_timesteps: int
    n_timesteps: int | None
    scores: list[float] = field(default_factory=list)
    """per-episode scores, seeds in order"""
    block_normalised: list[float] = field(default_factory=list)
    """normalised mean score of each evaluation seed block (the runs of the suite statistics)"""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def _stable_seed(*parts: Any) -> int:
    text = "|".join(str(part) for part in parts)
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def build_rows(
    protocols: Sequence[Protocol], tasks: Sequence[Task], results: dict[str, dict[str, Any]]
) -> list[Row]:
    """Pool each (protocol, entry) task group into a row, with CI and normalised score.

    Rows come sorted by protocol (in the given order), then normalised score (best first).
    """
    rows = []
    for protocol in protocols:
        groups: dict[str, list[Task]] = {}
        for task in tasks:
            if task.protocol == protocol.name and task.version == protocol.version:
                groups.setdefault(task.entry.key, []).append(task)
        pooled = {}
        for key, group in groups.items():
            group = sorted(group, key=lambda t: protocol.eval_seeds.index(t.seed))
            parts = [results[t.key] for t in group]
            pooled[key] = (group[0].entry, group, parts)
        anchor = {
            name: _pooled_mean(pooled, name, protocol)
            for name in (protocol.anchors.random, protocol.anchors.reference)
        }
        protocol_rows = []
        for entry, group, parts in pooled.values():
            scores = [s for part in parts for s in part["scores"]]
            mean = float(np.mean(scores))
            low, high = stats.bootstrap_ci(scores, seed=_stable_seed(protocol.label, entry.key))
            random_score = anchor[protocol.anchors.random]
            reference_score = anchor[protocol.anchors.reference]
            span = [stats.normalise(v, random_score, reference_score) for v in (mean, low, high)]
            blocks = [
                stats.normalise(float(np.mean(part["scores"])), random_score, reference_score)
                for part in parts
            ]
            protocol_rows.append(
                Row(
                    entry=entry.name,
                    kind=entry.kind,
                    protocol=protocol.name,
                    version=protocol.version,
                    env_id=protocol.env_id,
                    train_seed=entry.train_seed,
                    eval_seeds=[t.seed for t in group],
                    episodes=len(scores),
                    mean=mean,
                    std=float(np.std(scores)),
                    ci_low=low,
                    ci_high=high,
                    normalised=span[0],
                    normalised_ci_low=min(span[1:]),
                    normalised_ci_high=max(span[1:]),
                    wall_s=float(sum(part["wall_s"] for part in parts)),
                    eval_timesteps=int(sum(sum(part["lengths"]) for part in parts)),
                    n_timesteps=entry.n_timesteps,
                    scores=[float(s) for s in scores],
                    block_normalised=blocks,
                )
            )
        protocol_rows.sort(key=lambda row: (-row.normalised, row.entry, row.train_seed or 0))
        rows.extend(protocol_rows)
    return rows


def _pooled_mean(pooled: dict[str, Any], name: str, protocol: Protocol) -> float:
    for entry, _, parts in pooled.values():
        if entry.kind == "baseline" and entry.name == name:
            return float(np.mean([s for part in parts for s in part["scores"]]))
    raise ValueError(f"protocol {protocol.name!r}: anchor baseline {name!r} was not evaluated")


__all__ = [
    "BACKENDS",
    "Row",
    "Task",
    "TaskCache",
    "TaskError",
    "baseline_entries",
    "build_rows",
    "execute",
    "plan_tasks",
    "run_local",
    "run_task",
]
