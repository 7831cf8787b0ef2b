"""``SimEnv``: the base of netgym's scalar Gymnasium envs.

It owns what every scalar env repeats: params coercion, the render-mode check, the reset-option
check and the "call reset() first" guard. A subclass writes only its own parts:

```python
class MyEnv(SimEnv):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}
    params_class = MyParams
    reset_options = frozenset({"trace_index"})     # optional

    def setup(self):                 # after self.params is set: the sim and the spaces
    def reset_sim(self, options):    # -> (obs, info); self.np_random is seeded already
    def check_action(self, action):  # -> the action as the sim takes it (ValueError if bad)
    def step_sim(self, action):      # -> (obs, reward, terminated, truncated, info)
```

The sim behind a ``SimEnv`` is the N = 1 case of the family's ``BatchSim`` or, where numpy's
per-call overhead would dominate, a scalar kernel that calls the same formula functions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym

from .vector import check_reset_options


def check_render_mode(env_name: str, render_mode: str | None, modes: list[str]) -> None:
    """Raise ``ValueError`` unless ``render_mode`` is None or one of ``modes``."""
    if render_mode is None:
        return
    if not modes:
        raise ValueError(f"{env_name} has no render modes, got {render_mode!r}")
    if render_mode == "human" and "rgb_array" in modes:
        raise ValueError(
            f"{env_name} has no 'human' render mode: it draws frames as arrays "
            "(render_mode='rgb_array'); to watch them in a window, wrap an 'rgb_array' env in "
            "gymnasium.wrappers.HumanRendering (needs pygame)"
        )
    if render_mode not in modes:
        raise ValueError(f"render_mode must be None or one of {modes}, got {render_mode!r}")


class SimEnv(gym.Env):
    """A scalar Gymnasium env over a netgym sim (see the module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    params_class: ClassVar[type]
    """the env's ``EnvParams`` dataclass"""
    reset_options: ClassVar[frozenset[str]] = frozenset()
    """the names ``reset(options=...)`` accepts"""

    def __init__(self, params: Any = None, render_mode: str | None = None, **overrides: Any):
        check_render_mode(type(self).__name__, render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.params = self.params_class.coerce(params, overrides)
        self._done = True
        self.setup()

    # ------------------------------------------------------------------ what a subclass writes
    def setup(self) -> None:
        """Build the sim and set ``action_space`` / ``observation_space`` from ``self.params``."""
        raise NotImplementedError

    def reset_sim(self, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Start an episode (``self.np_random`` is seeded) and return its observation and info."""
        raise NotImplementedError

    def check_action(self, action: Any) -> Any:
        """Validate ``action`` (``ValueError`` saying what is wrong) and return it as the sim
        takes it."""
        raise NotImplementedError

    def step_sim(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Advance the episode by one checked action."""
        raise NotImplementedError

    def on_reseed(self) -> None:
        """Called by ``reset`` when it gets a seed (after ``np_random`` is reseeded)."""

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        options = check_reset_options(type(self).__name__, options, self.reset_options)
        if seed is not None:
            self.on_reseed()
        obs, info = self.reset_sim(options)
        self._done = False
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        action = self.check_action(action)
        if self._done:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        result = self.step_sim(action)  # (obs, reward, terminated, truncated, info)
        self._done = result[2] or result[3]
        return result


__all__ = ["SimEnv", "check_render_mode"]
