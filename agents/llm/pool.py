"""Experience pools: episodes of (observation, action, reward, done) from existing policies.

A pool is what NetLLM's DD-LRNA trains on: episodes rolled out by baselines, trained agents or
mixtures of them, stored step by step with flattened observations (``gymnasium.spaces.flatten``)
so that one layout serves every observation space. A pool file is an ``.npz`` archive of plain
arrays (``observations``, ``actions``, ``rewards``, ``dones``, ``policies``, ``env_id``,
``env_kwargs``, ``format``), read without pickle; ``ExperiencePool.load`` refuses a malformed
file naming the file and the problem. ``collect`` rolls policies out on a registered env. The
format is in ``docs/llm.md`` ("1. Experience pools").
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

POOL_FORMAT = 1
"""version of the pool file layout"""

_KEYS = (
    "observations",
    "actions",
    "rewards",
    "dones",
    "policies",
    "env_id",
    "env_kwargs",
    "format",
)


@dataclass
class ExperiencePool:
    """Episodes of one env, step by step (see the module docstring for the arrays)."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    policies: np.ndarray
    env_id: str
    env_kwargs: dict[str, Any]

    def __post_init__(self) -> None:
        self.validate("pool")

    # ------------------------------------------------------------------------------ checks
    def validate(self, where: str) -> None:
        """Raise ``ValueError`` (starting with ``where``) unless the arrays form a valid pool."""
        obs, actions, rewards, dones = self.observations, self.actions, self.rewards, self.dones
        if obs.ndim != 2 or obs.dtype != np.float32:
            raise ValueError(
                f"{where}: observations must be a 2-D float32 array, got "
                f"{obs.dtype} with shape {obs.shape}"
            )
        n = obs.shape[0]
        if n == 0:
            raise ValueError(f"{where}: the pool holds no step")
        for name, array in (("actions", actions), ("rewards", rewards), ("dones", dones)):
            if array.shape[:1] != (n,):
                raise ValueError(f"{where}: {name} has {array.shape[:1]} rows, observations {n}")
        if actions.ndim not in (1, 2) or actions.dtype.kind not in "if":
            raise ValueError(
                f"{where}: actions must be a 1-D or 2-D numeric array, got "
                f"{actions.dtype} with shape {actions.shape}"
            )
        if rewards.ndim != 1 or rewards.dtype.kind != "f":
            raise ValueError(f"{where}: rewards must be a 1-D float array")
        if dones.ndim != 1 or dones.dtype != np.bool_:
            raise ValueError(f"{where}: dones must be a 1-D bool array")
        for name, array in (("observations", obs), ("actions", actions), ("rewards", rewards)):
            if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
                raise ValueError(f"{where}: {name} holds NaN or infinite values")
        if not dones[-1]:
            raise ValueError(f"{where}: the last step does not end an episode (dones[-1] is False)")
        if self.policies.ndim != 1 or self.policies.shape[0] != int(dones.sum()):
            raise ValueError(
                f"{where}: policies names {self.policies.shape} episodes, dones "
                f"ends {int(dones.sum())}"
            )
        if not isinstance(self.env_id, str) or not self.env_id:
            raise ValueError(f"{where}: env_id must be a non-empty string")

    # ------------------------------------------------------------------------------ views
    @property
    def num_steps(self) -> int:
        """Steps (transitions) in the pool."""
        return int(self.observations.shape[0])

    @property
    def num_episodes(self) -> int:
        """Episodes in the pool."""
        return int(self.dones.sum())

    def episode_bounds(self) -> list[tuple[int, int]]:
        """``(start, stop)`` row ranges of each episode, in order."""
        ends = np.flatnonzero(self.dones) + 1
        starts = np.concatenate([[0], ends[:-1]])
        return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]

    def episode_returns(self) -> np.ndarray:
        """Undiscounted return of each episode."""
        return np.array([self.rewards[a:b].sum() for a, b in self.episode_bounds()])

    def select(self, episodes: Sequence[int]) -> ExperiencePool:
        """A pool of the given episodes (indices into ``episode_bounds``), in that order."""
        bounds = self.episode_bounds()
        rows = np.concatenate([np.arange(*bounds[i]) for i in episodes])
        return ExperiencePool(
            observations=self.observations[rows],
            actions=self.actions[rows],
            rewards=self.rewards[rows],
            dones=self.dones[rows],
            policies=self.policies[list(episodes)],
            env_id=self.env_id,
            env_kwargs=dict(self.env_kwargs),
        )

    def stats(self) -> dict[str, Any]:
        """Pool statistics: sizes, returns and rewards overall and per policy (JSON-ready)."""
        returns = self.episode_returns()
        bounds = self.episode_bounds()
        per_policy = {}
        for name in dict.fromkeys(self.policies.tolist()):
            mask = self.policies == name
            steps = sum(b - a for (a, b), m in zip(bounds, mask, strict=True) if m)
            per_policy[name] = {
                "episodes": int(mask.sum()),
                "mean_return": float(returns[mask].mean()),
                "mean_reward": float(returns[mask].sum() / max(steps, 1)),
            }
        lengths = np.array([b - a for a, b in bounds])
        return {
            "env_id": self.env_id,
            "steps": self.num_steps,
            "episodes": self.num_episodes,
            "obs_dim": int(self.observations.shape[1]),
            "episode_length": {
                "min": int(lengths.min()),
                "mean": float(lengths.mean()),
                "max": int(lengths.max()),
            },
            "mean_return": float(returns.mean()),
            "std_return": float(returns.std()),
            "reward": {
                "min": float(self.rewards.min()),
                "mean": float(self.rewards.mean()),
                "max": float(self.rewards.max()),
            },
            "policies": per_policy,
        }

    # ------------------------------------------------------------------------------ files
    def save(self, path: str | Path) -> Path:
        """Write the pool to ``path`` (an ``.npz`` archive; ``.npz`` is appended if missing)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            observations=self.observations,
            actions=self.actions,
            rewards=self.rewards,
            dones=self.dones,
            policies=self.policies.astype(str),
            env_id=np.array(self.env_id),
            env_kwargs=np.array(json.dumps(self.env_kwargs, sort_keys=True)),
            format=np.array(POOL_FORMAT, dtype=np.int64),
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> ExperiencePool:
        """Read a pool written by ``save``.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not an npz archive, lacks arrays, holds objects (pickle),
                has another format version or inconsistent arrays.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"experience pool {path} does not exist")
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ValueError(f"experience pool {path} is not an npz archive: {err}") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(f"experience pool {path} is a single .npy array, not an npz archive")
        with archive:
            missing = [key for key in _KEYS if key not in archive.files]
            if missing:
                raise ValueError(f"experience pool {path} lacks the arrays {missing}")
            try:
                data = {key: archive[key] for key in _KEYS}
            except ValueError as err:  # object arrays need pickle, which is refused
                raise ValueError(f"experience pool {path} holds unreadable arrays: {err}") from None
        if data["format"].shape != () or int(data["format"]) != POOL_FORMAT:
            raise ValueError(
                f"experience pool {path} has format {data['format']!r}, "
                f"this netgym reads format {POOL_FORMAT}"
            )
        for key in ("env_id", "env_kwargs"):
            if data[key].shape != () or data[key].dtype.kind != "U":
                raise ValueError(f"experience pool {path}: {key} must be a string")
        try:
            env_kwargs = json.loads(str(data["env_kwargs"]))
        except json.JSONDecodeError as err:
            raise ValueError(f"experience pool {path}: env_kwargs is not JSON: {err}") from None
        if data["policies"].dtype.kind != "U":
            raise ValueError(f"experience pool {path}: policies must be strings")
        pool = cls.__new__(cls)
        pool.observations = data["observations"]
        pool.actions = data["actions"]
        pool.rewards = data["rewards"]
        pool.dones = data["dones"]
        pool.policies = data["policies"]
        pool.env_id = str(data["env_id"])
        pool.env_kwargs = env_kwargs
        pool.validate(f"experience pool {path}")
        return pool


