"""Baselines of ``netgym/QuantumNetworkScheduling-v0``: idle, masked random, online EDF and the
offline periodic-task schedule (PTS) of the QoS paper, all through the env's action masks.

Every policy follows netgym's protocol: ``reset(env)`` before an episode, then
``act(obs, info) -> action``. They read the env through its public attributes
(``action_masks()``, ``protocols``, ``pending_deadlines()``, ``periods_slots``, ``slot``,
``params``, ``encode_action``), so they honour exactly the resources the env enforces.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _env(env: Any) -> Any:
    return env.unwrapped


def _fastest_valid(env: Any, mask: np.ndarray, demand: int, protocols: list[Any]) -> int | None:
    """The valid action of ``demand`` with the shortest expected execution (None if none);
    ``protocols`` is ``env.protocols`` (a new list at every read: read it once per step)."""
    p = env.params
    first = env.encode_action(demand, 0, 0)
    actions = np.arange(first, first + p.n_paths * p.n_depths)
    valid = actions[mask[actions]]
    if len(valid) == 0:
        return None
    return int(min(valid, key=lambda a: (protocols[a - 1].expected_slots, a)))


class Idle:
    """Never starts anything (a lower bound: every job is missed)."""

    name = "idle"

    def reset(self, env: Any) -> None:
        """Nothing to prepare."""

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        """Always 0."""
        return 0


class RandomMasked:
    """A uniformly random valid action (idle included) from its own seeded generator."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self._env: Any = None

    def reset(self, env: Any) -> None:
        """Remember the env (its masks are read at every step)."""
        self._env = _env(env)

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        """A random action among ``action_masks()``."""
        return int(self.rng.choice(np.flatnonzero(self._env.action_masks())))


class EarliestDeadlineFirst:
    """Online non-preemptive EDF over the demand queue.

    Each slot, the demands with a pending job and nothing in service are ordered by the
    deadline of their oldest job; the first one with a valid action is started on the protocol
    with the shortest expected execution. Idle when no demand can start.
    """

    name = "edf"

    def __init__(self) -> None:
        self._env: Any = None

    def reset(self, env: Any) -> None:
        """Remember the env."""
        self._env = _env(env)

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        """The earliest-deadline demand that can start, or 0."""
        env = self._env
        mask = env.action_masks()
        deadlines = env.pending_deadlines()
        order = sorted((queue[0], d) for d, queue in enumerate(deadlines) if queue)
        protocols = env.protocols if order else []
        for _, demand in order:
            action = _fastest_valid(env, mask, demand, protocols)
            if action is not None:
                return action
        return 0


