"""The policy protocol every netgym baseline and trained agent follows, and a generic random
policy for any action space."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium import spaces


@runtime_checkable
class Policy(Protocol):
    """``reset(env)`` before each episode, then ``act(obs, info)`` once per step.

    Anything a policy needs beyond ``obs`` and ``info`` (a video manifest, the users' positions)
    it reads from the env it was reset with, through the env's documented public attributes.
    """

    def reset(self, env: Any) -> None:
        """Prepare for an episode of ``env`` (a Gymnasium env, wrapped or not)."""

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """The action for observation ``obs`` and the step's ``info``."""


class RandomPolicy:
    """Uniformly random actions from the env's action space, seeded; valid actions only where
    the env offers ``action_masks()`` over a ``Discrete`` space."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._space: spaces.Space | None = None
        self._env: Any = None

    def reset(self, env: Any) -> None:
        """Read and seed the action space of ``env`` (once, at the first episode)."""
        space = env.action_space
        if self._space is not space:
            self._space = space
            space.seed(self.seed)
        self._env = getattr(env, "unwrapped", env)

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """A random action (masked where the env provides masks for a Discrete space)."""
        if self._space is None:
            raise RuntimeError("call reset(env) before act()")
        masks = getattr(self._env, "action_masks", None)
        if isinstance(self._space, spaces.Discrete) and masks is not None:
            return self._space.sample(mask=np.asarray(masks(), dtype=np.int8))
        return self._space.sample()


__all__ = ["Policy", "RandomPolicy"]
