"""Shared helpers of the tests/test_cjs_*.py files: the TPC-H data fixture, rollouts and the
simulator's invariants."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from conftest import require_datasets
from netgym.baselines import make_policy

ENV_ID = "netgym/SparkScheduling-v0"


@pytest.fixture(scope="session")
def tpch_folder() -> Path:
    """The data root's ``cjs/tpch`` (skips on a fresh clone with the fetch command, fails under
    CI when missing)."""
    return require_datasets("cjs/tpch") / "cjs" / "tpch"


def make(**kwargs: Any) -> Any:
    """The unwrapped env."""
    return gym.make(ENV_ID, **kwargs).unwrapped


def rollout(env: Any, policy: Any, seed: int, check: bool = False) -> dict[str, Any]:
    """One episode of ``policy``: return, steps, last info, per-step rewards and infos;
    with ``check``, the sim's invariants are asserted after every step."""
    obs, info = env.reset(seed=seed)
    policy.reset(env)
    rewards, infos = [], [info]
    while True:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        rewards.append(reward)
        infos.append(info)
        if check:
            check_invariants(env.sim)
        if terminated or truncated:
            break
    return {
        "return": float(np.sum(rewards)),
        "steps": len(rewards),
        "info": info,
        "rewards": rewards,
        "infos": infos,
        "terminated": terminated,
    }


def baseline_rollout(env: Any, name: str, seed: int, **kwargs: Any) -> dict[str, Any]:
    """``rollout`` of the baseline ``name`` (policy seed = ``seed``)."""
    return rollout(env, make_policy(ENV_ID, name, seed=seed), seed, **kwargs)


def check_invariants(sim: Any) -> None:
    """Executors are each in exactly one place and run at most one task; the pools' counts
    agree with their members."""
    pools = sim.pools
    n = sim.n_executors
    events = Counter(executor for _, _, executor in sim.heap)
    assert all(count == 1 for count in events.values()), "an executor has two pending events"
    placed = Counter(e for members in pools.members for e in members)
    assert all(count == 1 for count in placed.values()), "an executor sits in two pools"
    moving = [e for e in range(n) if pools.location[e] == -1]
    assert len(placed) + len(moving) == n
    for e in range(n):
        location = pools.location[e]
        assert location == -1 or e in pools.members[location]
    tasks = {executor: code for _, code, executor in sim.heap if code >= 0}
    arrivals = {executor: -1 - code for _, code, executor in sim.heap if code < 0}
    assert set(arrivals) == set(moving), "a moving executor without its arrival event"
    for e in range(n):
        assert sim.executing[e] == (e in tasks), "executing flag and task events disagree"
        if e in tasks:
            assert pools.location[e] == tasks[e], "a running executor outside its stage pool"
    for stage, running in enumerate(sim.running):
        assert running == sum(1 for code in tasks.values() if code == stage)
        assert 0 <= sim.remaining[stage] <= sim.n_tasks[stage]
    assert sum(pools.moving_to) == len(moving)
