"""netgym envs in RLlib (the ``rllib`` extra): env creators, registration and a PPO config.

RLlib builds its envs from a name registered with ``ray.tune.registry.register_env`` (a creator
called with the ``env_config`` dict on every EnvRunner, local or remote), so netgym's ids reach
it through ``register_rllib_env``:

* a Gymnasium id (``netgym/AbrStreaming-v0``): the creator returns ``gym.make(id, **kwargs)``,
  or, when RLlib asks for a vector env (``gym_env_vectorize_mode="vector_entry_point"``, which
  adds ``num_envs`` to the config), netgym's native vector env ``gym.make_vec(id, num_envs=N)``,
  which steps all N sub-envs in one numpy call (Gymnasium's NEXT_STEP autoreset, what RLlib's
  ``SingleAgentEnvRunner`` expects);
* a PettingZoo env (``uav_offload_v0``, ``pz:module:callable``): RLlib's
  ``ParallelPettingZooEnv`` around ``netgym.envs.make.make_env(id, **kwargs)``, a
  ``MultiAgentEnv``.

``rllib_ppo_config`` puts it together: a ``PPOConfig`` on the registered env, the native vector
env for Gymnasium ids that have one, a ``FlattenObservations`` connector where the observation is
not a flat ``Box`` (ABR's 6x8 state, UAV's ``Discrete`` lattice cell: one-hot), and for
PettingZoo envs one policy shared by every agent (parameter sharing, as ``make_sb3_vec_env``
trains them with SB3). ``examples/rllib_ppo.py`` trains with it; ``docs/training.md`` ("Beyond
one machine") explains the rest.

Needs ``ray[rllib]`` (``pip install "netgym[rllib]"``); importing this module does not import
Ray, and ``require_rllib`` says what to install when it is missing.
"""

from __future__ import annotations

import functools
from typing import Any

import gymnasium as gym
from gymnasium import spaces
from netgym.extras import install_command, require

from ..envs.make import is_parallel_env_id, make_env

INSTALL = install_command("rllib")
"""the command that installs RLlib with the versions netgym is tested with"""


def require_rllib() -> Any:
    """The ``ray.rllib`` module.

    Raises:
        ImportError: RLlib (or one of its dependencies) is missing; the message gives the
            install command.
    """
    return require("ray.rllib", "rllib", "training with RLlib")


def _create(env_id: str, config: dict[str, Any]) -> Any:
    """The env (or vector env, or multi-agent env) that RLlib asked for (see the module doc)."""
    kwargs = dict(config)  # RLlib passes an EnvContext (a dict with worker info as attributes)
    if is_parallel_env_id(env_id):
        from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

        return ParallelPettingZooEnv(make_env(env_id, **kwargs))
    import netgym.envs  # noqa: F401  (registers the netgym/ ids in this worker process)

    num_envs = kwargs.pop("num_envs", None)
    if num_envs is None:
        return gym.make(env_id, **kwargs)
    return gym.make_vec(
        env_id, num_envs=int(num_envs), vectorization_mode="vector_entry_point", **kwargs
    )


def rllib_env_creator(env_id: str) -> Any:
    """An RLlib env creator for ``env_id`` (a picklable callable of the ``env_config`` dict).

    Raises:
        ValueError: ``env_id`` is neither a registered Gymnasium id nor a PettingZoo env name.
    """
    if not is_parallel_env_id(env_id):
        import netgym.envs  # noqa: F401  (registers the netgym/ ids)

        try:
            gym.spec(env_id)
        except gym.error.Error as err:
            raise ValueError(
                f"{env_id!r} is not a registered Gymnasium id nor a PettingZoo env name "
                f"({err}); `netgym list` shows the ids"
            ) from None
    return functools.partial(_create, env_id)


def register_rllib_env(env_id: str, name: str | None = None) -> str:
    """Register ``env_id`` with RLlib (``ray.tune.registry.register_env``) and return its name.

    Args:
        env_id: a netgym Gymnasium id or PettingZoo env name (see ``netgym.envs.make``).
        name: the name RLlib knows it by (``config.environment(name)``); default ``env_id``.

    Raises:
        ImportError: RLlib is missing (the message gives the install command).
        ValueError: unknown ``env_id``.
    """
    require_rllib()
    from ray.tune.registry import register_env

    creator = rllib_env_creator(env_id)
    name = name or env_id
    register_env(name, creator)
    return name


