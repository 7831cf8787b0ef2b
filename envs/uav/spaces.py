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


def check_joint_actions(params: UavParams, actions: Any, batch: tuple[int, ...]) -> np.ndarray:
    """Validate joint actions of shape ``batch + (K,)`` (discrete) or ``batch + (K, 2)``."""
    k = params.n_uavs
    if (  # fast path: an integer array of the right shape (what agents and wrappers pass)
        not params.continuous
        and isinstance(actions, np.ndarray)
        and actions.dtype.kind in "iu"
        and actions.shape == (*batch, k)
    ):
        flat = actions.ravel().tolist()
        if flat and (min(flat) < 0 or max(flat) >= params.n_actions):
            raise ValueError(
                f"discrete actions must be in [0, {params.n_actions - 1}], got {actions!r}"
            )
        return actions.astype(np.int64, copy=False)
    array = np.asarray(actions)
    if params.continuous:
        if array.size != int(np.prod(batch)) * k * 2:
            raise ValueError(f"actions must hold {k} x 2 velocities per env, got {array.shape}")
        array = array.reshape(*batch, k, 2).astype(float)
        if not np.isfinite(array).all():
            raise ValueError("continuous actions must be finite")
        return np.clip(array, -1.0, 1.0)
    if array.shape != (*batch, k):
        raise ValueError(f"actions must have shape {(*batch, k)}, got {array.shape}")
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(f"discrete actions must be integers, got {actions!r}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= params.n_actions):
        raise ValueError(
            f"discrete actions must be in [0, {params.n_actions - 1}], got {actions!r}"
        )
    return array


__all__ = [
    "agent_action_space",
    "agent_observation_space",
    "central_spaces",
    "check_joint_actions",
    "state_space",
]
