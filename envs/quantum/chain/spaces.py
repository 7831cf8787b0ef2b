"""Spaces and action checks of the repeater-chain envs, shared by the Gymnasium env, its vector
env and the PettingZoo env (all over one ``ChainSim``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .mdp import ChainMdp
from .observations import AGENT_FEATURES
from .params import ChainParams


def n_pairs(params: ChainParams) -> int:
    """P = n (n - 1) / 2 node pairs."""
    return params.n_nodes * (params.n_nodes - 1) // 2


def central_spaces(params: ChainParams, mdp: ChainMdp | None) -> tuple[spaces.Space, spaces.Space]:
    """(action space, observation space) of the centralised env."""
    if params.obs_mode == "tabular":
        assert mdp is not None
        return spaces.Discrete(mdp.n_actions), spaces.Discrete(mdp.n_states)
    k, p, n = params.mem_per_side, n_pairs(params), params.n_nodes
    box = {
        "link_exists": spaces.Box(0.0, 1.0, (k * p,), dtype=np.float32),
        "link_fid": spaces.Box(0.0, 1.0, (k * p,), dtype=np.float32),
        "link_age": spaces.Box(0.0, 1.0, (k * p,), dtype=np.float32),
        "mem_free": spaces.Box(0.0, 1.0, (n,), dtype=np.float32),
        "t_frac": spaces.Box(0.0, 1.0, (1,), dtype=np.float32),
    }
    return spaces.MultiDiscrete(params.n_node_actions), spaces.Dict(box)


def agent_spaces(
    params: ChainParams, agents: list[str]
) -> tuple[dict[str, spaces.Space], dict[str, spaces.Space]]:
    """(action spaces, observation spaces) of the PettingZoo agents ``node_0`` ... ``node_{n - 1}``
    (dicts by agent)."""
    nvec = params.n_node_actions
    size = 2 * params.mem_per_side * AGENT_FEATURES + 2
    actions = {agent: spaces.Discrete(int(nvec[m])) for m, agent in enumerate(agents)}
    observations = {agent: spaces.Box(0.0, 1.0, (size,), dtype=np.float32) for agent in agents}
    return actions, observations


def swap_masks_to_actions(masks: np.ndarray, n_nodes: int) -> np.ndarray:
    """Discrete swap masks (bit r = repeater r + 1 swaps) -> (B, n) node actions."""
    actions = np.zeros((len(masks), n_nodes), dtype=np.int64)
    for r in range(n_nodes - 2):
        actions[:, r + 1] = (masks >> r) & 1
    return actions


def check_actions(params: ChainParams, actions: Any, batch: tuple[int, ...]) -> np.ndarray:
    """Validate node actions (B, n) (dict mode) or swap masks (B,) (tabular mode); returns the
    (B, n) node actions as int64."""
    array = np.asarray(actions)
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(f"RepeaterChain actions must be integers, got {actions!r}")
        array = array.astype(np.int64)
    n = params.n_nodes
    if params.obs_mode == "tabular":
        if array.shape != batch:
            raise ValueError(f"tabular actions must have shape {batch}, got {array.shape}")
        limit = 2 ** max(n - 2, 0)
        if array.size and (array.min() < 0 or array.max() >= limit):
            raise ValueError(f"tabular actions must be in [0, {limit - 1}], got {actions!r}")
        return swap_masks_to_actions(array.reshape(-1), n)
    if array.shape != (*batch, n):
        raise ValueError(f"actions must have shape {(*batch, n)} (one per node), got {array.shape}")
    nvec = params.n_node_actions
    if array.size and ((array < 0).any() or (array >= nvec).any()):
        raise ValueError(
            f"node actions must be in [0, {nvec.tolist()} - 1] (end nodes 0-1, repeaters 0-5), "
            f"got {actions!r}"
        )
    return array.reshape(-1, n).astype(np.int64)


__all__ = ["agent_spaces", "central_spaces", "check_actions", "n_pairs", "swap_masks_to_actions"]
