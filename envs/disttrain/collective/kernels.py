"""The compiled kernels of ``netgym/CollectivePath-v0`` (numba, ``envs/core/compiled.py``):

- ``pattern_costs`` and ``connections``: every step pattern's cut lower bound and
  oblivious-spraying congestion, and the connections of the flows, which
  ``episode.plan_episode`` needs at every reset (about 0.3 ms of small numpy calls per
  episode before; the vector env pays it for every sub-env);
- ``place_pieces`` and ``flow_observe``: a flow-mode step (one piece per env: its alive paths,
  the reroute of a dead choice, the link loads, the dense reward) and the flow-mode
  observation, for the scalar env (one env) and the vector env alike (they replace a batched
  numpy step and a scalar fast path).

The same values as ``cost.step_lower_bound`` and ``cost.spraying_congestion`` (the general
numpy functions the baselines and the oracle use; ``tests/test_disttrain_collective.py``
checks equality on fabrics with and without failures): loads are accumulated flow by flow in
``numpy.bincount``'s order, the switches' cut capacities summed in numpy's pairwise order, and
the congestion is a maximum (order-free).
"""

from __future__ import annotations

import numpy as np

from ...core.compiled import kernel
from ..kernels import pairwise_sum


@kernel
def _ratio(load: float, capacity: float) -> float:
    """``load / capacity`` for a loaded link (infinite on a failed one), 0 for an idle one."""
    if load <= 0.0:
        return 0.0
    if capacity == 0.0:
        return np.inf
    return load / capacity


@kernel
def congestion_of(loads: np.ndarray, capacity: np.ndarray) -> float:
    """``cost.congestion`` of one env's link rows: ``max_e loads_e / capacity_e`` over the
    links but the null (last) one, infinite for a loaded failed link, 0 when nothing is
    loaded (a maximum: the same value in any order)."""
    top = 0.0
    for e in range(loads.shape[0] - 1):
        top = max(top, _ratio(loads[e], capacity[e]))
    return top


@kernel
def load_decisions(
    m: int,
    dec_flow: np.ndarray,
    flow_a: np.ndarray,
    flow_b: np.ndarray,
    flow_conn: np.ndarray,
    unit: np.ndarray,
    pieces: int,
    rows: tuple,
) -> None:
    """Write the decision rows of env ``m`` for a new episode: ``rows`` = (dec_a, dec_b,
    dec_conn, dec_unit, conn_path); the decision flows' switches, connections and piece
    sizes (``unit / pieces``), every connection's paths unset (-1)."""
    dec_a, dec_b, dec_conn, dec_unit, conn_path = rows[0], rows[1], rows[2], rows[3], rows[4]
    for i in range(dec_flow.shape[0]):
        f = dec_flow[i]
        dec_a[m, i] = flow_a[f]
        dec_b[m, i] = flow_b[f]
        dec_conn[m, i] = flow_conn[f]
        dec_unit[m, i] = unit[f] / pieces
    conn_path[m] = -1


@kernel
def paths_in_range(actions: np.ndarray, count: int) -> bool:
    """Whether every path index of ``actions`` is in [0, count) (the vector env's check of
    an int64 action array, in one pass)."""
    for i in range(actions.shape[0]):
        if actions[i] < 0 or actions[i] >= count:
            return False
    return True


@kernel
def _cut_capacity(
    capacity: np.ndarray, links: np.ndarray, count: np.ndarray, scratch: np.ndarray
) -> np.ndarray:
    """Per switch, the summed capacity of its ``count[e]`` links ``links[e]``."""
    out = np.empty(links.shape[0])
    for e in range(links.shape[0]):
        for i in range(count[e]):
            scratch[i] = capacity[links[e, i]]
        out[e] = pairwise_sum(scratch, count[e])
    return out


