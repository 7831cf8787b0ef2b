"""Experience pools as Minari data sets (the ``minari`` extra: ``pip install "netgym[minari]"``).

``write_dataset`` stores a pool as a Minari data set in Minari's local folder
(``$MINARI_DATASETS_PATH``, default ``~/.minari/datasets``), with the env's spec (id and
kwargs) so that ``dataset.recover_environment()`` rebuilds it, observations in the env's own
observation space (each episode's ``T`` observations plus its final one), actions in its action
space, rewards, terminations and truncations. The collecting policies are the data set's
``algorithm_name`` (comma-separated) and each step's ``infos["policy_index"]`` (into that list).
``read_dataset`` does the reverse for any Minari data set with an env spec. Neither downloads
anything: a data set id is looked up locally only.

This module does not import ``pool`` (``pool`` imports it): it reads a pool's attributes and
returns the keyword arguments of ``ExperiencePool``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from netgym.extras import install_command, require

if TYPE_CHECKING:  # pragma: no cover
    from .pool import ExperiencePool

INSTALL = install_command("minari")
"""the install command of the minari extra, named in every refusal"""
POLICY_INFO = "policy_index"
"""the per-step info key holding the index of the episode's policy in ``algorithm_name``"""


class MinariExtraMissingError(ImportError):
    """Minari data sets were asked for without the ``minari`` extra (minari, h5py)."""


def require_minari() -> Any:
    """The ``minari`` module (``MinariExtraMissingError`` unless minari and h5py import)."""
    # h5py: Minari's default storage
    return require(
        "minari", "minari", "Minari data sets", also=("h5py",), error=MinariExtraMissingError
    )


# ---------------------------------------------------------------------------------- spaces
def _stack(space: gym.Space, flat: np.ndarray) -> Any:
    """Rows of flattened observations -> one batched value of ``space`` (dicts of arrays)."""
    values = [spaces.unflatten(space, row) for row in flat]
    return _batch(space, values)


def _batch(space: gym.Space, values: list[Any]) -> Any:
    if isinstance(space, spaces.Dict):
        return {key: _batch(sub, [v[key] for v in values]) for key, sub in space.spaces.items()}
    if isinstance(space, spaces.Tuple):
        return tuple(_batch(sub, [v[i] for v in values]) for i, sub in enumerate(space.spaces))
    if isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        return np.stack([np.asarray(v, dtype=space.dtype) for v in values])
    raise ValueError(
        f"Minari pools support Box, Discrete, MultiDiscrete, Dict and Tuple, not {space}"
    )


def _index(value: Any, i: int) -> Any:
    if isinstance(value, Mapping):
        return {key: _index(sub, i) for key, sub in value.items()}
    if isinstance(value, tuple):
        return tuple(_index(sub, i) for sub in value)
    return np.asarray(value)[i]


def _length(value: Any) -> int:
    if isinstance(value, Mapping):
        return _length(next(iter(value.values())))
    if isinstance(value, tuple):
        return _length(value[0])
    return len(value)


def _flat_rows(space: gym.Space, value: Any) -> np.ndarray:
    """A batched value of ``space`` -> (n, flatdim) float32 rows."""
    rows = [spaces.flatten(space, _index(value, i)) for i in range(_length(value))]
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), spaces.flatdim(space))


def _pool_actions(space: gym.Space, actions: np.ndarray) -> np.ndarray:
    """A data set's actions in the pool's layout (as ``pool.action_array``)."""
    if isinstance(space, spaces.Discrete):
        return np.asarray(actions, dtype=np.int64).reshape(len(actions))
    if isinstance(space, spaces.MultiDiscrete):
        return np.asarray(actions, dtype=np.int64).reshape(len(actions), -1)
    if isinstance(space, spaces.Box):
        return np.asarray(actions, dtype=np.float32).reshape(len(actions), -1)
    raise ValueError(
        f"experience pools support Discrete, MultiDiscrete and Box actions, got {space}"
    )


def _space_actions(space: gym.Space, actions: np.ndarray) -> np.ndarray:
    """The pool's actions in ``space``'s own shape and dtype."""
    if isinstance(space, spaces.Discrete):
        return np.asarray(actions, dtype=np.int64).reshape(len(actions))
    return np.asarray(actions, dtype=space.dtype).reshape(len(actions), *space.shape)


