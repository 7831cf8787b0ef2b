"""The in-process API: evaluate policy objects under a protocol in this process.

``run_protocol(protocol, [agent, "bba"])`` is the simple entry point for scripts and
benchmarks (policy objects allowed, no workers, no cache, no anchors); whole leaderboards go
through ``netgym.leaderboard.board.run_leaderboard``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from netgym.evaluation import EvaluationResult, evaluate

from .protocols import Protocol, get_protocol


@dataclass
class LeaderboardRow:
    """The score of one policy under one protocol, with the evaluation it came from."""

    protocol: str
    """protocol name"""
    version: str
    """protocol version (content hash)"""
    policy: str
    """policy name (the baseline registry name, or the policy's ``name`` attribute)"""
    metric: str
    """name of the score, e.g. 'mean_reward'"""
    result: EvaluationResult
    """the per-episode results, every evaluation seed in order"""

    @property
    def per_episode_scores(self) -> list[float]:
        """The score of each episode (for ``mean_reward``: mean reward per step)."""
        return episode_scores(self.result, self.metric)

    @property
    def score(self) -> float:
        """The protocol's metric, averaged over episodes."""
        return float(np.mean(self.per_episode_scores))

    @property
    def score_std(self) -> float:
        """Standard deviation of the per-episode scores (population)."""
        return float(np.std(self.per_episode_scores))

    @property
    def mean_return(self) -> float:
        """Mean episodic return."""
        return self.result.mean

    @property
    def episodes(self) -> int:
        """Episodes evaluated."""
        return len(self.result.returns)

    @property
    def wall_s(self) -> float:
        """Wall time of the evaluation."""
        return self.result.wall_s

    def to_dict(self, per_episode: bool = True) -> dict[str, Any]:
        """JSON-ready summary; ``per_episode`` adds the per-episode scores."""
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "version": self.version,
            "policy": self.policy,
            "metric": self.metric,
            "score": self.score,
            "score_std": self.score_std,
            "mean_return": self.mean_return,
            "episodes": self.episodes,
            "seed": self.result.seed,
            "wall_s": self.wall_s,
        }
        if per_episode:
            out["per_episode_scores"] = self.per_episode_scores
        return out


def episode_scores(result: EvaluationResult, metric: str) -> list[float]:
    """The per-episode values of ``metric`` ('mean_reward': mean reward per step; 'mean':
    the return)."""
    if metric == "mean_reward":
        return list(result.mean_rewards)
    if metric == "mean":
        return list(result.returns)
    raise ValueError(f"metric {metric!r} has no per-episode values")


def evaluate_seeds(
    policy: Any,
    protocol: Protocol,
    env_kwargs: dict[str, Any],
    seeds: Iterable[int] | None = None,
    video_dir: str | Path | None = None,
) -> EvaluationResult:
    """Evaluate ``policy`` on ``protocol.episodes`` episodes from each evaluation seed.

    The per-seed results are concatenated in seed order (``seed`` of the result: the first).
    With ``video_dir``, every episode is recorded there (``netgym.evaluation.evaluate``).
    """
    seeds = list(protocol.eval_seeds if seeds is None else seeds)
    parts = [
        evaluate(policy, protocol.env_id, protocol.episodes, s, env_kwargs, video_dir=video_dir)
        for s in seeds
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged.returns += part.returns
        merged.lengths += part.lengths
        merged.mean_rewards += part.mean_rewards
        merged.episode_info += part.episode_info
        merged.wall_s += part.wall_s
    return merged


def _resolve_policies(
    protocol: Protocol, policies: Iterable[str | Any] | Mapping[str, Any] | None
) -> list[tuple[str, Any]]:
    """(name, policy object) pairs; every baseline of the env when ``policies`` is None."""
    from netgym.baselines import BASELINES, make_policy

    if policies is None:
        names: Iterable[Any] = BASELINES.get(protocol.env_id, {})
        if not names:
            raise ValueError(f"no baselines for env {protocol.env_id!r} of {protocol.name!r}")
        policies = list(names)
    if isinstance(policies, Mapping):
        return [(str(name), policy) for name, policy in policies.items()]
    resolved = []
    for policy in policies:
        if isinstance(policy, str):
            seed = protocol.eval_seeds[0]
            resolved.append((policy, make_policy(protocol.env_id, policy, seed=seed)))
        else:
            resolved.append((getattr(policy, "name", type(policy).__name__), policy))
    if not resolved:
        raise ValueError(f"no policies to evaluate under protocol {protocol.name!r}")
    return resolved


def run_protocol(
    protocol: Protocol | str,
    policies: Iterable[str | Any] | Mapping[str, Any] | None = None,
    data_dir: str | Path | None = None,
    episodes: int | None = None,
    entry_kwargs: Mapping[str, Any] | None = None,
) -> list[LeaderboardRow]:
    """Evaluate each policy under ``protocol`` in this process; one row per policy, in order.

    The simple in-process API (policy objects allowed); ``netgym.leaderboard.runner`` runs
    whole leaderboards with workers, caching and reports. Every input is checked before the
    first evaluation starts, so a typo fails at once.

    Args:
        protocol: a ``Protocol`` or the name of a registered one.
        policies: baseline names and/or policy objects (``reset(env)``, ``act(obs, info)``),
            or a mapping name -> policy; None evaluates every baseline of the protocol's env.
        data_dir: the data folder, for protocols with ``needs_data``.
        episodes: fewer episodes per seed for a quick run (a new protocol version).
        entry_kwargs: the env kwargs the policy objects trained with (e.g. an agent's
            ``context.env_kwargs``): they play the protocol's env with those of them the
            protocol keeps for an entry (``Protocol.entry_kwargs``, e.g. the UAV ``obs_mode``),
            as a run entry of a leaderboard does; baseline names play the protocol's own.

    Raises:
        ValueError: unknown protocol or policy, or episodes out of range.
        FileNotFoundError: the protocol's data folder is missing.
    """
    if isinstance(protocol, str):
        protocol = get_protocol(protocol)
    protocol = protocol.with_episodes(episodes)
    env_kwargs = protocol.env_kwargs(data_dir)
    own_kwargs = protocol.entry_env_kwargs(data_dir, dict(entry_kwargs or {}))
    if policies is not None and not isinstance(policies, Mapping):
        policies = list(policies)
    baselines = (
        None if policies is None else {p for p in policies if isinstance(p, str)}
    )  # None: every policy is a baseline of the env
    rows = []
    for name, policy in _resolve_policies(protocol, policies):
        started = time.perf_counter()
        kwargs = env_kwargs if baselines is None or name in baselines else own_kwargs
        result = evaluate_seeds(policy, protocol, kwargs)
        result.wall_s = time.perf_counter() - started
        rows.append(LeaderboardRow(protocol.name, protocol.version, name, protocol.metric, result))
    return rows


__all__ = ["LeaderboardRow", "episode_scores", "evaluate_seeds", "run_protocol"]
