"""The level schedule of one interval's DADAO events, compiled (numba).

``DadaoSim.run`` merges the gradient and gossip clocks and gives every event a level: one more
than the last level at any of its nodes, so the events of one level touch disjoint nodes, commute
and run as one vectorised numpy batch, in the same order per node as the clocks give. Assigning
levels is a sequential loop over the events (each depends on the depths the earlier ones left),
which numpy cannot vectorise; ``event_levels`` is its only implementation. It does bookkeeping
only (integer depths and one subtraction per event and node for the elapsed times), so the
floating-point work of the levels stays in numpy, as before.
"""

from __future__ import annotations

import numpy as np

from ...core.compiled import kernel


@kernel
def event_levels(
    order: np.ndarray,
    grad_count: int,
    grad_times: np.ndarray,
    grad_nodes: np.ndarray,
    gossip_times: np.ndarray,
    gossip_pairs: np.ndarray,
    last: np.ndarray,
) -> tuple[np.ndarray, ...]:  # pragma: no cover - compiled by numba
    """Levels of the merged events and each event's elapsed time at its node(s).

    Args:
        order: the events in time order: ``k < grad_count`` is gradient ``k``, else gossip
            ``k - grad_count``.
        grad_count: how many gradient events there are.
        grad_times, grad_nodes: the gradient events' times and nodes.
        gossip_times, gossip_pairs: the gossip events' times and (k, 2) node pairs.
        last: (n,) each node's last event time; updated in place to the times after the events.

    Returns:
        ``(grad_ptr, grad_rows, gossip_ptr, gossip_rows, dts)``: the gradients of level ``l``
        are ``grad_rows[grad_ptr[l]:grad_ptr[l + 1]]``, rows of (node, index into ``dts``) in
        time order; the gossips of level ``l`` are ``gossip_rows[gossip_ptr[l]:gossip_ptr[l +
        1]]``, rows of (i, j, index of i's elapsed time in ``dts``; j's is the next); ``dts``
        the elapsed times in the order the events were met.
    """
    total = order.shape[0]
    n = last.shape[0]
    depth = np.zeros(n, dtype=np.int64)
    level = np.empty(total, dtype=np.int64)
    slot = np.empty(total, dtype=np.int64)
    dts = np.empty(grad_count + 2 * (total - grad_count))
    used = 0
    levels = 0
    for q in range(total):
        k = order[q]
        if k < grad_count:
            i = grad_nodes[k]
            t = grad_times[k]
            lev = depth[i]
            depth[i] = lev + 1
            dts[used] = t - last[i]
            slot[q] = used
            used += 1
            last[i] = t
        else:
            i = gossip_pairs[k - grad_count, 0]
            j = gossip_pairs[k - grad_count, 1]
            t = gossip_times[k - grad_count]
            lev = max(depth[i], depth[j])
            depth[i] = lev + 1
            depth[j] = lev + 1
            dts[used] = t - last[i]
            dts[used + 1] = t - last[j]
            slot[q] = used
            used += 2
            last[i] = t
            last[j] = t
        level[q] = lev
        if lev + 1 > levels:
            levels = lev + 1
    # a stable counting sort of the events by level, gradients and gossips apart
    grad_ptr = np.zeros(levels + 1, dtype=np.int64)
    gossip_ptr = np.zeros(levels + 1, dtype=np.int64)
    for q in range(total):
        if order[q] < grad_count:
            grad_ptr[level[q] + 1] += 1
        else:
            gossip_ptr[level[q] + 1] += 1
    for lev in range(levels):
        grad_ptr[lev + 1] += grad_ptr[lev]
        gossip_ptr[lev + 1] += gossip_ptr[lev]
    grad_rows = np.empty((grad_count, 2), dtype=np.int64)
    gossip_rows = np.empty((total - grad_count, 3), dtype=np.int64)
    grad_fill = grad_ptr[:-1].copy()
    gossip_fill = gossip_ptr[:-1].copy()
    for q in range(total):
        k = order[q]
        lev = level[q]
        if k < grad_count:
            row = grad_fill[lev]
            grad_rows[row, 0] = grad_nodes[k]
            grad_rows[row, 1] = slot[q]
            grad_fill[lev] = row + 1
        else:
            row = gossip_fill[lev]
            gossip_rows[row, 0] = gossip_pairs[k - grad_count, 0]
            gossip_rows[row, 1] = gossip_pairs[k - grad_count, 1]
            gossip_rows[row, 2] = slot[q]
            gossip_fill[lev] = row + 1
    return grad_ptr, grad_rows, gossip_ptr, gossip_rows, dts


__all__ = ["event_levels"]