# ---------------------------------------------------------------------------------- actions
def action_array(action_space: gym.Space, actions: list[Any]) -> np.ndarray:
    """Stack per-step actions into the pool's action array for ``action_space``."""
    if isinstance(action_space, spaces.Discrete):
        return np.asarray(actions, dtype=np.int64).reshape(len(actions))
    if isinstance(action_space, spaces.MultiDiscrete):
        return np.asarray(actions, dtype=np.int64).reshape(len(actions), -1)
    if isinstance(action_space, spaces.Box):
        return np.asarray(actions, dtype=np.float32).reshape(len(actions), -1)
    raise ValueError(unsupported_pool_action(action_space))


def unsupported_pool_action(action_space: gym.Space) -> str:
    """Why a pool cannot hold ``action_space``'s actions, with the flat variant to use."""
    return (
        f"experience pools support Discrete, MultiDiscrete and Box actions, got {action_space}; "
        "use the env's flat action if it has one (netgym/SparkScheduling-v0: env kwargs "
        '{"action_format": "flat"}, --env-kwargs on the command line)'
    )


def check_pool_fits(
    pool: ExperiencePool, observation_space: gym.Space, action_space: gym.Space, where: str
) -> None:
    """Raise ``ValueError`` unless ``pool`` was collected on these spaces' shapes."""
    obs_dim = int(spaces.flatdim(observation_space))
    if pool.observations.shape[1] != obs_dim:
        raise ValueError(
            f"{where}: pool observations have {pool.observations.shape[1]} values, "
            f"the env's flattened observation {obs_dim}"
        )
    expected = action_array(action_space, [action_space.sample()]).shape[1:]
    if pool.actions.shape[1:] != expected:
        raise ValueError(
            f"{where}: pool actions have shape {pool.actions.shape[1:]}, the env's {expected}"
        )


