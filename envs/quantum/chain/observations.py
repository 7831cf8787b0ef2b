"""Observations and infos of the repeater-chain envs, read from a ``ChainSim`` (no gymnasium).

One function per encoding, shared by the Gymnasium env, its vector env and the PettingZoo env:
the batched Dict observation (``dict_obs``), the tabular state index (``tabular_obs``), the
per-node rows of the PettingZoo agents (``node_features``) and the info arrays (``step_info``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..physics import scaled_fidelity
from .mdp import ChainMdp, State
from .params import ChainParams

if TYPE_CHECKING:
    from .sim import ChainSim

AGENT_FEATURES = 4
"""per memory: link exists, (F - 1/4) / (3/4), age / age scale, |partner - node| / (n - 1)"""


def pair_index(n_nodes: int) -> np.ndarray:
    """(n, n) index of pair (i, j), i < j, in the P-long pair axis (-1 elsewhere)."""
    table = np.full((n_nodes, n_nodes), -1, dtype=np.int64)
    count = 0
    for i in range(n_nodes):
        for j in range(i + 1, n_nodes):
            table[i, j] = count
            count += 1
    return table


def age_scale(params: ChainParams) -> float:
    """Ages are divided by this (the cutoff, or max_steps without one) and clipped to 1."""
    return float(max(params.cutoff if params.cutoff is not None else params.max_steps, 1))


def dict_obs(sim: ChainSim, pairs: np.ndarray, idx: Any = slice(None)) -> dict[str, np.ndarray]:
    """Batched Dict observations of chains ``idx`` (``pairs``: ``pair_index(n)``)."""
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
        fid_obs[rows, lanes, cols] = np.clip(scaled_fidelity(fid[rows, ends, lanes]), 0.0, 1.0)
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


def tabular_action_masks(sim: ChainSim, mdp: ChainMdp, idx: Any = slice(None)) -> np.ndarray:
    """(B, 2^(n-2)) swap masks that use only repeaters able to swap."""
    node_masks = sim.action_masks(idx)
    n = sim.n_nodes
    able = np.zeros(node_masks.shape[0], dtype=np.int64)
    for r in range(n - 2):
        able |= node_masks[:, 2 + 6 * r + 1].astype(np.int64) << r
    codes = np.arange(mdp.n_actions)
    return (codes[None, :] & ~able[:, None]) == 0


def node_features(sim: ChainSim, env: int = 0) -> np.ndarray:
    """(n, 8 k + 2) per-node observation rows of chain ``env`` (the PettingZoo agents'): for
    each of the node's 2 k memories (left lanes, then right lanes) the ``AGENT_FEATURES``, then
    the node's free-memory share and step / max_steps."""
    params = sim.params
    n, k = params.n_nodes, params.mem_per_side
    scale = age_scale(params)
    out = np.zeros((n, 2 * k * AGENT_FEATURES + 2), dtype=np.float32)
    right, left, age, fid = sim.right[env], sim.left[env], sim.age[env], sim.bds[env, ..., 0]
    for m in range(n):
        for s in range(k):
            for side, partner in enumerate((left[m, s], right[m, s])):
                if partner < 0:
                    continue
                end = partner if side == 0 else m  # links are stored at the left end
                col = (side * k + s) * AGENT_FEATURES
                out[m, col] = 1.0
                out[m, col + 1] = np.clip(scaled_fidelity(fid[end, s]), 0.0, 1.0)
                out[m, col + 2] = min(age[end, s] / scale, 1.0)
                out[m, col + 3] = abs(partner - m) / max(n - 1, 1)
        used = (left[m] >= 0).sum() + (right[m] >= 0).sum()
        capacity = k if m in (0, n - 1) else 2 * k
        out[m, -2] = 1.0 - used / capacity
    out[:, -1] = min(sim.steps[env] / params.max_steps, 1.0)
    return out


def info_values(sim: ChainSim, idx: Any = slice(None)) -> dict[str, Any]:
    """The info entries of chains ``idx``, read from the sim without copies (views, or numpy
    scalars and one row for an int ``idx``): step, time_s, deliveries (episode total),
    delivered, delivered_fidelity, delivered_yield (of the last step), yield_total,
    invalid_actions (of the last step), gen_successes (per link)."""
    steps = sim.steps[idx]
    return {
        "step": steps,
        "time_s": steps * sim.params.step_s,
        "deliveries": sim.deliveries[idx],
        "delivered": sim.delivered[idx],
        "delivered_fidelity": sim.delivered_fidelity[idx],
        "delivered_yield": sim.delivered_yield[idx],
        "yield_total": sim.yield_total[idx],
        "invalid_actions": sim.invalid[idx],
        "gen_successes": sim.gen_count[idx],
    }


def step_info(sim: ChainSim, idx: Any = slice(None)) -> dict[str, np.ndarray]:
    """Batched info arrays of chains ``idx`` (copies of ``info_values``; gen_successes is
    (B, n - 1))."""
    return {key: value.copy() for key, value in info_values(sim, idx).items()}


def scalar_info(sim: ChainSim, env: int = 0) -> dict[str, Any]:
    """The info of chain ``env`` as the scalar and PettingZoo envs return it: Python numbers,
    ``gen_successes`` an array."""
    return {
        key: (value.copy() if key == "gen_successes" else value.item())
        for key, value in info_values(sim, env).items()
    }


__all__ = [
    "AGENT_FEATURES",
    "age_scale",
    "dict_obs",
    "info_values",
    "mdp_state",
    "node_features",
    "pair_index",
    "scalar_info",
    "step_info",
    "tabular_action_masks",
    "tabular_obs",
]