@kernel
def pattern_costs(
    flow_start: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    unit: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    fabric: tuple,
    out: np.ndarray,
    first_loads: np.ndarray,
) -> int:
    """For every pattern j (flows ``flow_start[j] .. flow_start[j + 1] - 1``): its cut lower
    bound into ``out[0, j]``, its oblivious-spraying congestion into ``out[1, j]`` and the
    congestion of its NIC links alone into ``out[2, j]`` (seconds per unit); pattern 0's NIC
    loads (its loads before any decision) into ``first_loads``. ``fabric`` = (capacity,
    factors, paths, n_paths, up links, their counts, down links, their counts, n_nics,
    n_switches). Returns -1, or the first flow that has no alive path (then the costs are
    incomplete)."""
    capacity, factors, paths, n_paths = fabric[0], fabric[1], fabric[2], fabric[3]
    up_links, up_count, down_links, down_count = fabric[4], fabric[5], fabric[6], fabric[7]
    n_nics, n_switches = fabric[8], fabric[9]
    width = max(up_links.shape[1], down_links.shape[1], 1)
    scratch = np.empty(width)
    up = _cut_capacity(capacity, up_links, up_count, scratch)
    down = _cut_capacity(capacity, down_links, down_count, scratch)
    n_links1 = capacity.shape[0]
    nic = np.zeros(n_links1)
    spray = np.zeros(n_links1)
    leaving = np.zeros(n_switches)
    entering = np.zeros(n_switches)
    hops = paths.shape[3]
    alive = np.empty(paths.shape[2], dtype=np.bool_)
    failed = False  # a failed link (factor 0) kills paths; degraded ones do not
    for e in range(factors.shape[0]):
        if factors[e] <= 0.0:
            failed = True
    for j in range(flow_start.shape[0] - 1):
        first, last = flow_start[j], flow_start[j + 1]
        nic[:] = 0.0
        spray[:] = 0.0
        leaving[:] = 0.0
        entering[:] = 0.0
        for f in range(first, last):
            nic[src[f]] += unit[f]
        for f in range(first, last):
            nic[n_nics + dst[f]] += unit[f]
        bound = 0.0
        for e in range(2 * n_nics):
            bound = max(bound, _ratio(nic[e], capacity[e]))
        out[2, j] = bound
        if j == 0:
            first_loads[:] = nic
        crossing = False
        for f in range(first, last):
            if a[f] != b[f]:
                crossing = True
                leaving[a[f]] += unit[f]
        for f in range(first, last):
            if a[f] != b[f]:
                entering[b[f]] += unit[f]
        if crossing:
            cut = 0.0
            for e in range(n_switches):
                cut = max(cut, _ratio(leaving[e], up[e]))
            for e in range(n_switches):
                cut = max(cut, _ratio(entering[e], down[e]))
            bound = max(bound, cut)
        out[0, j] = bound
        for f in range(first, last):
            route = paths[a[f], b[f]]  # (P, H)
            count = n_paths[a[f], b[f]]
            alive_count = count
            if failed:
                alive_count = 0
                for p in range(count):
                    alive[p] = True
                    for h in range(hops):
                        if factors[route[p, h]] <= 0.0:
                            alive[p] = False
                    if alive[p]:
                        alive_count += 1
            if alive_count == 0:
                return f
            # the share of every alive path; a dead or missing path adds 0.0 in numpy's
            # bincount, which changes no sum, so it is skipped
            weight = unit[f] * (1.0 / float(alive_count))
            for p in range(count):
                if not failed or alive[p]:
                    for h in range(hops):
                        spray[route[p, h]] += weight
        congestion = 0.0
        for e in range(n_links1 - 1):
            congestion = max(congestion, _ratio(spray[e] + nic[e], capacity[e]))
        out[1, j] = congestion
    return -1


@kernel
def connections(
    keys: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    persistent: bool,
    conn: np.ndarray,
    needs: np.ndarray,
) -> int:
    """The connection of every flow and whether it needs decisions: ``persistent``, flows
    with equal ``keys`` share a connection, numbered in the keys' sorted order
    (``numpy.unique``'s inverse), and only a connection's first flow across switches
    (``a != b``) needs decisions; otherwise every flow is its own connection. Writes ``conn``
    and ``needs``; returns the number of connections."""
    n = keys.shape[0]
    if not persistent:
        for f in range(n):
            conn[f] = f
            needs[f] = a[f] != b[f]
        return n
    order = np.argsort(keys, kind="mergesort")  # stable: a group starts at its first flow
    rank = -1
    for i in range(n):
        f = order[i]
        if i == 0 or keys[f] != keys[order[i - 1]]:
            rank += 1
            needs[f] = a[f] != b[f]
        else:
            needs[f] = False
        conn[f] = rank
    return rank + 1


