"""Memory estimate of ``netgym/QuantumNetworkScheduling-v0``, checked before anything is built.

What an episode holds grows with the demands (their pumping schemes, queues and observation
features), the jobs they release over the horizon (a release slot, a queue entry and a
completion record each), the topology and the candidate paths. ``memory_estimate`` adds the
first three from the parameters, with per-item sizes measured with ``tracemalloc`` and rounded
up; the env checks it against the memory budget (``envs/core/budget.py``) in its constructor.
Paths are known only once the demands are drawn, so ``purification.build_protocols`` checks
their share (``PATH_BYTES_PER_HOP`` per hop and depth) pair by pair before it builds them.
"""

from __future__ import annotations

import math

from ..topologies import QuantumTopology
from .demands import Demand
from .params import SchedulingParams

BYTES_PER_DEMAND = 2048
"""a demand's record, queue, counters and observation features (about 1.5 KB measured)"""
BYTES_PER_ACTION = 512
"""one action's pumping scheme, mask and feasibility entries (about 300 B measured)"""
BYTES_PER_JOB = 192
"""one job's release slot, queue entry and completion record"""
BYTES_PER_GRAPH_ITEM = 1024
"""one node or link of the topology's shared ``networkx`` graph and its features"""
PATH_BYTES_PER_HOP = 96
"""one hop of a candidate path (its node, storage and edge entries), per pumping depth: the
link settings of every table row, 16 bytes each, come on top"""
POISSON_SCRATCH = 4.5 * 8
"""Poisson releases: bytes per drawn gap while a demand's arrivals are drawn (the gaps, their
sum, the rounded slots and the mask), for 2 horizon x (arrivals per slot) + 16 gaps"""
MAX_DRAWN_RATE_HZ = {"taskset": 10.0 / 2**3, "random": 10.0 / 2**7}
"""the highest rate a drawn demand can have (``demands.generate_demands``)"""


def release_load(params: SchedulingParams) -> tuple[float, float, int]:
    """(jobs an episode releases at most, the most arrivals per slot of one demand, the shortest
    period in slots): fixed demands by their own rates, drawn ones at the highest rate their
    demand mode draws. Poisson arrivals are counted at their mean rate, which can exceed one
    job per slot (several arrivals share a slot), where periodic releases cannot."""
    if params.demands is not None:
        rates = [demand.rate_hz for demand in params.demands]
        periods = [demand.period_slots(params.slot_s) for demand in params.demands]
    else:
        fastest = Demand(0, 1, 1.0, MAX_DRAWN_RATE_HZ[params.demand_mode])
        rates = [fastest.rate_hz]
        periods = [fastest.period_slots(params.slot_s)]
    horizon = params.horizon_slots
    if params.release_mode == "poisson":
        jobs = [
            max(math.ceil(horizon / p), horizon * r * params.slot_s)
            for r, p in zip(rates, periods, strict=True)
        ]
    else:
        jobs = [math.ceil(horizon / p) for p in periods]
    total = sum(jobs) if params.demands is not None else params.n_demands * jobs[0]
    return float(total), max(rates) * params.slot_s, min(periods)


def memory_estimate(params: SchedulingParams, topology: QuantumTopology) -> tuple[float, str]:
    """Bytes an episode holds without its paths, and the parameters that drive them.

    Returns:
        ``(bytes, detail)``: ``detail`` names the parameters for the budget's error message.
    """
    jobs, per_slot, shortest = release_load(params)
    scratch = 0.0
    if params.release_mode == "poisson":
        scratch = POISSON_SCRATCH * (2.0 * params.horizon_slots * per_slot + 16)
    graph = topology.n_nodes + topology.n_edges
    total = (
        params.n_demands * BYTES_PER_DEMAND
        + params.n_actions * BYTES_PER_ACTION
        + jobs * BYTES_PER_JOB
        + scratch
        + graph * BYTES_PER_GRAPH_ITEM
    )
    detail = (
        f"n_demands={params.n_demands} with {params.n_actions} actions, "
        f"horizon_slots={params.horizon_slots} releasing up to {jobs:.3g} jobs (periods from "
        f"{shortest} slots, up to {per_slot:.3g} arrivals per slot), topology "
        f"{topology.name!r} with {topology.n_nodes} nodes and {topology.n_edges} links"
    )
    return float(total), detail


def path_bytes(hops: int, params: SchedulingParams, table_rows: int) -> float:
    """Bytes of one candidate path of ``hops`` links: its pumping options at every depth."""
    return float(hops * params.n_depths * (PATH_BYTES_PER_HOP + 16 * table_rows))


__all__ = [
    "BYTES_PER_ACTION",
    "BYTES_PER_DEMAND",
    "BYTES_PER_GRAPH_ITEM",
    "BYTES_PER_JOB",
    "MAX_DRAWN_RATE_HZ",
    "PATH_BYTES_PER_HOP",
    "POISSON_SCRATCH",
    "release_load",
    "memory_estimate",
    "path_bytes",
]
