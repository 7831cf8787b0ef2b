"""Pieces shared by netgym's native vector envs: argument checks and SAME_STEP autoreset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

AUTORESET_MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)
"""the autoreset modes netgym's vector envs implement (NEXT_STEP is Gymnasium's default; SB3's
VecEnv needs SAME_STEP)"""


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


def same_step_reset(
    finished: np.ndarray,
    obs: np.ndarray,
    info: Callable[[], dict[str, Any]],
    reset: Callable[[np.ndarray], None],
) -> dict[str, Any]:
    """SAME_STEP autoreset: reset the finished sub-envs now and return the step's info.

    ``obs`` holds the observations before the reset; ``info()`` builds the info of the current
    state and ``reset(idx)`` resets sub-envs ``idx``. The finished sub-envs' last observation
    and info go to ``info["final_obs"]`` / ``info["final_info"]``, masked by ``_final_obs`` /
    ``_final_info``, as Gymnasium's SyncVectorEnv does.
    """
    if not finished.any():
        return info()
    idx = np.flatnonzero(finished)
    final_obs = np.empty(len(finished), dtype=object)
    for i in idx:
        final_obs[i] = obs[i].copy()
    final_info = info()
    reset(idx)
    out = info()
    out["final_obs"] = final_obs
    out["_final_obs"] = finished.copy()
    out["final_info"] = final_info
    out["_final_info"] = finished.copy()
    return out
