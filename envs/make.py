"""Making any netgym env from a string: a Gymnasium id or a PettingZoo env name.

Gymnasium envs are named by their registered id (``netgym/AbrStreaming-v0``, optionally with a
``module:`` prefix as ``gym.make`` accepts). PettingZoo parallel envs have no Gymnasium id; they
are named by their versioned module's short name (``uav_offload_v0``, declared in the family's
``EnvSpec.parallel``), optionally with a ``pz:`` prefix, or by the import path of the function
that builds them (``pz:netgym.envs.uav:parallel_env``). Tools that accept ``--env`` (train.py,
the CLI) use these helpers so that every family works with them unchanged.

An import path runs code: importing ``package.module`` executes that module, and the named
callable is then called with the env kwargs. So a path is accepted only when it names a Python
function or a ``ParallelEnv`` subclass that is not part of Python itself (no builtin such as
``os:system``, no standard-library function), and what it returns must be a PettingZoo
``ParallelEnv`` before anything steps it. Give import paths only of code you trust.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any

import gymnasium as gym

from .core.budget import check_memory, format_bytes
from .core.vector import SUBENV_OVERHEAD_BYTES
from .families import parallel_specs

PZ_PREFIX = "pz:"


def is_parallel_env_id(env_id: str) -> bool:
    """Whether ``env_id`` names a PettingZoo parallel env (a short name such as
    ``uav_offload_v0``, or ``pz:`` + a short name or ``module:callable``)."""
    return env_id.startswith(PZ_PREFIX) or env_id in parallel_specs()


def parallel_env_path(env_id: str) -> str:
    """``module:callable`` of a PettingZoo env named by short name or ``pz:`` path."""
    name = env_id[len(PZ_PREFIX) :] if env_id.startswith(PZ_PREFIX) else env_id
    spec = parallel_specs().get(name)
    if spec is not None:
        return f"{spec.parallel}:parallel_env"
    return name


def _ensure_registered(env_id: str) -> None:
    if env_id.startswith("netgym/"):
        importlib.import_module("netgym.envs")


def _parallel_env_class() -> type:
    from pettingzoo.utils.env import ParallelEnv

    return ParallelEnv


def _factory_refusal(factory: Any) -> str | None:
    """Why ``factory`` cannot be a PettingZoo env factory (None: it may be one)."""
    if inspect.isclass(factory):
        if issubclass(factory, _parallel_env_class()):
            return None
        return f"it is the class {factory.__qualname__}, not a PettingZoo ParallelEnv subclass"
    if not inspect.isfunction(factory):
        return f"it is a {type(factory).__name__}, not a Python function or ParallelEnv class"
    top = str(getattr(factory, "__module__", "") or "").split(".")[0]
    if top in sys.stdlib_module_names or top == "builtins":
        return f"it is the standard-library function {top}.{factory.__qualname__}"
    return None


def parallel_env_factory(env_id: str) -> Any:
    """The function (or ``ParallelEnv`` class) that builds the PettingZoo env ``env_id``.

    Importing the module runs its code (module doc); the attribute must be a Python function
    outside the standard library or a ``ParallelEnv`` subclass.

    Raises:
        ValueError: the name is malformed, does not import, or names anything else (a
            builtin, a standard-library function, a class that is not a ``ParallelEnv``).
    """
    module_name, _, attribute = parallel_env_path(env_id).rpartition(":")
    if not module_name or not attribute:
        raise ValueError(
            "PettingZoo envs are named by a short name "
            f"({sorted(parallel_specs())}) or 'pz:package.module:function', got {env_id!r}"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot import the PettingZoo env {env_id!r}: {err}") from None
    reason = _factory_refusal(factory)
    if reason is not None:
        raise ValueError(
            f"{env_id!r} does not name a PettingZoo env factory: {reason}; give "
            "'pz:package.module:function' of a function that returns a ParallelEnv"
        )
    return factory


def make_parallel_env(env_id: str, **kwargs: Any) -> Any:
    """The PettingZoo ``ParallelEnv`` that ``env_id``'s factory builds with ``kwargs``.

    Raises:
        ValueError: the factory is refused (``parallel_env_factory``), or it returned something
            that is not a ``ParallelEnv`` (closed, if it can be, before anything steps it).
    """
    env = parallel_env_factory(env_id)(**kwargs)
    if not isinstance(env, _parallel_env_class()):
        close = getattr(env, "close", None)
        if callable(close):
            close()
        raise ValueError(
            f"{env_id!r} returned a {type(env).__name__}, not a PettingZoo ParallelEnv "
            "(an AEC env can be converted with pettingzoo.utils.conversions.aec_to_parallel)"
        )
    return env


def canonical_env_id(env_id: str) -> str:
    """The one name of an env that has several: a Gymnasium id without its ``module:``
    prefix; a PettingZoo env's short name (``uav_offload_v0``) for ``pz:uav_offload_v0`` and
    for any ``pz:module:function`` path that builds the same env. Other names stay as they are
    (configs and tools key their tables by this name, so every spelling finds them)."""
    if not is_parallel_env_id(env_id):
        return env_id.split(":", 1)[1] if ":" in env_id else env_id
    try:
        factory = parallel_env_factory(env_id)
    except ValueError:
        return env_id
    for name, spec in parallel_specs().items():
        if getattr(importlib.import_module(spec.parallel), "parallel_env", None) is factory:
            return name
    return env_id


def make_env(env_id: str, **kwargs: Any) -> Any:
    """A Gymnasium env (``gym.make``) or a PettingZoo ``ParallelEnv`` for ``env_id``.

    Raises:
        ValueError: the id is unknown, or the PettingZoo path is refused or builds something
            else than a ``ParallelEnv`` (``make_parallel_env``).
    """
    if is_parallel_env_id(env_id):
        return make_parallel_env(env_id, **kwargs)
    _ensure_registered(env_id)
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as err:
        known = sorted(k for k in gym.registry if k.startswith("netgym/"))
        raise ValueError(f"unknown env {env_id!r} ({err}); netgym envs: {known}") from None


def make_vector_env(env_id: str, num_envs: int, **kwargs: Any) -> gym.vector.VectorEnv:
    """``gym.make_vec``: the env's native vector env when it has one, else a SyncVectorEnv
    (whose ``num_envs`` scalar envs are checked against the memory budget first, at the
    native vector env's ``SUBENV_OVERHEAD_BYTES`` each, a floor)."""
    if is_parallel_env_id(env_id):
        raise ValueError(f"{env_id} is a PettingZoo env; it has no Gymnasium vector env")
    _ensure_registered(env_id)
    try:
        spec = gym.spec(env_id)
        if spec.vector_entry_point is None and isinstance(num_envs, int):
            check_memory(
                f"the SyncVectorEnv of {spec.id}",
                num_envs * SUBENV_OVERHEAD_BYTES,
                f"num_envs={num_envs} scalar envs x at least {format_bytes(SUBENV_OVERHEAD_BYTES)}",
            )
        return gym.make_vec(env_id, num_envs=num_envs, **kwargs)
    except gym.error.Error as err:
        raise ValueError(f"unknown env {env_id!r} ({err})") from None