# ---------------------------------------------------------------------------------- write
def write_dataset(pool: ExperiencePool, dataset_id: str, description: str | None = None) -> Any:
    """Write ``pool`` as the Minari data set ``dataset_id`` (module doc); returns it.

    Raises:
        MinariExtraMissingError: minari or h5py is not installed.
        ValueError: the data set exists, or the pool does not fit its env's spaces.
    """
    minari = require_minari()
    from minari.data_collector.episode_buffer import EpisodeBuffer

    if pool.env_id.startswith("netgym/"):
        import netgym.envs  # noqa: F401  (registers the ids)
    spec = gym.spec(pool.env_id)
    env = gym.make(pool.env_id, **pool.env_kwargs)
    try:
        observation_space, action_space = env.observation_space, env.action_space
    finally:
        env.close()
    env_spec = _with_kwargs(spec, pool.env_kwargs)
    names = list(dict.fromkeys(pool.policies.tolist()))
    buffers = []
    for episode, (start, stop) in enumerate(pool.episode_bounds()):
        rows = np.concatenate(
            [pool.observations[start:stop], pool.final_observations[episode : episode + 1]]
        )
        index = names.index(str(pool.policies[episode]))
        buffers.append(
            EpisodeBuffer(
                id=episode,
                observations=_stack(observation_space, rows),
                actions=_space_actions(action_space, pool.actions[start:stop]),
                rewards=pool.rewards[start:stop].astype(np.float64).tolist(),
                terminations=pool.terminations[start:stop].tolist(),
                truncations=pool.truncations[start:stop].tolist(),
                infos={POLICY_INFO: np.full(stop - start + 1, index, dtype=np.int64)},
            )
        )
    with warnings.catch_warnings():  # Minari's advice to name an author, a permalink, ...
        warnings.filterwarnings("ignore", category=UserWarning, module="minari")
        return minari.create_dataset_from_buffers(
            dataset_id=dataset_id,
            buffer=buffers,
            env=env_spec,
            algorithm_name=",".join(names),
            observation_space=observation_space,
            action_space=action_space,
            description=description or f"netgym experience pool of {pool.env_id}",
            data_format="hdf5",
        )


def _with_kwargs(spec: Any, env_kwargs: dict[str, Any]) -> Any:
    """``spec`` with the pool's env kwargs (JSON values) merged into its kwargs."""
    from dataclasses import replace

    return replace(spec, kwargs={**dict(spec.kwargs), **env_kwargs})


# ---------------------------------------------------------------------------------- read
def open_dataset(dataset: Any) -> Any:
    """A ``MinariDataset`` from itself, a local data set id or a data set folder (no download).

    Raises:
        FileNotFoundError: no such local data set or folder.
    """
    minari = require_minari()
    if isinstance(dataset, minari.MinariDataset):
        return dataset
    path = Path(dataset)
    if isinstance(dataset, Path) or path.is_dir():
        data = path / "data" if (path / "data").is_dir() else path
        if not (data / "metadata.json").is_file():
            raise FileNotFoundError(
                f"{path} is not a Minari data set folder (no data/metadata.json in it)"
            )
        return minari.MinariDataset(data)
    try:
        return minari.load_dataset(str(dataset), download=False)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no local Minari data set {dataset!r} in {minari.storage.get_dataset_path()} "
            "(set MINARI_DATASETS_PATH, or give the data set's folder; netgym never downloads)"
        ) from None


def read_dataset(dataset: Any) -> dict[str, Any]:
    """The ``ExperiencePool`` keyword arguments of a Minari data set (see ``open_dataset``).

    Raises:
        MinariExtraMissingError: minari or h5py is not installed.
        FileNotFoundError: no such data set.
        ValueError: the data set has no env spec, no episode, or unsupported spaces.
    """
    data = open_dataset(dataset)
    spec = data.spec.env_spec
    if spec is None:
        raise ValueError(
            f"Minari data set {data.id} has no env spec: a pool needs the env it was collected on"
        )
    observation_space, action_space = data.observation_space, data.action_space
    algorithm = data.storage.metadata.get("algorithm_name")
    names = [n for n in str(algorithm or "").split(",") if n] or [data.id]
    obs, finals, actions, rewards, terms, truncs, policies = [], [], [], [], [], [], []
    for episode in data.iterate_episodes():
        rows = _flat_rows(observation_space, episode.observations)
        if len(rows) != len(episode.rewards) + 1:
            raise ValueError(
                f"Minari data set {data.id} episode {episode.id}: {len(rows)} observations "
                f"for {len(episode.rewards)} steps (expected one more)"
            )
        obs.append(rows[:-1])
        finals.append(rows[-1])
        actions.append(_pool_actions(action_space, np.asarray(episode.actions)))
        rewards.append(np.asarray(episode.rewards, dtype=np.float32))
        terms.append(np.asarray(episode.terminations, dtype=bool))
        truncs.append(np.asarray(episode.truncations, dtype=bool))
        policies.append(_policy_name(episode.infos, names))
    if not obs:
        raise ValueError(f"Minari data set {data.id} holds no episode")
    return {
        "observations": np.concatenate(obs),
        "actions": np.concatenate(actions),
        "rewards": np.concatenate(rewards),
        "terminations": np.concatenate(terms),
        "truncations": np.concatenate(truncs),
        "policies": np.asarray(policies, dtype=str),
        "env_id": spec.id,
        "env_kwargs": dict(spec.kwargs),
        "final_observations": np.asarray(finals, dtype=np.float32),
    }


def _policy_name(infos: Any, names: list[str]) -> str:
    index = infos.get(POLICY_INFO) if isinstance(infos, Mapping) else None
    if index is None or len(index) == 0 or not 0 <= int(index[0]) < len(names):
        return names[0] if len(names) == 1 else ",".join(names)
    return names[int(index[0])]


__all__ = [
    "INSTALL",
    "POLICY_INFO",
    "MinariExtraMissingError",
    "open_dataset",
    "read_dataset",
    "require_minari",
    "write_dataset",
]