# ---------------------------------------------------------------------------------- collect
class EpsilonMixture:
    """A policy that plays ``policy`` but takes a uniformly random action with probability eps."""

    def __init__(self, policy: Any, epsilon: float, seed: int) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.policy = policy
        self.epsilon = epsilon
        self.name = getattr(policy, "name", type(policy).__name__)
        self._rng = np.random.default_rng(seed)
        self._space: gym.Space | None = None

    def reset(self, env: Any) -> None:
        self.policy.reset(env)
        self._space = env.action_space
        self._space.seed(int(self._rng.integers(2**31)))

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        action = self.policy.act(obs, info)  # always called, so stateful policies stay in step
        if self.epsilon > 0.0 and self._rng.random() < self.epsilon:
            return self._space.sample()
        return action


def collect(
    env_id: str,
    policies: Sequence[Any],
    episodes: int,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    epsilon: float = 0.0,
    max_steps: int = 100_000,
) -> ExperiencePool:
    """Roll out ``policies`` on ``env_id`` and return the experience pool.

    Each policy (a baseline name for ``netgym.baselines.make_policy`` or an object with
    ``reset(env)`` / ``act(obs, info)``, e.g. a trained agent) plays ``episodes`` episodes on
    its own env, reset with ``seed`` before the first episode and unseeded afterwards (so an
    env with sequential traces plays traces ``0 .. episodes - 1``, as ``evaluate`` does). With
    ``epsilon > 0`` each action is replaced by a random one with that probability.

    Policies act on the scalar env: netgym's baselines read the scalar env's state (e.g.
    robustMPC reads the chunk index), which a vector env does not expose per sub-env.

    Raises:
        ValueError: no policy, ``episodes < 1``, an unknown policy name, or an episode longer
            than ``max_steps``.
    """
    from netgym.baselines import make_policy

    if not policies:
        raise ValueError("give at least one policy to collect from")
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an integer >= 1, got {episodes!r}")
    if env_id.startswith("netgym/"):
        import netgym.envs  # noqa: F401  (registers the ids)
    env_kwargs = dict(env_kwargs or {})
    obs_rows, action_rows, rewards, dones, names = [], [], [], [], []
    for index, given in enumerate(policies):
        policy = make_policy(env_id, given, seed=seed) if isinstance(given, str) else given
        name = given if isinstance(given, str) else getattr(policy, "name", type(policy).__name__)
        if epsilon > 0.0:
            policy = EpsilonMixture(policy, epsilon, seed + 7919 * (index + 1))
            name = f"{name}+eps{epsilon:g}"
        env = gym.make(env_id, **env_kwargs)
        if not isinstance(env.action_space, (spaces.Discrete, spaces.MultiDiscrete, spaces.Box)):
            env.close()  # before any rollout, not after
            raise ValueError(unsupported_pool_action(env.action_space))
        try:
            env.action_space.seed(seed + index)
            for episode in range(episodes):
                obs, info = env.reset(seed=seed if episode == 0 else None)
                policy.reset(env)
                for step in range(max_steps + 1):
                    if step == max_steps:
                        raise ValueError(
                            f"{name} on {env_id}: an episode ran past {max_steps} "
                            f"steps; raise max_steps"
                        )
                    action = policy.act(obs, info)
                    obs_rows.append(spaces.flatten(env.observation_space, obs))
                    action_rows.append(action)
                    obs, reward, terminated, truncated, info = env.step(action)
                    if not math.isfinite(float(reward)):
                        raise ValueError(f"{env_id} returned a non-finite reward {reward}")
                    rewards.append(float(reward))
                    dones.append(bool(terminated or truncated))
                    if terminated or truncated:
                        break
                names.append(name)
            actions = action_array(env.action_space, action_rows)
        finally:
            env.close()
    return ExperiencePool(
        observations=np.asarray(obs_rows, dtype=np.float32),
        actions=actions,
        rewards=np.asarray(rewards, dtype=np.float32),
        dones=np.asarray(dones, dtype=bool),
        policies=np.asarray(names, dtype=str),
        env_id=env_id,
        env_kwargs=env_kwargs,
    )


__all__ = [
    "POOL_FORMAT",
    "EpsilonMixture",
    "ExperiencePool",
    "action_array",
    "check_pool_fits",
    "collect",
    "unsupported_pool_action",
]
