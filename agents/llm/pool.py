"""Experience pools: episodes of (observation, action, reward, termination, truncation).

A pool is what NetLLM's DD-LRNA trains on: episodes rolled out by baselines, trained agents or
mixtures of them, stored step by step with flattened observations (``gymnasium.spaces.flatten``)
so that one layout serves every observation space. A pool file (format 2) is an ``.npz``
archive of plain arrays (``observations``, ``actions``, ``rewards``, ``terminations``,
``truncations``, ``final_observations`` when known, ``policies``, ``env_id``, ``env_kwargs``,
``format``), read without pickle; format 1 files (one ``dones`` array, True where an episode
ended by termination or truncation) are still read, each end taken as a termination.
``ExperiencePool.load`` refuses a malformed file naming the file and the problem. ``collect``
rolls policies out on a registered env; ``from_minari`` / ``to_minari`` convert to and from
Minari data sets (``pool_minari``). The format is in ``docs/llm.md`` ("1. Experience pools").
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import pool_files, pool_minari
from .pool_files import POOL_FORMAT, READ_FORMATS

_STEP_ARRAYS = ("actions", "rewards", "terminations", "truncations")


class ExperiencePool:
    """Episodes of one env, step by step (see the module docstring for the arrays).

    Args:
        observations: (N, obs_dim) float32 flattened observations, the one before each action.
        actions: (N,) or (N, k) actions.
        rewards: (N,) float rewards.
        terminations: (N,) bool, True where the episode terminated.
        truncations: (N,) bool, True where the episode was truncated (False when omitted).
        policies: (episodes,) str, the policy of each episode.
        env_id: the env's id.
        env_kwargs: the ``gym.make`` kwargs of the env.
        final_observations: (episodes, obs_dim) float32, the observation after each episode's
            last step (None: unknown, as in format 1 files).
        dones: the format 1 array (episode ends), given instead of ``terminations``: each end
            is taken as a termination.
    """

    def __init__(
        self,
        observations: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        terminations: np.ndarray | None = None,
        truncations: np.ndarray | None = None,
        policies: np.ndarray | None = None,
        env_id: str = "",
        env_kwargs: dict[str, Any] | None = None,
        final_observations: np.ndarray | None = None,
        *,
        dones: np.ndarray | None = None,
    ) -> None:
        if (terminations is None) == (dones is None):
            raise ValueError("pool: give terminations (and truncations), or the format 1 dones")
        if dones is not None:
            if truncations is not None:
                raise ValueError("pool: dones (format 1) cannot come with truncations")
            terminations = dones
        if truncations is None:
            truncations = np.zeros(np.shape(terminations), dtype=bool)
        self.observations = observations
        self.actions = actions
        self.rewards = rewards
        self.terminations = terminations
        self.truncations = truncations
        self.policies = np.asarray([] if policies is None else policies, dtype=str)
        self.env_id = env_id
        self.env_kwargs = dict(env_kwargs or {})
        self.final_observations = final_observations
        self.validate("pool")

    def __repr__(self) -> str:
        return (
            f"ExperiencePool({self.env_id!r}, {self.num_episodes} episodes, {self.num_steps} steps)"
        )

    # ------------------------------------------------------------------------------ checks
    def validate(self, where: str) -> None:
        """Raise ``ValueError`` (starting with ``where``) unless the arrays form a valid pool."""
        obs, actions, rewards = self.observations, self.actions, self.rewards
        if obs.ndim != 2 or obs.dtype != np.float32:
            raise ValueError(
                f"{where}: observations must be a 2-D float32 array, got "
                f"{obs.dtype} with shape {obs.shape}"
            )
        n = obs.shape[0]
        if n == 0:
            raise ValueError(f"{where}: the pool holds no step")
        for name in _STEP_ARRAYS:
            array = getattr(self, name)
            if array.shape[:1] != (n,):
                raise ValueError(f"{where}: {name} has {array.shape[:1]} rows, observations {n}")
        if actions.ndim not in (1, 2) or actions.dtype.kind not in "if":
            raise ValueError(
                f"{where}: actions must be a 1-D or 2-D numeric array, got "
                f"{actions.dtype} with shape {actions.shape}"
            )
        if rewards.ndim != 1 or rewards.dtype.kind != "f":
            raise ValueError(f"{where}: rewards must be a 1-D float array")
        for name in ("terminations", "truncations"):
            array = getattr(self, name)
            if array.ndim != 1 or array.dtype != np.bool_:
                raise ValueError(f"{where}: {name} must be a 1-D bool array")
        for name, array in (("observations", obs), ("actions", actions), ("rewards", rewards)):
            if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
                raise ValueError(f"{where}: {name} holds NaN or infinite values")
        dones = self.dones
        if not dones[-1]:
            raise ValueError(
                f"{where}: the last step does not end an episode (neither terminated nor truncated)"
            )
        episodes = int(dones.sum())
        if self.policies.ndim != 1 or self.policies.shape[0] != episodes:
            raise ValueError(
                f"{where}: policies names {self.policies.shape} episodes, the terminations "
                f"and truncations end {episodes}"
            )
        final = self.final_observations
        if final is not None and (
            final.dtype != np.float32 or final.shape != (episodes, *obs.shape[1:])
        ):
            raise ValueError(
                f"{where}: final_observations must be float32 of shape {(episodes, obs.shape[1])}"
                f" (one per episode), got {final.dtype} {final.shape}"
            )
        if final is not None and not np.all(np.isfinite(final)):
            raise ValueError(f"{where}: final_observations holds NaN or infinite values")
        if not isinstance(self.env_id, str) or not self.env_id:
            raise ValueError(f"{where}: env_id must be a non-empty string")

    # ------------------------------------------------------------------------------ views
    @property
    def dones(self) -> np.ndarray:
        """Episode ends: ``terminations | truncations`` (format 1's array)."""
        return self.terminations | self.truncations

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
        final = self.final_observations
        return ExperiencePool(
            observations=self.observations[rows],
            actions=self.actions[rows],
            rewards=self.rewards[rows],
            terminations=self.terminations[rows],
            truncations=self.truncations[rows],
            policies=self.policies[list(episodes)],
            env_id=self.env_id,
            env_kwargs=dict(self.env_kwargs),
            final_observations=None if final is None else final[list(episodes)],
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
            "terminated": int(self.terminations[self.dones].sum()),
            "truncated": int((self.truncations & ~self.terminations).sum()),
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
        """Write the pool to ``path`` (an ``.npz`` archive of format 2; ``.npz`` is appended if
        missing)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        final = {}
        if self.final_observations is not None:
            final["final_observations"] = self.final_observations
        np.savez_compressed(
            path,
            observations=self.observations,
            actions=self.actions,
            rewards=self.rewards,
            terminations=self.terminations,
            truncations=self.truncations,
            policies=self.policies.astype(str),
            env_id=np.array(self.env_id),
            env_kwargs=np.array(json.dumps(self.env_kwargs, sort_keys=True)),
            format=np.array(POOL_FORMAT, dtype=np.int64),
            **final,
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> ExperiencePool:
        """Read a pool written by ``save`` (format 2) or by netgym before it (format 1).

        A format 1 file's ``dones`` (True where an episode ended, by termination or
        truncation: that file does not say which) are read as terminations, its truncations
        all False, and it has no final observations.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not an npz archive, lacks arrays, holds objects (pickle),
                has another format version or inconsistent arrays.
        """
        path = Path(path)
        data = pool_files.read_arrays(path)
        pool = cls.__new__(cls)
        for key, value in data.items():
            setattr(pool, key, value)
        pool.validate(f"experience pool {path}")
        return pool

    # ------------------------------------------------------------------------------ Minari
    @classmethod
    def from_minari(cls, dataset: Any) -> ExperiencePool:
        """The pool of a Minari data set: a ``MinariDataset``, a local data set id (never
        downloaded) or the path of a data set folder (needs ``pip install "netgym[minari]"``).

        Observations are flattened with the data set's observation space; each episode's last
        observation becomes its final observation. Policies are the data set's
        ``algorithm_name`` (a comma-separated list when written by ``to_minari``, with the
        policy of each episode in its ``infos["policy_index"]``), else its id.

        Raises:
            MinariExtraMissingError: minari or h5py is not installed.
            FileNotFoundError: no such local data set.
            ValueError: the data set has no env spec, or unsupported spaces.
        """
        arrays = pool_minari.read_dataset(dataset)
        return cls(**arrays)

    def to_minari(self, dataset_id: str, description: str | None = None) -> Any:
        """Write the pool as the Minari data set ``dataset_id`` and return it (a
        ``MinariDataset``), in Minari's local folder (``$MINARI_DATASETS_PATH``, default
        ``~/.minari/datasets``).

        Observations are unflattened into the env's observation space (the env is made to get
        its spaces; it is never stepped).

        Raises:
            MinariExtraMissingError: minari or h5py is not installed.
            ValueError: the pool has no final observations (format 1), or the data set exists.
        """
        if self.final_observations is None:
            raise ValueError(
                f"pool of {self.env_id} has no final observations (a format 1 pool): Minari "
                "stores the observation after each episode's last step; collect the pool "
                "again with this netgym"
            )
        return pool_minari.write_dataset(self, dataset_id, description)


def load_pool(spec: str | Path) -> ExperiencePool:
    """The pool ``spec`` names: ``minari:DATASET_ID`` (a local Minari data set), a Minari data
    set folder, or a pool ``.npz`` file (``ExperiencePool.load``)."""
    text = str(spec)
    if text.startswith("minari:"):
        return ExperiencePool.from_minari(text[len("minari:") :])
    if Path(text).is_dir():
        return ExperiencePool.from_minari(Path(text))
    return ExperiencePool.load(text)


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
    obs_rows, action_rows, rewards, terminations, truncations = [], [], [], [], []
    finals, names = [], []
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
                    terminations.append(bool(terminated))
                    truncations.append(bool(truncated))
                    if terminated or truncated:
                        finals.append(spaces.flatten(env.observation_space, obs))
                        break
                names.append(name)
            actions = action_array(env.action_space, action_rows)
        finally:
            env.close()
    return ExperiencePool(
        observations=np.asarray(obs_rows, dtype=np.float32),
        actions=actions,
        rewards=np.asarray(rewards, dtype=np.float32),
        terminations=np.asarray(terminations, dtype=bool),
        truncations=np.asarray(truncations, dtype=bool),
        policies=np.asarray(names, dtype=str),
        env_id=env_id,
        env_kwargs=env_kwargs,
        final_observations=np.asarray(finals, dtype=np.float32),
    )


__all__ = [
    "POOL_FORMAT",
    "READ_FORMATS",
    "EpsilonMixture",
    "ExperiencePool",
    "action_array",
    "check_pool_fits",
    "collect",
    "load_pool",
    "unsupported_pool_action",
]
