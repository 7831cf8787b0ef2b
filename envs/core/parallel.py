"""The PettingZoo skeleton of netgym's multi-agent envs.

``SimParallelEnv`` owns the agent bookkeeping every PettingZoo ``ParallelEnv`` of netgym repeats:
params coercion, the render-mode check, memoised spaces (``observation_space(a)`` returns the
same object every time), seeding (one generator for the sim, agent ``k``'s action space seeded
``seed + k``), the check that ``step`` gets one action per live agent, and ending the episode
for every agent at once. A subclass writes ``setup()`` (``possible_agents``, the space dicts and
the sim), ``reset_sim()`` and ``step_sim(actions)``.

``pettingzoo_api(Cls)`` returns the ``env`` / ``parallel_env`` / ``raw_env`` trio of a PettingZoo
env module, so that each versioned module (``uav_offload_v0``, ...) is three lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec

from .scalar import check_render_mode


def check_agent_actions(actions: Any, agents: list[str]) -> None:
    """Raise ``ValueError`` unless ``actions`` is a dict with one entry per live agent."""
    if not isinstance(actions, dict):
        raise ValueError(f"actions must be a dict of one action per agent, got {type(actions)}")
    missing = set(agents) - set(actions)
    extra = set(actions) - set(agents)
    if missing or extra:
        raise ValueError(
            f"actions must have one entry per live agent {agents}; "
            f"missing {sorted(missing)}, unknown {sorted(extra)}"
        )


class SimParallelEnv(ParallelEnv):
    """A PettingZoo ``ParallelEnv`` over a netgym sim (see the module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "",
        "render_modes": [],
        "is_parallelizable": True,
    }
    params_class: ClassVar[type]
    """the env's ``EnvParams`` dataclass"""

    possible_agents: list[str]
    observation_spaces: dict[str, spaces.Space]
    action_spaces: dict[str, spaces.Space]

    def __init__(self, params: Any = None, render_mode: str | None = None, **overrides: Any):
        check_render_mode(type(self).__name__, render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.params = self.params_class.coerce(params, overrides)
        self.agents: list[str] = []
        self._rngs: list[np.random.Generator] = [np.random.default_rng()]
        self.setup()
        self._index = {agent: k for k, agent in enumerate(self.possible_agents)}

    # ------------------------------------------------------------------ what a subclass writes
    def setup(self) -> None:
        """Set ``possible_agents``, ``observation_spaces``, ``action_spaces`` and the sim."""
        raise NotImplementedError

    def reset_sim(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Start an episode (drawing from ``self._rngs``); return observations and infos."""
        raise NotImplementedError

    def step_sim(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Advance by one joint action (one entry per live agent, checked): observations,
        rewards, terminations, truncations, infos."""
        raise NotImplementedError

    # ------------------------------------------------------------------ PettingZoo API
    def observation_space(self, agent: str) -> spaces.Space:
        """The (memoised) observation space of ``agent``."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """The (memoised) action space of ``agent``."""
        return self.action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        del options  # none are used (PettingZoo's API test passes some; they are ignored)
        if seed is not None:
            self._rngs = [np.random.default_rng(seed)]
            for k, agent in enumerate(self.possible_agents):
                self.action_spaces[agent].seed(seed + k)
        self.agents = list(self.possible_agents)
        return self.reset_sim()

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        check_agent_actions(actions, self.agents)
        observations, rewards, terminations, truncations, infos = self.step_sim(actions)
        if all(terminations[a] or truncations[a] for a in self.agents):
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def close(self) -> None:
        """Nothing to release."""


def pettingzoo_api(
    cls: type[ParallelEnv],
) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The ``env``, ``parallel_env`` and ``raw_env`` functions of a PettingZoo env module.

    ``parallel_env(**kwargs)`` builds ``cls``; ``raw_env`` and ``env`` give its AEC version
    (``parallel_to_aec``), as PettingZoo's own env modules do.
    """

    def parallel_env(**kwargs: Any) -> Any:
        return cls(**kwargs)

    def raw_env(**kwargs: Any) -> Any:
        return parallel_to_aec(cls(**kwargs))

    def env(**kwargs: Any) -> Any:
        return raw_env(**kwargs)

    parallel_env.__doc__ = f"The PettingZoo parallel env ``{cls.__name__}`` (its kwargs)."
    raw_env.__doc__ = f"The AEC env (``parallel_to_aec``) of ``{cls.__name__}``."
    env.__doc__ = f"The AEC env of ``{cls.__name__}`` (PettingZoo's ``env()`` entry point)."
    return env, parallel_env, raw_env


__all__ = ["SimParallelEnv", "check_agent_actions", "pettingzoo_api"]
