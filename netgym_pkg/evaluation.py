"""The one evaluation function of netgym, used by the CLI, train.py, the agents, the leaderboard
and the tests.

It lives below the agents and the leaderboard (it needs only the envs and, for a baseline given
by name, the baselines), so that both can use it; ``netgym.leaderboard.evaluate`` re-exports it.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np


@dataclass
class EvaluationResult:
    """Per-episode results of one policy on one env."""

    env_id: str
    policy: str
    seed: int
    returns: list[float]
    """sum of rewards of each episode"""
    lengths: list[int]
    """steps of each episode"""
    mean_rewards: list[float]
    """mean reward per step of each episode (ABR: the per-trace QoE score)"""
    episode_info: list[dict[str, Any]] = field(default_factory=list)
    """per-episode extras, e.g. the trace name and total rebuffering"""
    wall_s: float = 0.0

    @property
    def mean(self) -> float:
        """Mean episodic return."""
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        """Standard deviation of the episodic returns (population)."""
        return float(np.std(self.returns))

    @property
    def mean_reward(self) -> float:
        """Mean over episodes of the mean reward per step."""
        return float(np.mean(self.mean_rewards))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, including the summary statistics."""
        out = asdict(self)
        out.update(mean=self.mean, std=self.std, mean_reward=self.mean_reward)
        return out


def _policy_name(policy: Any) -> str:
    return getattr(policy, "name", type(policy).__name__)


def evaluate(
    policy: Any,
    env_id: str,
    episodes: int = 10,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    max_steps: int | None = None,
    video_dir: str | Path | None = None,
) -> EvaluationResult:
    """Run ``episodes`` episodes of ``policy`` on ``gym.make(env_id, **env_kwargs)``.

    The env is reset with ``seed`` before the first episode and without a seed afterwards, so
    an env with a sequential trace order plays traces ``0 .. episodes - 1``. ``policy`` is an
    object with ``reset(env)`` and ``act(obs, info)``, or a baseline name (see
    ``netgym.baselines.make_policy``). ``max_steps`` guards against episodes that never end.
    With ``video_dir``, the env draws ``rgb_array`` frames and every episode is written there
    as ``<policy>-seed<seed>-episode-<i>.mp4`` (``netgym.video``; needs ``netgym[video]``);
    rendering does not change the episodes.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if isinstance(policy, str):
        from netgym.baselines import make_policy

        policy = make_policy(env_id, policy, seed=seed)
    if not env_id.startswith("netgym.envs:") and env_id.startswith("netgym/"):
        import netgym.envs  # noqa: F401  (registers the ids)
    if video_dir is None:
        env = gym.make(env_id, **(env_kwargs or {}))
    else:
        from netgym.video import check_video_support, record_video

        check_video_support()
        env = gym.make(env_id, **{**(env_kwargs or {}), "render_mode": "rgb_array"})
        prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{_policy_name(policy)}-seed{seed}")
        env = record_video(env, video_dir, name_prefix=prefix)
    returns, lengths, means, extras = [], [], [], []
    started = time.perf_counter()
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=seed if episode == 0 else None)
            policy.reset(env)
            total, steps, rebuffer = 0.0, 0, 0.0
            while True:
                action = policy.act(obs, info)
                obs, reward, terminated, truncated, info = env.step(action)
                if not math.isfinite(reward):
                    raise RuntimeError(
                        f"{env_id} returned a non-finite reward {reward} at "
                        f"episode {episode}, step {steps}"
                    )
                total += float(reward)
                steps += 1
                rebuffer += float(info.get("rebuffer_s", 0.0))
                if terminated or truncated:
                    break
                if max_steps is not None and steps >= max_steps:
                    break
            returns.append(total)
            lengths.append(steps)
            means.append(total / max(steps, 1))
            extra: dict[str, Any] = {}
            if "trace" in info:
                extra["trace"] = info["trace"]
                extra["rebuffer_s"] = rebuffer
            extras.append(extra)
    finally:
        env.close()
    return EvaluationResult(
        env_id=env_id,
        policy=_policy_name(policy),
        seed=seed,
        returns=returns,
        lengths=lengths,
        mean_rewards=means,
        episode_info=extras,
        wall_s=time.perf_counter() - started,
    )


__all__ = ["EvaluationResult", "evaluate"]