@kernel
def plan_flows(
    nic: np.ndarray,
    rank_src: np.ndarray,
    rank_dst: np.ndarray,
    unit: np.ndarray,
    flow_start: np.ndarray,
    pattern_of_flow: np.ndarray,
    persistent: bool,
    fabric: tuple,
) -> tuple:
    """An episode's flows under the placement ``nic`` (the NIC of each rank), in one call:
    every flow's NICs, edge switches, connection (``connections``), the decision flows and
    the decision flows up to each pattern (``numpy.flatnonzero`` and ``searchsorted``'s
    values), and the patterns' costs (``pattern_costs``). ``fabric`` = (nic_switch,
    capacity, factors, paths, n_paths, up links, their counts, down links, their counts,
    n_nics, n_switches).

    Returns (status, n_conn, src, dst, a, b, conn, dec_flow, dec_end, costs, first_loads):
    status -2 when every flow stays inside one edge switch (nothing else is computed), -1
    when the plan is complete, else the first flow without an alive path."""
    nic_switch, n_nics = fabric[0], fabric[9]
    n = rank_src.shape[0]
    count = flow_start.shape[0] - 1
    src = np.empty(n, dtype=np.int64)
    dst = np.empty(n, dtype=np.int64)
    a = np.empty(n, dtype=np.int64)
    b = np.empty(n, dtype=np.int64)
    crossing = False
    for f in range(n):
        src[f] = nic[rank_src[f]]
        dst[f] = nic[rank_dst[f]]
        a[f] = nic_switch[src[f]]
        b[f] = nic_switch[dst[f]]
        crossing = crossing or a[f] != b[f]
    conn = np.empty(n, dtype=np.int64)
    dec_end = np.zeros(count, dtype=np.int64)
    costs = np.empty((3, count))
    first_loads = np.empty(fabric[1].shape[0])
    if not crossing:
        return -2, 0, src, dst, a, b, conn, conn[:0], dec_end, costs, first_loads
    needs = np.empty(n, dtype=np.bool_)
    n_conn = connections(src * n_nics + dst, a, b, persistent, conn, needs)
    dec_flow = np.empty(n, dtype=np.int64)
    n_dec = 0
    for f in range(n):
        if needs[f]:
            dec_flow[n_dec] = f
            dec_end[pattern_of_flow[f]] += 1
            n_dec += 1
    for j in range(1, count):
        dec_end[j] += dec_end[j - 1]
    tables = (
        fabric[1],
        fabric[2],
        fabric[3],
        fabric[4],
        fabric[5],
        fabric[6],
        fabric[7],
        fabric[8],
        n_nics,
        fabric[10],
    )
    status = pattern_costs(flow_start, src, dst, unit, a, b, tables, costs, first_loads)
    return status, n_conn, src, dst, a, b, conn, dec_flow[:n_dec], dec_end, costs, first_loads


@kernel
def place_pieces(
    envs: np.ndarray,
    path: np.ndarray,
    plan: tuple,
    state: tuple,
    loads: np.ndarray,
    conn_path: np.ndarray,
    dense: bool,
    ended: np.ndarray,
) -> int:
    """Flow mode: place the next piece of each env ``envs[i]`` on path ``path[i]`` (rerouted,
    cyclically, to the first alive path at or after it when that path is dead).

    ``plan`` = (pieces, dec_a, dec_b, dec_conn, dec_unit, paths, n_paths, factors,
    inv_capacity, weight_cur, t_lb); ``state`` = (cursor, rerouted, reward, partial,
    credited, pending, steps, pattern_end). Each env's step starts with its reward at its
    pending reward (then 0) and one more step. Loads grow by the piece's unit once per
    distinct link of its path (numpy's fancy-index ``+=``); with ``dense`` the reward is
    charged the growth of the pattern's congestion. The envs whose pattern got its last
    piece go, in order, to the front of ``ended``; returns their number."""
    pieces, dec_a, dec_b, dec_conn, dec_unit = plan[0], plan[1], plan[2], plan[3], plan[4]
    paths, n_paths, factors, inv_capacity = plan[5], plan[6], plan[7], plan[8]
    weight_cur, t_lb = plan[9], plan[10]
    cursor, rerouted, reward, partial, credited = state[0], state[1], state[2], state[3], state[4]
    pending, steps, pattern_end = state[5], state[6], state[7]
    hops = paths.shape[3]
    n_ended = 0
    for i in range(envs.shape[0]):
        m = envs[i]
        reward[m] = pending[m]
        pending[m] = 0.0
        steps[m] += 1
        q = cursor[m] // pieces
        piece = cursor[m] - q * pieces
        a, b = dec_a[m, q], dec_b[m, q]
        count = paths.shape[2]
        chosen = path[i]
        if not _alive(paths, n_paths, factors[m], a, b, chosen):
            for shift in range(count):
                candidate = (shift + path[i]) % count
                if _alive(paths, n_paths, factors[m], a, b, candidate):
                    chosen = candidate
                    break
            else:
                chosen = path[i] % count  # no alive path: numpy's argmax of all False
            rerouted[m] += 1
        unit = dec_unit[m, q]
        for h in range(hops):
            link = paths[a, b, chosen, h]
            repeated = False
            for before in range(h):
                if paths[a, b, chosen, before] == link:
                    repeated = True
            if not repeated:
                loads[m, link] += unit
        conn_path[m, dec_conn[m, q], piece] = chosen
        cursor[m] += 1
        if dense:
            top = loads[m, paths[a, b, chosen, 0]] * inv_capacity[m, paths[a, b, chosen, 0]]
            for h in range(1, hops):
                link = paths[a, b, chosen, h]
                top = max(top, loads[m, link] * inv_capacity[m, link])
            partial[m] = max(partial[m], top)
            reward[m] -= weight_cur[m] * (partial[m] - credited[m]) / t_lb[m]
            credited[m] = partial[m]
        if cursor[m] == pattern_end[m]:
            ended[n_ended] = m
            n_ended += 1
    return n_ended


