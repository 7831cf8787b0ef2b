"""Making any netgym env from a string: a Gymnasium id or a PettingZoo ``module:callable``.

Gymnasium envs are named by their registered id (``netgym/AbrStreaming-v0``, optionally with a
``module:`` prefix as ``gym.make`` accepts). PettingZoo parallel envs have no Gymnasium id; they
are named by the import path of the function that builds them, with a ``pz:`` prefix, e.g.
``pz:netgym.envs.uav:parallel_env``. Tools that accept ``--env`` (train.py, the CLI) use these
helpers so that every family works with them unchanged.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium as gym

PZ_PREFIX = "pz:"


def is_parallel_env_id(env_id: str) -> bool:
    """Whether ``env_id`` names a PettingZoo parallel env (``pz:module:callable``)."""
    return env_id.startswith(PZ_PREFIX)


def _ensure_registered(env_id: str) -> None:
    if env_id.startswith("netgym/"):
        importlib.import_module("netgym.envs")


def make_env(env_id: str, **kwargs: Any) -> Any:
    """A Gymnasium env (``gym.make``) or a PettingZoo ``ParallelEnv`` for ``env_id``.

    Raises:
        ValueError: the id is unknown or the PettingZoo path does not resolve to a callable.
    """
    if is_parallel_env_id(env_id):
        module_name, _, attribute = env_id[len(PZ_PREFIX) :].rpartition(":")
        if not module_name or not attribute:
            raise ValueError(
                f"PettingZoo env ids look like 'pz:package.module:function', got {env_id!r}"
            )
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"cannot import the PettingZoo env {env_id!r}: {err}") from None
        return factory(**kwargs)
    _ensure_registered(env_id)
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as err:
        known = sorted(k for k in gym.registry if k.startswith("netgym/"))
        raise ValueError(f"unknown env {env_id!r} ({err}); netgym envs: {known}") from None


def make_vector_env(env_id: str, num_envs: int, **kwargs: Any) -> gym.vector.VectorEnv:
    """``gym.make_vec``: the env's native vector env when it has one, else a SyncVectorEnv."""
    if is_parallel_env_id(env_id):
        raise ValueError(f"{env_id} is a PettingZoo env; it has no Gymnasium vector env")
    _ensure_registered(env_id)
    try:
        return gym.make_vec(env_id, num_envs=num_envs, **kwargs)
    except gym.error.Error as err:
        raise ValueError(f"unknown env {env_id!r} ({err})") from None
