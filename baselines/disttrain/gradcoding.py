"""Baselines of ``netgym/SeqGradCoding-v0`` (reference/disttrain.md section 6, E2
"Baselines" and "Oracle / bound").

- ``FixedArm``: one arm throughout (no coding, or any arm of the menu).
- ``BestInHindsight``: the best fixed arm of one scheme (or of all) on the episode's realised
  delays, the paper's own method (its grid search keeps the best combination per scheme); an
  oracle: it reads the future through ``delay_profile()``.
- ``ModelBased``: an online, causal rule: it fits a two-state straggler chain (p, q) to the
  late workers seen so far, samples a few futures from it, and picks the arm with the lowest
  predicted time of the next epoch, a switch's drain included.
- ``Ucb``: UCB1 over the arms, reward = minus the epoch's mean round time (its statistics
  persist across episodes).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from netgym.envs.disttrain.gradcoding.rounds import RoundState, evaluate_arms, play_round
from netgym.envs.disttrain.gradcoding.stragglers import StragglerModel, draw_delays


def _unwrap(env: Any) -> Any:
    return getattr(env, "unwrapped", env)


class FixedArm:
    """Always the same arm."""

    def __init__(self, arm: int = 0, name: str = "fixed") -> None:
        self.arm, self.name = arm, name

    def reset(self, env: Any) -> None:
        """Check that the arm is on the env's menu."""
        n_arms = len(_unwrap(env).arms)
        if not 0 <= self.arm < n_arms:
            raise ValueError(f"arm {self.arm} is outside the menu of {n_arms} arms")

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        """The fixed arm."""
        return self.arm


class BestInHindsight:
    """The best fixed arm of scheme ``kind`` (None: any) on the episode's delays."""

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind
        self.name = f"best-{kind or 'fixed'}"
        self.arm = 0

    def reset(self, env: Any) -> None:
        """Evaluate every candidate arm on the realised delays and keep the fastest."""
        env = _unwrap(env)
        table = env.arms
        arms = np.arange(len(table)) if self.kind is None else table.of_kind(self.kind)
        totals = evaluate_arms(env.delay_profile(), arms, table, env.rule, env.params.jobs)
        self.arm = int(arms[int(np.argmin(totals))])

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        """The chosen arm."""
        return self.arm


class ModelBased:
    """Fit (p, q), simulate every arm over the next epoch on sampled futures, take the best.

    Each arm's simulation starts ``warmup`` rounds early (not counted), so that a long window
    is not judged on the rounds where its empty history lets everything conform.

    The fit pools the transitions of every worker's late / on-time sequence over the last
    ``memory`` rounds, with a weak prior (``prior_p``, ``prior_q``, ``prior_weight``
    pseudo-transitions). The delays of the sampled futures use the env's own constants
    (``base_s``, ``slowdown``, ``jitter_sigma``): the structure of the process is known, its
    rates are not.
    """

    name = "adaptive"

    def __init__(
        self,
        seed: int = 0,
        samples: int = 3,
        memory: int = 40,
        warmup: int = 10,
        prior_p: float = 0.03,
        prior_q: float = 0.5,
        prior_weight: float = 20.0,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.samples, self.memory, self.warmup = samples, memory, warmup
        self.prior = (prior_p, prior_q, prior_weight)
        self.env: Any = None

    def reset(self, env: Any) -> None:
        """Bind to ``env``."""
        self.env = _unwrap(env)

    def fit(self, late: np.ndarray) -> tuple[float, float]:
        """(p, q) of the late masks ``late`` (rounds, n) with the prior."""
        p0, q0, weight = self.prior
        late = late[-self.memory :]
        if len(late) < 2:
            return p0, q0
        before, after = late[:-1], late[1:]
        enter = float((~before & after).sum())
        stay_good = float((~before & ~after).sum())
        leave = float((before & ~after).sum())
        stay_bad = float((before & after).sum())
        p = (enter + weight * p0) / (enter + stay_good + weight)
        q = (leave + weight * q0) / (leave + stay_bad + weight * 1.0)
        return p, q

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        """The arm with the lowest predicted time of the next epoch."""
        env = self.env
        params, table = env.params, env.arms
        p, q = self.fit(env.late_history())
        model = StragglerModel(
            p_enter=p,
            q_leave=q,
            slowdown=params.slowdown,
            jitter_sigma=params.jitter_sigma,
            base_s=params.base_s,
        )
        current = int(info.get("arm", -1))
        jobs = min(params.epoch_jobs, params.jobs - int(info.get("jobs_started", 0)))
        last = int(info.get("jobs_started", 0)) + jobs >= params.jobs
        horizon = self.warmup + jobs + int(table.delay.max())
        n_arms = len(table)
        arms = np.tile(np.arange(n_arms), self.samples)
        rows = len(arms)
        n = params.n_workers
        d0 = np.stack(
            [draw_delays(model, n, horizon, self.rng).d0 for _ in range(self.samples)]
        )  # (samples, n, horizon)
        state = RoundState.empty(rows, n)
        rounds = self.warmup + jobs + np.where(last, table.delay[arms], 0)
        total = np.zeros(rows)
        for t in range(int(rounds.max())):
            delays = np.repeat(d0[:, :, t], n_arms, axis=0)
            result = play_round(delays, arms, table, env.rule, state)
            if t >= self.warmup:
                total += np.where(t < rounds, result.duration, 0.0)
        predicted = total.reshape(self.samples, n_arms).mean(axis=0)
        if current >= 0:  # switching first drains the current scheme's in-flight jobs
            round_time = predicted[current] / max(jobs, 1)
            drain = table.delay[current] * round_time
            predicted = predicted + np.where(np.arange(n_arms) != current, drain, 0.0)
        return int(np.argmin(predicted))


class Ucb:
    """UCB1 over the arms; the reward of a pull is minus the epoch's mean round time over the
    env's reward scale. Statistics persist across episodes of the same menu."""

    name = "ucb"

    def __init__(self, exploration: float = 2.0) -> None:
        self.exploration = exploration
        self.counts: np.ndarray | None = None
        self.values: np.ndarray | None = None
        self.last: int | None = None

    def reset(self, env: Any) -> None:
        """Bind to ``env`` (the statistics start once per menu size)."""
        self.env = _unwrap(env)
        n_arms = len(self.env.arms)
        if self.counts is None or len(self.counts) != n_arms:
            self.counts = np.zeros(n_arms)
            self.values = np.zeros(n_arms)
        self.last = None

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        """Update the last pulled arm with the epoch just played, then pick the next arm."""
        assert self.counts is not None and self.values is not None
        rounds = int(info.get("rounds", 0))
        if self.last is not None and info.get("epoch_time", 0.0) > 0:
            played = max(rounds - self._rounds_before, 1)
            reward = -info["epoch_time"] / played / self.env.reward_scale
            arm = self.last
            self.counts[arm] += 1
            self.values[arm] += (reward - self.values[arm]) / self.counts[arm]
        untried = np.flatnonzero(self.counts == 0)
        if len(untried):
            choice = int(untried[0])
        else:
            total = self.counts.sum()
            bonus = np.sqrt(self.exploration * math.log(total) / self.counts)
            choice = int(np.argmax(self.values + bonus))
        self.last = choice
        self._rounds_before = rounds
        return choice


__all__ = ["BestInHindsight", "FixedArm", "ModelBased", "Ucb"]
