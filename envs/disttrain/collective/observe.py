"""Observations of ``netgym/CollectivePath-v0`` (all values in [0, 1], float32).

Loads are observed as link load / capacity in units of the current pattern's cut bound
(1 = as busy as the bound allows), clipped at ``obs_scale`` and divided by it; a loaded
failed link reads as saturated.

Flow mode, for the piece to place (reference section 6, E1 "Observation"; O(P H), independent
of the number of NICs): per equal-cost path p of its switch pair, the load of each of the H
switch hops (null hops 0), the smallest capacity factor on the path and whether the path is
alive; then the piece's own size on its NIC link in the same units, its index / pieces, the
share of the episode's decisions made, the share of patterns done, and the collective as a
one-hot over ``COLLECTIVES``.

Step mode: the loads and capacity factors of every switch-to-switch link, per flow slot of the
pattern (source switch / E, destination switch / E, whether it needs a decision), the share of
patterns done and the collective one-hot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..collectives import COLLECTIVES
from .episode import Model
from .kernels import flow_observe
from .params import CollectivePathParams

if TYPE_CHECKING:
    from .sim import CollectiveSim

FLOW_SCALARS = 4
"""piece size, piece index, decisions done, patterns done"""


def observation_size(params: CollectivePathParams, model: Model) -> int:
    """Length of one env's observation in ``params.mode``."""
    fab = model.fabric
    if params.mode == "step":
        return 2 * len(fab.fabric_links()) + 3 * model.max_flows + 2 + len(COLLECTIVES)
    hops = fab.paths.shape[3]
    return fab.max_paths * (hops + 2) + FLOW_SCALARS + len(COLLECTIVES)


def scaled_ratio(
    loads: np.ndarray, inverse_capacity: np.ndarray, unit: np.ndarray | float, scale: float
) -> np.ndarray:
    """``min(load / capacity / unit, scale) / scale``, with the capacities given as their
    inverses (``sim.inverse_capacity``: a loaded failed link saturates)."""
    return np.minimum(loads * inverse_capacity / unit, scale) / scale


def gather_links(table: np.ndarray, envs: np.ndarray, links: np.ndarray) -> np.ndarray:
    """``table[envs[:, None, None], links]`` for a per-env link table (N, n_links) and link ids
    (n, P, H) of envs ``envs`` (n,): the same values through flat indices (``np.take`` beats
    the broadcast fancy index several times over)."""
    offsets = (envs * table.shape[1]).reshape((-1,) + (1,) * (links.ndim - 1))
    return np.take(table, links + offsets)


def hop_min(values: np.ndarray) -> np.ndarray:
    """``values.min(axis=-1)`` over the few hops of a path, as elementwise minima of the hop
    columns (the same values: a reduction over an axis of 2-4 entries costs numpy a call per
    path, the minima one pass per hop)."""
    out = values[..., 0].copy()
    for hop in range(1, values.shape[-1]):
        np.minimum(out, values[..., hop], out=out)
    return out


def flow_observation(sim: CollectiveSim) -> np.ndarray:
    """(N, size) observations of every env in flow mode (the ``flow_observe`` kernel)."""
    out = np.empty((sim.num_envs, sim.obs_size), dtype=np.float32)
    state = (sim.cursor, sim.n_decisions, sim.lb_cur, sim.healthy)
    flow_observe(
        sim.kernel_plan,
        state,
        sim.loads,
        sim.pattern,
        sim.n_patterns,
        sim.obs_constants,
        sim.model.kind_index,
        out,
    )
    return out


def step_observation(sim: CollectiveSim, m: int) -> np.ndarray:
    """(size,) observation of env m in step mode."""
    fab = sim.model.fabric
    ids = fab.fabric_links()
    scale = sim.params.obs_scale
    out = np.zeros(observation_size(sim.params, sim.model), dtype=np.float32)
    plan = sim.plans[m]
    n_links = len(ids)
    out[:n_links] = scaled_ratio(sim.loads[m, ids], sim.inv_capacity[m, ids], sim.lb_cur[m], scale)
    out[n_links : 2 * n_links] = sim.factors[m, ids]
    if plan is None:
        return out
    j = int(sim.pattern[m])
    s = plan.pattern_slice(j)
    count = s.stop - s.start
    slots = np.zeros((sim.model.max_flows, 3))
    slots[:count, 0] = plan.flow_a[s] / fab.n_switches
    slots[:count, 1] = plan.flow_b[s] / fab.n_switches
    q0 = int(plan.dec_end[j - 1]) if j else 0
    pending = plan.dec_flow[q0 : int(plan.dec_end[j])] - s.start
    slots[pending, 2] = 1.0
    base = 2 * n_links
    out[base : base + slots.size] = slots.ravel()
    base += slots.size
    out[base] = j / plan.patterns.count
    out[base + 1] = float(sim.done[m])
    out[base + 2 + sim.model.kind_index] = 1.0
    return out


__all__ = [
    "flow_observation",
    "observation_size",
    "scaled_ratio",
    "step_observation",
]
