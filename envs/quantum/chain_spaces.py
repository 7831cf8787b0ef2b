"""Spaces, observations, action checks and infos of the repeater-chain envs, shared by the
Gymnasium env, its vector env and the PettingZoo env (all over one ``ChainSim``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .chain_mdp import ChainMdp, State
from .chain_sim import ChainSim, StepResult
from .params import ChainParams

N_REPEATER_ACTIONS = 6
"""wait, swap, purify-left, purify-right, discard-left, discard-right"""


def make_params(params: ChainParams | dict | str | None, overrides: dict[str, Any]) -> ChainParams:
    """``params`` (ChainParams, a dict of fields, a preset name or None) with keyword overrides."""
    if params is not None and not isinstance(params, (ChainParams, dict, str)):
        raise ValueError(
            f"params must be a ChainParams, a dict, a preset name or None, got {type(params)}"
        )
    unknown = set(overrides) | (set(params) if isinstance(params, dict) else set())
    unknown -= set(ChainParams.field_names())
    if unknown:
        raise ValueError(
            f"unknown RepeaterChain parameters {sorted(unknown)}; known: "
            f"{ChainParams.field_names()}"
        )
    if isinstance(params, ChainParams):
        return params.replace(**overrides) if overrides else params
    if isinstance(params, str):
        return ChainParams.preset(params, **overrides)
    return ChainParams(**{**(params or {}), **overrides})


def n_pairs(params: ChainParams) -> int:
    """P = n (n - 1) / 2 node pairs."""
    return params.n_nodes * (params.n_nodes - 1) // 2


def pair_index(n_nodes: int) -> np.ndarray:
    """(n, n) index of pair (i, j), i < j, in the P-long pair axis (-1 elsewhere)."""
    table = np.full((n_nodes, n_nodes), -1, dtype=np.int64)
    count = 0
    for i in range(n_nodes):
        for j in range(i + 1, n_nodes):
            table[i, j] = count
            count += 1
    return table


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


def age_scale(params: ChainParams) -> float:
    """Ages are divided by this (the cutoff, or max_steps without one) and clipped to 1."""
    return float(max(params.cutoff if params.cutoff is not None else params.max_steps, 1))


def dict_obs(sim: ChainSim, pairs: np.ndarray, idx: Any = slice(None)) -> dict[str, np.ndarray]:
    """Batched Dict observations of chains ``idx``."""
    params = sim.params
    right, age, fid = sim.right[idx], sim.age[idx], sim.bds[idx][..., 0]
    batch, n, k = right.shape
    p = n * (n - 1) // 2
    exists = np.zeros((batch, k, p), dtype=np.float32)
    fid_obs = np.zeros((batch, k, p), dtype=np.float32)
    age_obs = np.zeros((batch, k, p), dtype=np.float32)
    scale = age_scale(params)
    rows, ends, lanes = np.nonzero(right >= 0)
    if rows.size:
        cols = pairs[ends, right[rows, ends, lanes]]
        exists[rows, lanes, cols] = 1.0
        fid_obs[rows, lanes, cols] = np.clip((fid[rows, ends, lanes] - 0.25) / 0.75, 0.0, 1.0)
        age_obs[rows, lanes, cols] = np.minimum(age[rows, ends, lanes] / scale, 1.0)
    used = (right >= 0).sum(axis=2) + (sim.left[idx] >= 0).sum(axis=2)
    capacity = np.full(n, 2 * k, dtype=np.float32)
    capacity[0] = capacity[-1] = k
    steps = sim.steps[idx].astype(np.float32)
    return {
        "link_exists": exists.reshape(batch, k * p),
        "link_fid": fid_obs.reshape(batch, k * p),
        "link_age": age_obs.reshape(batch, k * p),
        "mem_free": (1.0 - used / capacity).astype(np.float32),
        "t_frac": np.minimum(steps / params.max_steps, 1.0)[:, None].astype(np.float32),
    }


def mdp_state(sim: ChainSim, env: int) -> State:
    """The ``ChainMdp`` state (lane 0 links with ages) of chain ``env``."""
    right, age = sim.right[env, :, 0], sim.age[env, :, 0]
    return tuple((i, int(right[i]), int(age[i])) for i in range(sim.n_nodes) if right[i] >= 0)


def tabular_obs(sim: ChainSim, mdp: ChainMdp, idx: Any = slice(None)) -> np.ndarray:
    """Batched state indices of chains ``idx`` in ``mdp``."""
    envs = np.arange(sim.num_envs)[idx]
    out = np.empty(len(envs), dtype=np.int64)
    for row, env in enumerate(envs):
        key = mdp_state(sim, env)
        if key not in mdp.index:
            raise RuntimeError(f"chain state {key} is not a state of the finite MDP")
        out[row] = mdp.index[key]
    return out


def swap_masks_to_actions(masks: np.ndarray, n_nodes: int) -> np.ndarray:
    """Discrete swap masks (bit r = repeater r + 1 swaps) -> (B, n) node actions."""
    actions = np.zeros((len(masks), n_nodes), dtype=np.int64)
    for r in range(n_nodes - 2):
        actions[:, r + 1] = (masks >> r) & 1
    return actions


def tabular_action_masks(sim: ChainSim, mdp: ChainMdp, idx: Any = slice(None)) -> np.ndarray:
    """(B, 2^(n-2)) swap masks that use only repeaters able to swap."""
    node_masks = sim.action_masks(idx)
    n = sim.n_nodes
    able = np.zeros(node_masks.shape[0], dtype=np.int64)
    for r in range(n - 2):
        able |= node_masks[:, 2 + 6 * r + 1].astype(np.int64) << r
    codes = np.arange(mdp.n_actions)
    return (codes[None, :] & ~able[:, None]) == 0


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


def step_info(sim: ChainSim, result: StepResult | None, idx: Any = slice(None)) -> dict[str, Any]:
    """Batched info arrays: step, time_s, deliveries, delivered, delivered_fidelity,
    delivered_yield, yield_total, invalid_actions, gen_successes (B, n - 1)."""
    steps = sim.steps[idx]
    zeros = np.zeros(steps.shape)
    return {
        "step": steps.copy(),
        "time_s": steps * sim.params.step_s,
        "deliveries": sim.deliveries[idx].copy(),
        "delivered": result.delivered if result is not None else zeros.astype(np.int64),
        "delivered_fidelity": result.delivered_fidelity if result is not None else zeros,
        "delivered_yield": result.delivered_yield if result is not None else zeros,
        "yield_total": sim.yield_total[idx].copy(),
        "invalid_actions": result.invalid if result is not None else zeros.astype(np.int64),
        "gen_successes": sim.gen_count[idx].copy(),
    }
