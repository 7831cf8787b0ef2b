"""The one evaluation function of netgym, used by the CLI, train.py, the agents, the leaderboard
and the tests.

It lives below the agents and the leaderboard (it needs only the envs and, for a baseline given
by name, the baselines), so that both can use it; ``netgym.leaderboard.evaluate`` re-exports it.

PettingZoo envs (``uav_offload_v0``, ``pz:module:function``) are evaluated by the same function:
the policy gets the dict of observations (and of infos) and answers a dict of actions; an
episode ends when no agent is left. Its return is the *team* return, the sum over steps of the
agents' rewards summed (PettingZoo's own ``average_total_reward`` convention: with a reward
shared by K agents it is K times the shared return), and ``agent_returns`` keeps each agent's
own return.
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
    agent_returns: dict[str, list[float]] = field(default_factory=dict)
    """PettingZoo envs: each agent's return per episode (empty for a Gymnasium env); the
    ``returns`` are then the team returns, the sums over agents"""

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

    @property
    def agent_means(self) -> dict[str, float]:
        """PettingZoo envs: each agent's mean return over episodes (empty otherwise)."""
        return {agent: float(np.mean(values)) for agent, values in self.agent_returns.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, including the summary statistics (and, for PettingZoo envs, the
        per-agent returns and their means)."""
        out = asdict(self)
        if not self.agent_returns:
            out.pop("agent_returns")
        else:
            out["agent_means"] = self.agent_means
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
    reseed: bool = False,
) -> EvaluationResult:
    """Run ``episodes`` episodes of ``policy`` on ``gym.make(env_id, **env_kwargs)``.

    The env is reset with ``seed`` before the first episode and without a seed afterwards, so
    an env with a sequential trace order plays traces ``0 .. episodes - 1``. With ``reseed``
    episode ``i`` is reset with ``seed + i`` instead: each episode is drawn from its own seed,
    so two policies meet the same episodes even in an env whose random stream after an episode
    depends on the actions taken (QuantumNetworkScheduling); a sequential trace order would
    restart at trace 0 on every episode, so it is refused there. ``policy`` is an
    object with ``reset(env)`` and ``act(obs, info)``, or a baseline name (see
    ``netgym.baselines.make_policy``). ``max_steps`` guards against episodes that never end.
    With ``video_dir``, the env draws ``rgb_array`` frames and every episode is written there
    as ``<policy>-seed<seed>-episode-<i>.mp4`` (``netgym.video``; needs ``netgym[video]``);
    rendering does not change the episodes.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    from netgym.envs.make import is_parallel_env_id

    if is_parallel_env_id(env_id):
        return evaluate_parallel(policy, env_id, episodes, seed, env_kwargs, max_steps, reseed)
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
    order = getattr(getattr(env.unwrapped, "params", None), "trace_order", None)
    if reseed and order == "sequential":
        env.close()
        raise ValueError(
            f"reseed=True on {env_id} with trace_order='sequential' would replay its first "
            f"trace in every episode (a seeded reset restarts the order); evaluate it without "
            f"reseed, which plays traces 0 .. episodes - 1"
        )
    returns, lengths, means, extras = [], [], [], []
    started = time.perf_counter()
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=_episode_seed(seed, episode, reseed))
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


def _episode_seed(seed: int, episode: int, reseed: bool) -> int | None:
    """The seed of ``episode``'s reset: ``seed + episode`` with ``reseed``, else ``seed`` for
    the first episode and None (the env's own stream) afterwards."""
    if reseed:
        return seed + episode
    return seed if episode == 0 else None


