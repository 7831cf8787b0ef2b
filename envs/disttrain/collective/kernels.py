"""The compiled per-episode costs of ``netgym/CollectivePath-v0`` (numba,
``envs/core/compiled.py``): every step pattern's cut lower bound and oblivious-spraying
congestion, which ``episode.plan_episode`` needs at every reset (about 0.3 ms of small numpy
calls per episode before; the vector env pays it for every sub-env).

The same values as ``cost.step_lower_bound`` and ``cost.spraying_congestion`` (the general
numpy functions the baselines and the oracle use; ``tests/test_disttrain_collective.py``
checks equality on fabrics with and without failures): loads are accumulated flow by flow in
``numpy.bincount``'s order, the switches' cut capacities summed in numpy's pairwise order, and
the congestion is a maximum (order-free).
"""

from __future__ import annotations

import numpy as np

from ...core.compiled import kernel


@kernel
def _pairwise_sum(values, n):  # noqa: ANN001, ANN202  (a numba kernel)
    """``values[:n].sum()`` in numpy's order for a contiguous float64 array (pairwise:
    blocks of up to 128 values in 8 interleaved partial sums, longer runs halved)."""
    if n < 8:
        total = 0.0
        for i in range(n):
            total += values[i]
        return total
    if n <= 128:
        r0, r1, r2, r3 = values[0], values[1], values[2], values[3]
        r4, r5, r6, r7 = values[4], values[5], values[6], values[7]
        i = 8
        while i < n - n % 8:
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            total += values[i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values, half) + _pairwise_sum(values[half:], n - half)


@kernel
def _ratio(load, capacity):  # noqa: ANN001, ANN202  (a numba kernel)
    """``load / capacity`` for a loaded link (infinite on a failed one), 0 for an idle one."""
    if load <= 0.0:
        return 0.0
    if capacity == 0.0:
        return np.inf
    return load / capacity


@kernel
def _cut_capacity(capacity, links, count, scratch):  # noqa: ANN001, ANN202  (a numba kernel)
    """Per switch, the summed capacity of its ``count[e]`` links ``links[e]``."""
    out = np.empty(links.shape[0])
    for e in range(links.shape[0]):
        for i in range(count[e]):
            scratch[i] = capacity[links[e, i]]
        out[e] = _pairwise_sum(scratch, count[e])
    return out


@kernel
def pattern_costs(flow_start, src, dst, unit, a, b, fabric, lb_out, spray_out):  # noqa: ANN001, ANN201
    """For every pattern j (flows ``flow_start[j] .. flow_start[j + 1] - 1``): its cut lower
    bound into ``lb_out[j]`` and its oblivious-spraying congestion into ``spray_out[j]``
    (seconds per unit). ``fabric`` = (capacity, factors, paths, n_paths, up links, their
    counts, down links, their counts, n_nics, n_switches). Returns -1, or the first flow that
    has no alive path (then the costs are incomplete)."""
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
        lb_out[j] = bound
        for f in range(first, last):
            alive_count = 0
            for p in range(n_paths[a[f], b[f]]):
                alive = True
                for h in range(hops):
                    if factors[paths[a[f], b[f], p, h]] <= 0.0:
                        alive = False
                if alive:
                    alive_count += 1
            if alive_count == 0:
                return f
            # the share of every alive path; a dead or missing path adds 0.0 in numpy's
            # bincount, which changes no sum, so it is skipped
            weight = unit[f] * (1.0 / float(alive_count))
            for p in range(n_paths[a[f], b[f]]):
                alive = True
                for h in range(hops):
                    if factors[paths[a[f], b[f], p, h]] <= 0.0:
                        alive = False
                if alive:
                    for h in range(hops):
                        spray[paths[a[f], b[f], p, h]] += weight
        congestion = 0.0
        for e in range(n_links1 - 1):
            congestion = max(congestion, _ratio(spray[e] + nic[e], capacity[e]))
        spray_out[j] = congestion
    return -1


__all__ = ["pattern_costs"]
