"""``NumpyVectorEnv``: the base of netgym's native vector envs.

The base owns everything that is the same for every batched env: the constructor's argument
checks, params coercion, batched spaces, one generator per sub-env (sub-env ``i`` seeded
``seed + i``, so that it replays a scalar env seeded ``seed + i``), NEXT_STEP and SAME_STEP
autoreset, the live mask, reward zeroing and the ``info["_key"]`` masks. A subclass writes only
what makes it that env (PufferLib's and SB3's split):

```python
class MyVectorEnv(NumpyVectorEnv):
    params_class = MyParams

    def make_sim(self):        return MySim(self.params, self.num_envs)   # a BatchSim
    def make_spaces(self):     return action_space, observation_space     # of one sub-env
    def check_actions(self, actions): return checked array, one row per sub-env
```

Optional: ``memory_per_env()`` (the bytes one sub-env's state holds: the constructor refuses
a ``num_envs`` whose total, with the base's own ``SUBENV_OVERHEAD_BYTES`` per sub-env, exceeds
the memory budget of ``core/budget.py`` before allocating anything),
``reset_options`` (the option names ``reset`` accepts, handed to ``sim.reset``),
``on_reseed()`` (called when ``reset`` gets a seed), ``autoreset(idx)`` (how finished sub-envs
restart inside a step; default ``sim.reset(idx, rngs, {})``), ``_observation()`` /
``_info_arrays()`` (default: ``sim.observation()`` / ``sim.info()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .budget import check_memory, format_bytes
from .seeding import reseed_vector
from .sim import BatchSim

AUTORESET_MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)
"""the autoreset modes netgym's vector envs implement (NEXT_STEP is Gymnasium's default; SB3's
VecEnv needs SAME_STEP)"""

SUBENV_OVERHEAD_BYTES = 1024
"""what the base itself holds per sub-env, whatever the env: one ``numpy.random.Generator``
(about 0.9 KiB each, measured) and its bookkeeping arrays; so even an env without a
``memory_per_env`` estimate refuses a ``num_envs`` of millions before allocating them"""

EVERY_ENV = slice(None)
"""the ``idx`` of a step or reset of every sub-env (cheaper to index than an arange)"""


def check_vector_args(
    env_name: str, num_envs: Any, render_mode: str | None, autoreset_mode: Any
) -> tuple[int, AutoresetMode]:
    """Validate a vector env's common constructor arguments.

    Returns:
        ``num_envs`` as an int and the ``AutoresetMode``.

    Raises:
        ValueError: a render mode (vector envs have none), an unknown autoreset mode, or a
            ``num_envs`` that is not a positive integer.
    """
    if render_mode is not None:
        raise ValueError(f"{env_name} has no render modes, got {render_mode!r}")
    values = [mode.value for mode in AUTORESET_MODES]
    if autoreset_mode not in AUTORESET_MODES and autoreset_mode not in values:
        raise ValueError(f"autoreset_mode must be one of {values}, got {autoreset_mode!r}")
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
    return int(num_envs), AutoresetMode(autoreset_mode)


def check_reset_options(
    env_name: str, options: dict[str, Any] | None, allowed: frozenset[str]
) -> dict[str, Any]:
    """``options`` as a dict (empty for None); names outside ``allowed`` raise ``ValueError``."""
    if not options:
        return {}
    if not isinstance(options, dict):
        raise ValueError(f"{env_name}: reset options must be a dict, got {options!r}")
    unknown = set(options) - allowed
    if unknown:
        if not allowed:
            raise ValueError(f"{env_name} takes no reset options, got {sorted(options)}")
        raise ValueError(
            f"{env_name}: unknown reset options {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return options


def same_step_reset(
    finished: np.ndarray,
    obs: Any,
    info: Callable[[], dict[str, Any]],
    reset: Callable[[np.ndarray], None],
) -> dict[str, Any]:
    """SAME_STEP autoreset: reset the finished sub-envs now and return the step's info.

    ``obs`` holds the observations before the reset (an array, or a dict of arrays); ``info()``
    builds the info of the current state and ``reset(idx)`` resets sub-envs ``idx``. The
    finished sub-envs' last observation and info go to ``info["final_obs"]`` /
    ``info["final_info"]``, masked by ``_final_obs`` / ``_final_info``, as Gymnasium's
    SyncVectorEnv does.
    """
    if not finished.any():
        return info()
    idx = np.flatnonzero(finished)
    final_obs = np.empty(len(finished), dtype=object)
    for i in idx:
        if isinstance(obs, dict):
            final_obs[i] = {key: value[i].copy() for key, value in obs.items()}
        else:
            final_obs[i] = obs[i].copy()
    final_info = info()
    reset(idx)
    out = info()
    out["final_obs"] = final_obs
    out["_final_obs"] = finished.copy()
    out["final_info"] = final_info
    out["_final_info"] = finished.copy()
    return out


class NumpyVectorEnv(VectorEnv):
    """N sub-envs of one ``BatchSim`` stepped together in numpy (see the module docstring).

    ``autoreset_mode`` is NEXT_STEP (the default, Gymnasium's: a finished sub-env is reset by
    the next ``step``, which returns its first observation with reward 0) or SAME_STEP (finished
    sub-envs reset inside the step; their last observation and info are in
    ``info["final_obs"]`` / ``info["final_info"]``), which is what SB3's VecEnv expects.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": [],
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }
    params_class: ClassVar[type]
    """the env's ``EnvParams`` dataclass"""
    reset_options: ClassVar[frozenset[str]] = frozenset()
    """the names ``reset(options=...)`` accepts (handed to ``sim.reset``)"""

    sim: BatchSim

    def __init__(
        self,
        num_envs: int = 1,
        params: Any = None,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **overrides: Any,
    ) -> None:
        self.num_envs, self.autoreset_mode = check_vector_args(
            type(self).__name__, num_envs, render_mode, autoreset_mode
        )
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = None
        self.params = self.params_class.coerce(params, overrides)
        per_env = SUBENV_OVERHEAD_BYTES + self.memory_per_env()
        check_memory(
            type(self).__name__,
            per_env * self.num_envs,
            f"num_envs={self.num_envs} x {format_bytes(per_env)} per sub-env",
        )
        self.sim = self.make_sim()
        self.single_action_space, self.single_observation_space = self.make_spaces()
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._rngs: list[np.random.Generator] | None = None
        self._prev_done = np.zeros(self.num_envs, dtype=bool)
        self._started = False
        self._all = np.arange(self.num_envs)
        self._mask = np.ones(self.num_envs, dtype=bool)
        self._mask.setflags(write=False)

    # ------------------------------------------------------------------ what a subclass writes
    def make_sim(self) -> BatchSim:
        """The sim of ``self.num_envs`` envs with ``self.params``."""
        raise NotImplementedError

    def make_spaces(self) -> tuple[spaces.Space, spaces.Space]:
        """The action and observation space of one sub-env."""
        raise NotImplementedError

    def check_actions(self, actions: Any) -> Any:
        """Validate a batch of actions (``ValueError`` naming the bad entry) and return them
        as the sim expects them, one row per sub-env."""
        raise NotImplementedError

    def memory_per_env(self) -> float:
        """Bytes one sub-env's state holds (an estimate from ``self.params``, before the sim
        exists; shared tables are checked by the sim itself). The default, 0, counts only the
        base's ``SUBENV_OVERHEAD_BYTES``."""
        return 0.0

    def on_reseed(self) -> None:
        """Called by ``reset`` when it gets a seed, after the generators are replaced."""

    def autoreset(self, idx: np.ndarray) -> None:
        """Start new episodes in the finished sub-envs ``idx`` during a ``step``."""
        self.sim.reset(idx, self._rngs, {})

    def _observation(self) -> Any:
        return self.sim.observation()

    def _info_arrays(self) -> dict[str, Any]:
        return self.sim.info()

    # ------------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        options = check_reset_options(type(self).__name__, options, self.reset_options)
        reseeded = reseed_vector(seed, self.num_envs, self._rngs)
        if reseeded is not None:
            self._rngs, self._np_random_seed = reseeded
            self.on_reseed()
        self._np_random = self._rngs[0]
        self.sim.reset(self._all, self._rngs, options)
        self._prev_done[:] = False
        self._started = True
        return self._observation(), self._info()

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = self.check_actions(actions)
        sim = self.sim
        done = self._prev_done
        restart = None
        if self.autoreset_mode == AutoresetMode.NEXT_STEP and done.any():
            # NEXT_STEP: finished sub-envs only reset, so step just the others
            restart = np.flatnonzero(done)
            live = np.flatnonzero(~done)
            if len(live):
                sim.step(live, actions[live], self._rngs)
        else:
            sim.step(EVERY_ENV, actions, self._rngs)
        reward = sim.reward.copy()
        terminated = sim.terminated.copy()
        truncated = sim.truncated.copy()
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            info = same_step_reset(
                terminated | truncated, self._observation(), self._info, self.autoreset
            )
            return self._observation(), reward, terminated, truncated, info
        if restart is not None:
            self.autoreset(restart)
            reward[restart] = 0.0
            terminated[restart] = False
            truncated[restart] = False
        self._prev_done = terminated | truncated
        return self._observation(), reward, terminated, truncated, self._info()

    # ------------------------------------------------------------------ internals
    def _info(self) -> dict[str, Any]:
        info = self._info_arrays()
        for key in list(info):
            info["_" + key] = self._mask
        return info


__all__ = [
    "AUTORESET_MODES",
    "EVERY_ENV",
    "SUBENV_OVERHEAD_BYTES",
    "NumpyVectorEnv",
    "check_reset_options",
    "check_vector_args",
    "same_step_reset",
]