def has_native_vector_env(env_id: str) -> bool:
    """Whether ``env_id`` is a Gymnasium id with a native (batched) vector entry point."""
    if is_parallel_env_id(env_id):
        return False
    import netgym.envs  # noqa: F401  (registers the netgym/ ids)

    return gym.spec(env_id).vector_entry_point is not None


def needs_flattening(space: gym.Space) -> bool:
    """Whether RLlib's default encoders need ``FlattenObservations`` for this observation
    space (anything but a 1-D ``Box``)."""
    return not (isinstance(space, spaces.Box) and len(space.shape) == 1)


def _observation_spaces(env_id: str, env_kwargs: dict[str, Any]) -> list[gym.Space]:
    env = make_env(env_id, **env_kwargs)
    try:
        if is_parallel_env_id(env_id):
            return [env.observation_space(agent) for agent in env.possible_agents]
        return [env.observation_space]
    finally:
        env.close()


def rllib_ppo_config(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    num_envs: int = 8,
    num_env_runners: int = 0,
    seed: int = 0,
    train_batch_size: int = 2048,
    minibatch_size: int = 256,
    num_epochs: int = 10,
) -> Any:
    """An RLlib ``PPOConfig`` that trains on ``env_id`` (registered by this call).

    Gymnasium ids with a native vector env sample ``num_envs`` sub-envs per EnvRunner through
    it; other Gymnasium ids through Gymnasium's ``SyncVectorEnv``; PettingZoo envs run one env
    per EnvRunner with one policy, ``"shared"``, acting for every agent. Change anything else
    on the returned config (``.training(...)``, ``.rl_module(...)``, ``.resources(...)``).

    Args:
        env_id: a netgym Gymnasium id or PettingZoo env name.
        env_kwargs: the env's keyword arguments (RLlib's ``env_config``).
        num_envs: sub-envs per EnvRunner (Gymnasium ids).
        num_env_runners: remote EnvRunner actors (0 samples in the driver process).
        seed: RLlib's seed (``.debugging(seed=...)``).
        train_batch_size: env steps (agent steps for PettingZoo envs) per training iteration.
        minibatch_size: SGD minibatch size.
        num_epochs: passes over each batch.

    Raises:
        ImportError: RLlib is missing (the message gives the install command).
        ValueError: unknown ``env_id``.
    """
    require_rllib()
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.connectors.env_to_module import FlattenObservations

    env_kwargs = dict(env_kwargs or {})
    name = register_rllib_env(env_id)
    multi_agent = is_parallel_env_id(env_id)
    runners: dict[str, Any] = {"num_env_runners": num_env_runners}
    if not multi_agent:
        runners["num_envs_per_env_runner"] = num_envs
        if has_native_vector_env(env_id):
            runners["gym_env_vectorize_mode"] = "vector_entry_point"
    if any(needs_flattening(space) for space in _observation_spaces(env_id, env_kwargs)):
        runners["env_to_module_connector"] = functools.partial(
            _flatten_connector, FlattenObservations, multi_agent
        )
    config = (
        PPOConfig()
        .environment(name, env_config=env_kwargs)
        .env_runners(**runners)
        .training(
            train_batch_size_per_learner=train_batch_size,
            minibatch_size=minibatch_size,
            num_epochs=num_epochs,
        )
        .debugging(seed=seed)
    )
    if multi_agent:
        config = config.multi_agent(policies={"shared"}, policy_mapping_fn=_shared_policy)
    return config


def _flatten_connector(cls: Any, multi_agent: bool, env: Any, spaces: Any, device: Any) -> Any:
    return cls(multi_agent=multi_agent)


def _shared_policy(agent_id: Any, *args: Any, **kwargs: Any) -> str:
    """RLlib's ``policy_mapping_fn``: every agent acts with the one shared policy."""
    return "shared"


__all__ = [
    "INSTALL",
    "has_native_vector_env",
    "needs_flattening",
    "register_rllib_env",
    "require_rllib",
    "rllib_env_creator",
    "rllib_ppo_config",
]
