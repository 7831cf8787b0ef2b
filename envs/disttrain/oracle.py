"""Oracles of path selection: König edge-colouring and the fractional min-congestion LP.

- ``edge_colouring``: the edges of a bipartite multigraph (source switch -> destination
  switch, one edge per cross-switch flow or piece) coloured with exactly Delta colours (its
  largest degree), by the alternating-path argument of König's theorem. On a healthy,
  non-blocking leaf-spine fabric (H B = S C_up) with equal flows and one flow in and out per
  NIC, Delta <= H pieces per leaf; giving colour c the spine ``c mod S`` puts at most
  ceil(Delta / S) pieces on every uplink and downlink, which is what oblivious spraying
  achieves (reference section 1, "Why single path can match spraying").
- ``min_congestion_lp``: the fractional split that minimises the step congestion
  ``max_e l_e / c_e`` over the alive equal-cost paths (scipy's HiGHS), on any fabric, with
  degraded links and already-placed load; its value is a lower bound of every placement of
  the same flows, and equals ideal adaptive spraying.
- ``round_shares``: an LP split rounded to ``pieces`` equal pieces per flow (largest
  remainders), the oracle's discrete plan.
"""

from __future__ import annotations

import numpy as np

from .cost import congestion, nic_loads, path_loads
from .topology import Fabric


