"""Spaces of the multi-UAV env (one UAV's, the joint ones of the central env, the global state)
and the check of joint actions."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .params import UavParams


def agent_action_space(params: UavParams) -> spaces.Space:
    """One UAV's actions: ``Discrete(1 + directions * levels)`` or ``Box(-1, 1, (2,))``."""
    if params.continuous:
        return spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
    return spaces.Discrete(params.n_actions)


def agent_observation_space(params: UavParams) -> spaces.Space:
    """One UAV's observation space for ``params.obs_mode``."""
    size, k = params.heatmap_size, params.n_uavs
    if params.obs_mode == "tabular":
        return spaces.Discrete(params.n_cells)
    if params.obs_mode == "vector":
        return spaces.Box(0.0, 1.0, (5 + 2 * (k - 1) + size * size,), dtype=np.float32)
    return spaces.Box(0.0, 1.0, (3, size, size), dtype=np.float32)


def state_space(params: UavParams) -> spaces.Box:
    """The global state ``UavSim.state()``: ``Box(0, 1, (3K + 2 + G^2,))``."""
    size = params.heatmap_size
    return spaces.Box(0.0, 1.0, (3 * params.n_uavs + 2 + size * size,), dtype=np.float32)


def central_spaces(params: UavParams) -> tuple[spaces.Space, spaces.Space]:
    """Joint action and observation spaces of the centralised env."""
    size, k = params.heatmap_size, params.n_uavs
    if params.continuous:
        action: spaces.Space = spaces.Box(-1.0, 1.0, (2 * k,), dtype=np.float32)
    else:
        action = spaces.MultiDiscrete(np.full(k, params.n_actions, dtype=np.int64))
    if params.obs_mode == "tabular":
        observation: spaces.Space = spaces.MultiDiscrete(np.full(k, params.n_cells, dtype=np.int64))
    elif params.obs_mode == "vector":
        observation = state_space(params)
    else:
        observation = spaces.Box(0.0, 1.0, (1 + k, size, size), dtype=np.float32)
    return action, observation


FEW_ACTIONS = 64
"""up to this many discrete actions are checked as a Python list (cheaper than two numpy
reductions), above it with ``min`` / ``max``"""


def check_joint_actions(params: UavParams, actions: Any, batch: tuple[int, ...]) -> np.ndarray:
    """Validate joint actions of the central space's shape, ``batch + (K,)`` (discrete) or
    ``batch + (2K,)`` (continuous), and return them as the sim takes them: ``batch + (K,)``
    int64 or ``batch + (K, 2)`` float velocities.

    Raises:
        ValueError: another shape (a (K, 2) array is not reshaped), non-integer or out-of-range
            levels, or velocities that are not finite or lie outside the Box [-1, 1] (agents
            clip to their action space, as SB3's do; the env does not clip for them).
    """
    k = params.n_uavs
    if (  # fast path: an integer array of the right shape (what agents and wrappers pass)
        not params.continuous
        and isinstance(actions, np.ndarray)
        and actions.dtype.kind in "iu"
        and actions.shape == (*batch, k)
    ):
        if actions.size > FEW_ACTIONS:  # a batch: numpy's reductions beat a Python list
            low, high = (int(actions.min()), int(actions.max()))
        else:
            flat = actions.ravel().tolist()
            low, high = (min(flat), max(flat)) if flat else (0, 0)
        if low < 0 or high >= params.n_actions:
            raise ValueError(
                f"discrete actions must be in [0, {params.n_actions - 1}], got {actions!r}"
            )
        return actions.astype(np.int64, copy=False)
    array = np.asarray(actions)
    if params.continuous:
        if array.shape != (*batch, 2 * k):
            raise ValueError(
                f"continuous actions must have shape {(*batch, 2 * k)} (the action space: "
                f"UAV k's velocity in entries 2k, 2k + 1), got {array.shape}"
            )
        return check_velocities(array, "continuous actions").reshape(*batch, k, 2)
    if array.shape != (*batch, k):
        raise ValueError(f"actions must have shape {(*batch, k)}, got {array.shape}")
    return _check_levels(params, array, actions)


def check_agent_action(params: UavParams, agent: str, action: Any) -> Any:
    """Validate one PettingZoo agent's action against ``agent_action_space``: a level (an int)
    or a velocity of shape (2,) inside [-1, 1]; return it as an int or a (2,) float array.

    Raises:
        ValueError: naming the agent, as ``check_joint_actions``.
    """
    if (  # fast path: an integer level in range (what PettingZoo agents pass)
        not params.continuous
        and isinstance(action, (int, np.integer))
        and not isinstance(action, bool)
        and 0 <= action < params.n_actions
    ):
        return int(action)
    array = np.asarray(action)
    if params.continuous:
        if array.shape != (2,):
            raise ValueError(
                f"the action of {agent} must be a velocity of shape (2,), got {array.shape}"
            )
        return check_velocities(array, f"the action of {agent}")
    if array.shape != ():
        raise ValueError(f"the action of {agent} must be one integer level, got {action!r}")
    return int(_check_levels(params, array, action, f"the action of {agent}"))


FLOAT32_ONE = 1.0 + 2.0**-24
"""the largest float64 that rounds to 1.0 in float32, the Box's dtype"""


def check_velocities(array: np.ndarray, what: str) -> np.ndarray:
    """Velocities as float64, refused unless finite and inside [-1, 1] as float32 (the Box's
    dtype, so that a float64 that rounds to 1.0f passes)."""
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{what} must be numbers, got dtype {array.dtype}")
    velocity = array.astype(float)
    if not np.isfinite(velocity).all():
        raise ValueError(f"{what} must be finite, got {array!r}")
    outside = np.abs(velocity) > FLOAT32_ONE
    if outside.any():
        bad = velocity.ravel()[np.flatnonzero(outside.ravel())[0]]
        raise ValueError(
            f"{what} must lie in the action space's Box [-1, 1] (velocity / top speed; clip "
            f"them, as SB3 agents do), got {float(bad)!r}"
        )
    return np.clip(velocity, -1.0, 1.0)


def _check_levels(
    params: UavParams, array: np.ndarray, actions: Any, what: str = "discrete actions"
) -> np.ndarray:
    if array.dtype.kind not in "iu":
        whole = (
            array.dtype.kind == "f"
            and np.isfinite(array).all()
            and np.array_equal(array, np.round(array))
        )
        if not whole:
            raise ValueError(f"{what} must be integers, got {actions!r}")
    if array.size and (array.min() < 0 or array.max() >= params.n_actions):
        raise ValueError(f"{what} must be in [0, {params.n_actions - 1}], got {actions!r}")
    return array.astype(np.int64)


__all__ = [
    "agent_action_space",
    "agent_observation_space",
    "central_spaces",
    "check_agent_action",
    "check_joint_actions",
    "check_velocities",
    "FEW_ACTIONS",
    "FLOAT32_ONE",
    "state_space",
]
