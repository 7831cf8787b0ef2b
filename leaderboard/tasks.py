"""A leaderboard task: one entry on one evaluation seed block of one protocol, and how to run it.

A ``Task`` is plain data, so that a worker process (the local backend with ``workers > 1``) or a
Ray task (``netgym.leaderboard.ray_backend``) can run it with ``run_task``: both backends call
this one function, so their results are identical. Every task is deterministic given its seed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from netgym.evaluation import evaluate

from .entries import Entry
from .inprocess import episode_scores
from .protocols import Protocol, get_protocol


@dataclass(frozen=True)
class Task:
    """One entry on one evaluation seed of one protocol (plain data)."""

    entry: Entry
    protocol: str
    """protocol name as ``get_protocol`` resolves it (e.g. 'abr-synthetic-quick')"""
    version: str
    """the protocol version the task was planned with (checked by the worker)"""
    episodes: int
    """episodes of this seed block"""
    seed: int
    """evaluation seed of the block"""
    data_dir: str | None = None

    @property
    def key(self) -> str:
        """Cache key: entry identity, protocol version (which covers the env's behaviour, so a
        cache never serves results of other dynamics), episodes and seed."""
        text = f"{self.entry.key}|{self.protocol}@{self.version}|{self.episodes}|{self.seed}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def resolve(task: Task) -> Protocol:
    """The task's protocol, checked to have the version it was planned with."""
    protocol = get_protocol(task.protocol).with_episodes(task.episodes)
    if protocol.version != task.version:
        raise RuntimeError(
            f"protocol {task.protocol} has version {protocol.version} in this process, but the "
            f"task was planned with {task.version}: the workers run another netgym"
        )
    return protocol


class TaskError(ValueError):
    """A task failed; the message names the entry, the protocol and the seed."""


def run_task(task: Task) -> dict[str, Any]:
    """Evaluate one task; the result is JSON data (per-episode scores, returns, lengths).

    Raises:
        TaskError: the policy or the env failed (the message says which task and why).
    """
    protocol = resolve(task)
    started = time.perf_counter()
    try:
        policy = task.entry.build_policy(protocol.env_id, task.seed)
        env_kwargs = task.entry.env_kwargs_on(protocol, task.data_dir)
        result = evaluate(policy, protocol.env_id, task.episodes, task.seed, env_kwargs)
    except Exception as err:
        hint = ""
        if task.entry.kind == "class" and task.entry.env_id is None:
            hint = (
                "; a policy class without an env_id attribute plays every protocol: "
                "choose its protocols with --protocols"
            )
        raise TaskError(
            f"entry {task.entry.name!r} ({task.entry.target}) failed on protocol "
            f"{task.protocol} seed {task.seed}: {type(err).__name__}: {err}{hint}"
        ) from err
    close = getattr(policy, "close", None)
    if callable(close):
        close()
    return {
        "scores": episode_scores(result, protocol.metric),
        "returns": list(result.returns),
        "lengths": list(result.lengths),
        "wall_s": time.perf_counter() - started,
    }


__all__ = ["Task", "TaskError", "resolve", "run_task"]