def edge_colouring(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(E,) a proper colouring of the bipartite multigraph with edges ``left[e] - right[e]``
    using ``max degree`` colours (no two edges at a node share a colour)."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    n_edges = len(left)
    if n_edges == 0:
        return np.zeros(0, dtype=np.int64)
    n_left, n_right = int(left.max()) + 1, int(right.max()) + 1
    delta = int(max(np.bincount(left).max(), np.bincount(right).max()))
    at = [
        [[-1] * delta for _ in range(n_left)],  # at[0][node][colour] = edge
        [[-1] * delta for _ in range(n_right)],
    ]
    colour = [-1] * n_edges
    ends = (left.tolist(), right.tolist())
    for e in range(n_edges):
        u, v = ends[0][e], ends[1][e]
        a = at[0][u].index(-1)
        if at[1][v][a] == -1:
            _set(at, ends, colour, e, a)
            continue
        b = at[1][v].index(-1)
        if at[0][u][b] == -1:
            _set(at, ends, colour, e, b)
            continue
        # flip the a/b alternating path that starts at v with colour a; it cannot reach u
        path, side, node, c = [], 1, v, a
        while True:
            edge = at[side][node][c]
            if edge == -1:
                break
            path.append(edge)
            side = 1 - side
            node = ends[side][edge]
            c = b if c == a else a
        for edge in path:
            at[0][ends[0][edge]][colour[edge]] = -1
            at[1][ends[1][edge]][colour[edge]] = -1
        for edge in path:
            _set(at, ends, colour, edge, b if colour[edge] == a else a)
        _set(at, ends, colour, e, a)
    return np.array(colour, dtype=np.int64)


def _set(at: list, ends: tuple, colour: list, edge: int, c: int) -> None:
    colour[edge] = c
    at[0][ends[0][edge]][c] = edge
    at[1][ends[1][edge]][c] = edge


def colouring_paths(
    fabric: Fabric, src: np.ndarray, dst: np.ndarray, pieces: int = 1
) -> np.ndarray:
    """(F, pieces) path index of every piece: the flows' pieces as edges between switches,
    edge-coloured, colour c on path ``c mod P`` of its pair (intra-switch flows: path 0).
    Meant for two-tier fabrics (leaf-spine, rail-optimised), where path p is spine p."""
    a = np.repeat(fabric.nic_switch[src], pieces)
    b = np.repeat(fabric.nic_switch[dst], pieces)
    out = np.zeros(len(a), dtype=np.int64)
    cross = a != b
    if cross.any():
        colours = edge_colouring(a[cross], b[cross])
        out[cross] = colours % fabric.n_paths[a[cross], b[cross]]
    return out.reshape(len(src), pieces)


def min_congestion_lp(
    fabric: Fabric,
    src: np.ndarray,
    dst: np.ndarray,
    size: np.ndarray,
    base_loads: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """The fractional min-congestion split of one step.

    Args:
        fabric: the fabric, capacity factors applied.
        src, dst, size: the step's flows (NIC ids, bytes).
        base_loads: (n_links + 1,) bytes already on the links (other flows), or None.

    Returns:
        (kappa, share): the optimal congestion in seconds (NIC links and base load
        included) and the (F, P) split (rows sum to 1; intra-switch flows on path 0).

    Raises:
        ValueError: a flow with no alive path, or an LP the solver cannot solve.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n_flows, n_paths = len(src), fabric.max_paths
    a, b = fabric.nic_switch[src], fabric.nic_switch[dst]
    alive = fabric.path_alive(a, b)
    if not alive.any(axis=1).all():
        f = int(np.flatnonzero(~alive.any(axis=1))[0])
        raise ValueError(f"flow {int(src[f])} -> {int(dst[f])} has no alive path")
    share = np.zeros((n_flows, n_paths))
    share[:, 0] = 1.0
    base = nic_loads(fabric, src, dst, size)
    if base_loads is not None:
        base = base + base_loads
    cross = np.flatnonzero(a != b)
    if len(cross) == 0:
        return congestion(base, fabric.capacity), share
    scale_bytes = float(size.max())
    scale_cap = fabric.nic_bps
    f_idx, p_idx = np.nonzero(alive[cross])
    n_vars = len(f_idx) + 1  # x then t
    links = fabric.paths[a[cross][f_idx], b[cross][f_idx], p_idx]  # (V, H)
    cap = fabric.capacity / scale_cap
    coef = (size[cross][f_idx] / scale_bytes)[:, None] / cap[links]
    real = links != fabric.null_link
    used = np.unique(links[real])
    row_of = np.full(fabric.n_links + 1, -1)
    row_of[used] = np.arange(len(used))
    var = np.broadcast_to(np.arange(len(f_idx))[:, None], links.shape)
    rows = np.concatenate([row_of[links[real]], np.arange(len(used))])
    cols = np.concatenate([var[real], np.full(len(used), n_vars - 1)])
    vals = np.concatenate([coef[real], -np.ones(len(used))])
    a_ub = coo_matrix((vals, (rows, cols)), shape=(len(used), n_vars)).tocsr()
    b_ub = -(base[used] / scale_bytes) / cap[used]
    a_eq = coo_matrix(
        (np.ones(len(f_idx)), (f_idx, np.arange(len(f_idx)))), shape=(len(cross), n_vars)
    ).tocsr()
    floor = congestion(base, fabric.capacity) * scale_cap / scale_bytes
    bounds = [(0.0, None)] * (n_vars - 1) + [(floor, None)]
    cost = np.zeros(n_vars)
    cost[-1] = 1.0
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=np.ones(len(cross)),
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        raise ValueError(f"the min-congestion LP failed: {result.message}")
    x = np.clip(result.x[:-1], 0.0, None)
    share[cross] = 0.0
    np.add.at(share, (cross[f_idx], p_idx), x)
    share[cross] /= share[cross].sum(axis=1, keepdims=True)
    loads = path_loads(fabric, src, dst, size, share)
    if base_loads is not None:
        loads = loads + base_loads
    return congestion(loads, fabric.capacity), share


def round_shares(share: np.ndarray, pieces: int) -> np.ndarray:
    """(F, pieces) path index of each of ``pieces`` equal pieces per flow: ``floor(share k)``
    pieces per path, the rest to the largest remainders (ties to the lower path index)."""
    exact = share * pieces
    counts = np.floor(exact + 1e-9).astype(np.int64)
    missing = pieces - counts.sum(axis=1)
    order = np.argsort(-(exact - counts), axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(len(share))[:, None]
    ranks[rows, order] = np.arange(share.shape[1])[None, :]
    counts += ranks < missing[:, None]
    out = np.repeat(np.tile(np.arange(share.shape[1]), len(share)), counts.ravel())
    return out.reshape(len(share), pieces)


__all__ = ["colouring_paths", "edge_colouring", "min_congestion_lp", "round_shares"]