@kernel
def _alive(
    paths: np.ndarray, n_paths: np.ndarray, factors: np.ndarray, a: int, b: int, p: int
) -> bool:
    """Whether path ``p`` of switch pair (a, b) exists and none of its links has failed."""
    if p >= n_paths[a, b]:
        return False
    for h in range(paths.shape[3]):
        if factors[paths[a, b, p, h]] <= 0.0:
            return False
    return True


@kernel
def flow_observe(
    plan: tuple,
    state: tuple,
    loads: np.ndarray,
    pattern: np.ndarray,
    n_patterns: np.ndarray,
    constants: np.ndarray,
    kind_index: int,
    out: np.ndarray,
) -> None:
    """Flow mode: every env's observation into ``out`` (N, size) float32 (``observe.py``
    lists the values). ``plan`` as in ``place_pieces``, ``state`` = (cursor, n_decisions,
    lb_cur, healthy: every capacity factor of the env is 1); ``constants`` = [nic_bps,
    obs_scale]."""
    pieces, dec_a, dec_b, dec_unit = plan[0], plan[1], plan[2], plan[4]
    paths, n_paths, factors, inv_capacity = plan[5], plan[6], plan[7], plan[8]
    cursor, n_decisions, lb_cur = state[0], state[1], state[2]
    nic_bps, scale = constants[0], constants[1]
    count, hops = paths.shape[2], paths.shape[3]
    for m in range(out.shape[0]):
        d = min(cursor[m], n_decisions[m] - 1)
        q = d // pieces
        piece = d - q * pieces
        a, b = dec_a[m, q], dec_b[m, q]
        lb = lb_cur[m]
        row = out[m]
        healthy = state[3][m]
        usable = n_paths[a, b]
        for p in range(count):
            # the smallest capacity factor on the path: 1 on a healthy fabric
            smallest = 1.0 if healthy else factors[m, paths[a, b, p, 0]]
            for h in range(hops):
                link = paths[a, b, p, h]
                ratio = loads[m, link] * inv_capacity[m, link] / lb
                row[p * hops + h] = min(ratio, scale) / scale
                if not healthy:
                    smallest = min(smallest, factors[m, link])
            row[count * hops + p] = smallest
            alive = smallest > 0 and p < usable
            row[count * hops + count + p] = 1.0 if alive else 0.0
        base = count * hops + 2 * count
        piece_size = dec_unit[m, q] / nic_bps / lb
        row[base] = min(piece_size, scale) / scale
        row[base + 1] = piece / pieces
        row[base + 2] = min(cursor[m] / n_decisions[m], 1.0)
        row[base + 3] = pattern[m] / n_patterns[m]
        row[base + 4 :] = 0.0
        row[base + 4 + kind_index] = 1.0


__all__ = [
    "congestion_of",
    "connections",
    "flow_observe",
    "load_decisions",
    "paths_in_range",
    "pattern_costs",
    "place_pieces",
    "plan_flows",
]
