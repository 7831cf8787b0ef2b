"""Learning agents and the registry that ``train.py`` picks them from.

``AGENTS`` maps each agent's name to the class that implements it (``"module:Class"``); a class
is imported only when it is asked for (``get_agent_class``), so a missing optional dependency or
an unfinished agent module never breaks ``import netgym.agents``. The tabular and PSO agents need
numpy and gymnasium only; the SB3 and LLM agents need the ``train`` extra (torch,
stable-baselines3, ...), and an agent whose extra is missing says which one to install. Every
agent implements ``netgym.agents.base.Agent``; ``netgym.agents.training`` trains any of them.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gymnasium as gym

    from .base import Agent

AGENTS: dict[str, str] = {
    "sarsa": "netgym.agents.tabular:SarsaAgent",
    "qlearning": "netgym.agents.tabular:QLearningAgent",
    "pso": "netgym.agents.pso:PsoAgent",
    "ppo": "netgym.agents.sb3:PPOAgent",
    "a2c": "netgym.agents.sb3:A2CAgent",
    "dqn": "netgym.agents.sb3:DQNAgent",
    "sac": "netgym.agents.sb3:SACAgent",
    "td3": "netgym.agents.sb3:TD3Agent",
    "maskable-ppo": "netgym.agents.sb3:MaskablePPOAgent",
    "llm": "netgym.agents.llm.agent:LlmAgent",
    "bc": "netgym.agents.llm.agent:BcAgent",
}
"""agent name -> ``"module:Class"`` of its ``Agent`` subclass"""


EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "train"),
    "stable_baselines3": ("stable-baselines3", "train"),
    "sb3_contrib": ("sb3-contrib", "train"),
    "supersuit": ("supersuit", "train"),
    "tensorboard": ("tensorboard", "train"),
    "transformers": ("transformers", "llm"),
    "peft": ("peft", "llm"),
}
"""top-level module -> (package to install, netgym extra that brings it), for the messages of
``AgentUnavailableError``"""


class AgentUnavailableError(ImportError):
    """A registered agent whose module or class cannot be imported (e.g. a missing dependency)."""


def _needs(name: str, module: str) -> str:
    """The message of agent ``name`` missing the top-level ``module``."""
    package, extra = EXTRAS.get(module, (module, ""))
    install = f"pip install 'netgym[{extra}]'" if extra else f"pip install {package}"
    return f"the {name!r} agent needs {package}: {install}"


def _unavailable_message(name: str, err: ImportError) -> str:
    """Why agent ``name`` does not import: the extra to install when a known package is missing."""
    missing = (getattr(err, "name", None) or "").partition(".")[0]
    if isinstance(err, ModuleNotFoundError) and missing in EXTRAS:
        return _needs(name, missing)
    return f"agent {name!r} ({AGENTS[name]}) cannot be imported: {err}"


def get_agent_class(name: str) -> type[Agent]:
    """The ``Agent`` subclass registered as ``name``, imported on first use.

    Raises:
        ValueError: ``name`` is not registered (the message lists the registered names).
        AgentUnavailableError: the agent is registered but its module or class does not import;
            when a package of an extra is missing, the message names it and the extra, e.g.
            "the 'ppo' agent needs stable-baselines3: pip install 'netgym[train]'".
    """
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; known agents: {', '.join(AGENTS)}")
    module_name, _, class_name = AGENTS[name].partition(":")
    try:
        agent_class = getattr(importlib.import_module(module_name), class_name)
    except ImportError as err:
        raise AgentUnavailableError(_unavailable_message(name, err)) from err
    except AttributeError as err:
        raise AgentUnavailableError(
            f"agent {name!r} ({AGENTS[name]}) cannot be imported: {err}"
        ) from err
    for module in getattr(agent_class, "requires", ()):
        if importlib.util.find_spec(module) is None:
            raise AgentUnavailableError(_needs(name, module))
    return agent_class


def env_spaces(
    env_id: str, env_kwargs: dict[str, Any] | None = None
) -> tuple[gym.Space, gym.Space]:
    """The (observation, action) spaces of one agent of ``env_id``.

    Gymnasium envs give their spaces; PettingZoo parallel envs (``pz:module:callable``) give
    the spaces of their first possible agent.

    Raises:
        ValueError: the env id is unknown or the env rejects ``env_kwargs``.
    """
    from netgym.envs.core.make import is_parallel_env_id, make_env

    try:
        env = make_env(env_id, **(env_kwargs or {}))
    except TypeError as err:
        # Gymnasium re-raises a TypeError of the env's constructor with a long suffix.
        reason = str(err).split(" was raised from the environment creator")[0]
        raise ValueError(f"cannot make {env_id} with env kwargs {env_kwargs}: {reason}") from None
    try:
        if is_parallel_env_id(env_id):
            first = env.possible_agents[0]
            return env.observation_space(first), env.action_space(first)
        return env.observation_space, env.action_space
    finally:
        env.close()


def compatible_agents(env_id: str, env_kwargs: dict[str, Any] | None = None) -> list[str]:
    """Names of the registered agents that can train on ``env_id`` (in registry order).

    An agent fits when its ``unsupported_reason`` is None for the env's spaces (for a
    PettingZoo env, its first agent's). Agents whose module cannot be imported are left out.
    """
    observation_space, action_space = env_spaces(env_id, env_kwargs)
    names = []
    for name in AGENTS:
        try:
            agent_class = get_agent_class(name)
        except AgentUnavailableError:
            continue
        if agent_class.unsupported_reason(observation_space, action_space) is None:
            names.append(name)
    return names


__all__ = [
    "AGENTS",
    "EXTRAS",
    "AgentUnavailableError",
    "compatible_agents",
    "env_spaces",
    "get_agent_class",
]
