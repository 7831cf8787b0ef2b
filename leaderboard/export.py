"""Scores for other tools: rliable's ``runs x tasks`` arrays from a leaderboard's results.json.

rliable (Agarwal et al. 2021) takes a dict ``{algorithm: scores}`` where ``scores`` has shape
``(num_runs, num_tasks)``. ``rliable_arrays`` builds it from the rows of a leaderboard run: a
*run* is one training seed evaluated on one evaluation seed block (as in the suite statistics,
``board.task_scores``), a *task* one protocol at one version (``name@version``); the values are
the normalised scores of the runs (``raw``: the runs' mean scores in the protocol's units).

The layout needs as many runs on every task of an entry. Where an entry's tasks have different
numbers of runs (protocols with different evaluation seeds), each task keeps its first runs, as
many as the task with the fewest, and ``Export.cut`` says how many were left out, so nothing is
dropped silently. Export tasks with the same seeds (``protocols``) to keep every run.

The ``.npz`` written by ``write_npz`` holds only numbers and strings (it loads with
``np.load(path)``, no pickle): ``format`` (1), ``entries`` (E names), ``tasks`` (every task
exported), and per entry ``i``: ``scores_<i>`` (runs x tasks, normalised), ``raw_<i>`` (the same
runs' mean raw scores) and ``tasks_<i>`` (the labels of its columns).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
"""version of the .npz layout"""


@dataclass
class Export:
    """rliable's arrays of some entries, with what had to be left out."""

    entries: list[str]
    tasks: dict[str, list[str]]
    """entry -> the task labels of its columns"""
    scores: dict[str, np.ndarray]
    """entry -> normalised scores, shape (runs, tasks)"""
    raw: dict[str, np.ndarray]
    """entry -> mean raw score of each run, shape (runs, tasks)"""
    cut: dict[str, dict[str, int]] = field(default_factory=dict)
    """entry -> task -> runs left out to make the array rectangular"""


def load_results(path: str | Path) -> dict[str, Any]:
    """The content of a leaderboard's ``results.json`` (``path`` may be its folder).

    Raises:
        FileNotFoundError: no results.json there.
        ValueError: the file is not a leaderboard's results.json.
    """
    file = Path(path)
    file = file / "results.json" if file.is_dir() else file
    if not file.is_file():
        raise FileNotFoundError(
            f"no leaderboard results at {file}; give the --out folder of `netgym leaderboard "
            "run` or its results.json"
        )
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{file} is not JSON: {err}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
        raise ValueError(f"{file} has no 'rows' list: not a leaderboard's results.json")
    return payload


def _runs(rows: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Normalised and raw score of each run of one entry's rows on one task, ordered by
    training seed then evaluation seed block."""
    normalised, raw = [], []
    for row in sorted(rows, key=lambda r: (r.get("train_seed") is not None, r.get("train_seed"))):
        blocks = len(row["eval_seeds"])
        normalised.extend(float(v) for v in row["block_normalised"])
        raw.extend(float(np.mean(b)) for b in np.array_split(np.asarray(row["scores"]), blocks))
    return normalised, raw


def rliable_arrays(
    payload: dict[str, Any],
    entries: Sequence[str] | None = None,
    protocols: Sequence[str] | None = None,
    common_tasks: bool = False,
) -> Export:
    """rliable's score arrays of ``entries`` (None: all) on ``protocols`` (names, None: all).

    With ``common_tasks``, every entry gets the same columns: the tasks all of them played.

    Raises:
        ValueError: an entry or protocol not in the results, or nothing left to export.
    """
    rows = payload["rows"]
    names = list(dict.fromkeys(row["entry"] for row in rows))
    chosen_protocols = list(dict.fromkeys(row["protocol"] for row in rows))
    for wanted, known, what in (
        (entries, names, "entry"),
        (protocols, chosen_protocols, "protocol"),
    ):
        unknown = [name for name in wanted or () if name not in known]
        if unknown:
            raise ValueError(f"no {what} {', '.join(unknown)} in the results; they have {known}")
    names = list(entries) if entries else names
    keep = set(protocols) if protocols else set(chosen_protocols)
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in names}
    for row in rows:
        if row["entry"] in grouped and row["protocol"] in keep:
            task = f"{row['protocol']}@{row['version']}"
            grouped[row["entry"]].setdefault(task, []).append(row)
    if common_tasks:
        shared = set.intersection(*(set(tasks) for tasks in grouped.values()))
        grouped = {
            n: {t: r for t, r in tasks.items() if t in shared} for n, tasks in grouped.items()
        }
    grouped = {name: tasks for name, tasks in grouped.items() if tasks}
    if not grouped:
        raise ValueError("no entry played the chosen protocols: nothing to export")
    export = Export(entries=list(grouped), tasks={}, scores={}, raw={})
    for name, tasks in grouped.items():
        per_task = {task: _runs(task_rows) for task, task_rows in tasks.items()}
        runs = min(len(normalised) for normalised, _ in per_task.values())
        cut = {task: len(n) - runs for task, (n, _) in per_task.items() if len(n) > runs}
        if cut:
            export.cut[name] = cut
        export.tasks[name] = list(per_task)
        export.scores[name] = np.array([n[:runs] for n, _ in per_task.values()], dtype=float).T
        export.raw[name] = np.array([r[:runs] for _, r in per_task.values()], dtype=float).T
    return export


def write_npz(export: Export, path: str | Path) -> Path:
    """Write ``export`` as the ``.npz`` of the module docstring; returns its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    every_task = list(dict.fromkeys(task for name in export.entries for task in export.tasks[name]))
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "entries": np.array(export.entries, dtype=str),
        "tasks": np.array(every_task, dtype=str),
    }
    for i, name in enumerate(export.entries):
        arrays[f"scores_{i}"] = export.scores[name]
        arrays[f"raw_{i}"] = export.raw[name]
        arrays[f"tasks_{i}"] = np.array(export.tasks[name], dtype=str)
    with target.open("wb") as file:
        np.savez(file, **arrays)
    return target


__all__ = ["FORMAT", "Export", "load_results", "rliable_arrays", "write_npz"]