class AgentsRandomPolicy:
    """Uniformly random actions for every agent of a PettingZoo env: agent ``k``'s action space
    seeded ``seed + k``; valid actions only where the agent's info holds an ``action_mask``
    over a ``Discrete`` space."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._env: Any = None

    def reset(self, env: Any) -> None:
        """Seed each agent's action space (once, at the first episode)."""
        if self._env is not env:
            self._env = env
            for k, agent in enumerate(env.possible_agents):
                env.action_space(agent).seed(self.seed + k)

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
        """One random action per agent in ``obs``."""
        if self._env is None:
            raise RuntimeError("call reset(env) before act()")
        actions = {}
        for agent in obs:
            space = self._env.action_space(agent)
            mask = (info.get(agent) or {}).get("action_mask") if isinstance(info, dict) else None
            if isinstance(space, gym.spaces.Discrete) and mask is not None:
                actions[agent] = space.sample(mask=np.asarray(mask, dtype=np.int8))
            else:
                actions[agent] = space.sample()
        return actions


PARALLEL_POLICIES = ("random",)
"""policies given by name that ``evaluate`` plays on a PettingZoo env (the family's baselines
act on its Gymnasium env: evaluate them there, e.g. ``netgym/UavOffload-v0``)"""


def _parallel_policy(policy: Any, env_id: str, seed: int) -> Any:
    if not isinstance(policy, str):
        return policy
    if policy == "random":
        return AgentsRandomPolicy(seed)
    from netgym.envs.families import parallel_specs

    spec = parallel_specs().get(env_id.removeprefix("pz:"))
    where = f" on {spec.id}, the same problem as one Gymnasium env" if spec else ""
    raise ValueError(
        f"unknown policy {policy!r} for the PettingZoo env {env_id}; known: "
        f"{list(PARALLEL_POLICIES)} and trained agents (the family's baselines act on the "
        f"central env: evaluate them{where or ' on its Gymnasium env'})"
    )


def evaluate_parallel(
    policy: Any,
    env_id: str,
    episodes: int = 10,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    max_steps: int | None = None,
    reseed: bool = False,
) -> EvaluationResult:
    """``evaluate`` on a PettingZoo ``ParallelEnv`` (see the module docstring; ``reseed`` as
    there).

    ``policy`` answers ``act(observations, infos)`` with one action per live agent (a trained
    netgym agent does), or is ``'random'``. Each step's team reward is the sum of the agents'
    rewards; ``returns`` hold the team returns and ``agent_returns`` each agent's own.
    """
    from netgym.envs.make import make_env

    policy = _parallel_policy(policy, env_id, seed)
    env = make_env(env_id, **(env_kwargs or {}))
    returns, lengths, means = [], [], []
    per_agent: dict[str, list[float]] = {agent: [] for agent in env.possible_agents}
    started = time.perf_counter()
    try:
        for episode in range(episodes):
            obs, infos = env.reset(seed=_episode_seed(seed, episode, reseed))
            policy.reset(env)
            total, steps = 0.0, 0
            own = dict.fromkeys(env.possible_agents, 0.0)
            while env.agents:
                obs, rewards, _, _, infos = env.step(policy.act(obs, infos))
                team = float(sum(rewards.values()))
                if not math.isfinite(team):
                    raise RuntimeError(
                        f"{env_id} returned non-finite rewards {rewards} at episode "
                        f"{episode}, step {steps}"
                    )
                for agent, reward in rewards.items():
                    own[agent] = own.get(agent, 0.0) + float(reward)
                total += team
                steps += 1
                if max_steps is not None and steps >= max_steps:
                    break
            returns.append(total)
            lengths.append(steps)
            means.append(total / max(steps, 1))
            for agent, value in own.items():
                per_agent.setdefault(agent, [0.0] * episode).append(value)
    finally:
        env.close()
    return EvaluationResult(
        env_id=env_id,
        policy=_policy_name(policy),
        seed=seed,
        returns=returns,
        lengths=lengths,
        mean_rewards=means,
        episode_info=[{} for _ in returns],
        wall_s=time.perf_counter() - started,
        agent_returns=per_agent,
    )


__all__ = [
    "PARALLEL_POLICIES",
    "AgentsRandomPolicy",
    "EvaluationResult",
    "evaluate",
    "evaluate_parallel",
]