class PeriodicTaskSchedule:
    """The QoS paper's periodic task scheduling, planned offline from expected durations.

    At reset every demand gets one protocol, the feasible (path, depth) with the shortest
    expected execution, and a duration c = ceil(expected slots). Demands are admitted one at
    a time, as in the paper's ``schedule_taskset``: a demand is kept only if a non-preemptive
    EDF timetable of the admitted demands' periodic jobs (releases 0, p, 2p, ... over the
    episode), in which a job holds the storage qubits of its path for c slots, starts every job
    early enough to end by its deadline. At run time the timetable is followed: the entry with
    the earliest planned start that has come is started as soon as its action is valid (a
    late execution shifts it), entries whose job deadline has passed are dropped. A job whose
    execution delivered a pair below F_min stays pending; when no entry is due, such jobs of
    admitted demands are retried, earliest deadline first, with their planned protocol.
    Non-admitted demands are never served (the paper's unsatisfied demands).
    """

    name = "pts"

    def __init__(self) -> None:
        self._env: Any = None
        self.plan: list[tuple[int, int, int, int]] = []
        """planned (start slot, deadline slot, demand, action), in start order"""
        self.admitted: list[int] = []
        """demands admitted to the schedule"""
        self._action_of: dict[int, int] = {}

    def reset(self, env: Any) -> None:
        """Plan the timetable of the episode."""
        self._env = env = _env(env)
        p = env.params
        protocols = env.protocols
        protocol_of: dict[int, tuple[int, int, np.ndarray]] = {}
        for demand in range(p.n_demands):
            actions = [
                env.encode_action(demand, k, j) for k in range(p.n_paths) for j in range(p.n_depths)
            ]
            feasible = [a for a in actions if protocols[a - 1].feasible]
            if not feasible:
                continue
            best = min(feasible, key=lambda a: (protocols[a - 1].expected_slots, a))
            proto = protocols[best - 1]
            need = np.zeros(env.topology.n_nodes, dtype=np.int64)
            need[list(proto.path)] = 2
            need[[proto.path[0], proto.path[-1]]] = 1
            if (need > env.topology.storage_qubits).any():
                continue  # can never run on this network
            protocol_of[demand] = (best, math.ceil(proto.expected_slots), need)
        self.admitted, self.plan = [], []
        for demand in range(p.n_demands):
            if demand not in protocol_of:
                continue
            plan = self._timetable(env, [*self.admitted, demand], protocol_of)
            if plan is not None:
                self.admitted.append(demand)
                self.plan = plan
        self._action_of = {d: protocol_of[d][0] for d in self.admitted}

    @staticmethod
    def _timetable(
        env: Any, demands: list[int], protocol_of: dict[int, tuple[int, int, np.ndarray]]
    ) -> list[tuple[int, int, int, int]] | None:
        """NP-EDF timetable of the demands' periodic jobs, or None if a deadline is missed."""
        horizon = env.params.horizon_slots
        periods = env.periods_slots
        capacity = env.topology.storage_qubits
        jobs = sorted(
            (release + periods[d], release, d)
            for d in demands
            for release in range(0, horizon, int(periods[d]))
        )
        running: list[tuple[int, np.ndarray]] = []  # (end slot, storage held)
        plan: list[tuple[int, int, int, int]] = []
        waiting = list(jobs)
        t = 0
        while waiting and t <= horizon + int(periods.max()):
            running = [(end, need) for end, need in running if end > t]
            used = sum((need for _, need in running), np.zeros_like(capacity))
            started = None
            for index, (_deadline, release, d) in enumerate(waiting):
                if release > t:
                    continue
                action, duration, need = protocol_of[d]
                if (used + need <= capacity).all():
                    started = index
                    break
            if started is None:
                future = [r for _, r, _ in waiting if r > t] + [end for end, _ in running]
                if not future:
                    return None  # a released job that fits nowhere
                t = min(future)
                continue
            deadline, release, d = waiting.pop(started)
            action, duration, need = protocol_of[d]
            if t + duration > deadline:
                if deadline <= horizon:
                    return None
                continue  # the job's deadline lies past the episode: no need to plan it
            running.append((t + duration, need))
            plan.append((t, deadline, d, action))
        return plan

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int:
        """The first planned entry that is due and valid now, else 0."""
        env = self._env
        now = env.slot
        self.plan = [entry for entry in self.plan if entry[1] > now]
        mask = env.action_masks()
        for index, (start, _, _, action) in enumerate(self.plan):
            if start > now:
                break
            if mask[action]:
                del self.plan[index]
                return int(action)
        # A pair below F_min leaves its job pending: retry it (earliest deadline first) with
        # the demand's planned protocol while its deadline has not passed.
        deadlines = env.pending_deadlines()
        retry = sorted((deadlines[d][0], d) for d in self.admitted if deadlines[d])
        for _, demand in retry:
            action = self._action_of[demand]
            if mask[action]:
                return int(action)
        return 0


POLICIES = {
    "idle": lambda seed: Idle(),
    "random": RandomMasked,
    "edf": lambda seed: EarliestDeadlineFirst(),
    "pts": lambda seed: PeriodicTaskSchedule(),
}
"""the baselines by name (the same names as ``netgym.baselines.BASELINES``)"""
METRICS = ("satisfied_fraction", "throughput_ebit_s", "wcrt_s", "jitter_s2", "return")


def baseline_table(
    episodes: int = 20, seed: int = 0, env_kwargs: dict[str, Any] | None = None
) -> dict[str, dict[str, list[float]]]:
    """Final QoS metrics of every baseline, as [mean, standard error] over ``episodes``.

    Episode ``i`` of every policy is reset with seed ``seed + i`` (the same demands and job
    releases for every policy); the random policy is seeded ``seed + i`` too.
    """
    from ...envs.quantum.scheduling.env import QuantumNetworkSchedulingEnv

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    table: dict[str, dict[str, list[float]]] = {}
    for name, factory in POLICIES.items():
        rows = []
        for episode in range(episodes):
            env = QuantumNetworkSchedulingEnv(**(env_kwargs or {}))
            policy = factory(seed + episode)
            obs, info = env.reset(seed=seed + episode)
            policy.reset(env)
            total, done = 0.0, False
            while not done:
                obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
                total += reward
                done = terminated or truncated
            rows.append([*(info[key] for key in METRICS[:-1]), total])
        values = np.asarray(rows, dtype=float)
        sem = values.std(axis=0, ddof=1) / np.sqrt(episodes) if episodes > 1 else 0 * values[0]
        table[name] = {
            key: [float(values[:, i].mean()), float(sem[i])] for i, key in enumerate(METRICS)
        }
    return table


__all__ = [
    "METRICS",
    "POLICIES",
    "EarliestDeadlineFirst",
    "Idle",
    "PeriodicTaskSchedule",
    "RandomMasked",
    "baseline_table",
]
