"""Pumping schemes of the scheduling env: for each (demand, path, depth) the link setting.

The QoS paper's "entanglement swap scheme search" picks, per demand, where to swap, how many
pumping rounds to run and which (fidelity, rate) row of the link table to use, from expected
durations. Here the path k and the pumping depth j come from the action, and the row is picked
the same way: the row with the shortest expected execution whose expected end-to-end fidelity
(pumped links that waited half the expected execution in memory, swapped with the device's gate
and measurement noise) reaches the demand's F_min. No such row: the action is masked out.

``capacity_bound_ebit_s`` gives the physical ceiling of reference/quantum.md 6.3 item 5 for a
pair of users: the min-cut of per-link PLOB capacities, with each NV link's arm transmissivity
recovered from its table through the single-click relation p = 2 alpha eta_arm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import physics
from ..nv2019 import NV2019_ALPHAS
from ..topologies import QuantumTopology, candidate_paths
from .demands import Demand
from .params import LinkTable, SchedulingParams, protocol_slots_estimate, success_prob_per_slot

NV_PHOTON_EMISSION_DELAY_S = 5.5e-6
"""NV photon emission delay, the preparation part of one attempt (reference 1.9)"""


@dataclass(frozen=True)
class PumpingScheme:
    """How one action serves a demand: path, pumping depth and link setting per hop (the QoS
    paper's repeater protocol; its old name ``Protocol`` is an alias kept for one release).

    Attributes:
        demand: demand index.
        path: node indices from source to destination (empty when the demand has fewer paths).
        edges: link index of each hop.
        depth: pumping rounds per hop (each adds one generated pair and one BBPSSW step).
        setting: link-table row used on every hop (-1 when infeasible).
        link_fidelity: (hops,) fidelity of a fresh pair on each hop.
        success_prob: (hops,) probability that a hop's generation succeeds within a slot.
        expected_slots: expected duration of an execution (generation in series plus a swap).
        expected_fidelity: estimated delivered fidelity (module docstring).
        feasible: whether the estimate reaches the demand's F_min.
    """

    demand: int
    path: tuple[int, ...]
    edges: tuple[int, ...]
    depth: int
    setting: int
    link_fidelity: np.ndarray
    success_prob: np.ndarray
    expected_slots: float
    expected_fidelity: float
    feasible: bool

    @property
    def hops(self) -> int:
        """Number of links on the path."""
        return len(self.edges)


def pumped_fidelity(fidelity: float, depth: int) -> float:
    """Fidelity after ``depth`` BBPSSW pumping rounds with fresh pairs of ``fidelity``."""
    current = fidelity
    for _ in range(depth):
        current = float(physics.bbpssw(current, fidelity)[1])
    return current


def chain_fidelity(fidelities: np.ndarray, gate_fid: float, meas_fid: float) -> float:
    """Fidelity after swapping a chain of Werner pairs at every intermediate node."""
    out = float(fidelities[0])
    for fid in fidelities[1:]:
        out = float(physics.swap_werner(out, float(fid), gate_fid, meas_fid))
    return out


def estimate(
    fidelity: np.ndarray, q: np.ndarray, depth: int, params: SchedulingParams
) -> tuple[float, float]:
    """(expected slots, expected delivered fidelity) of one execution (module docstring)."""
    slots = protocol_slots_estimate(q, depth)
    wait_s = 0.5 * slots * params.slot_s
    hops = np.array(
        [
            physics.depolarised_fidelity(
                pumped_fidelity(float(f), depth), wait_s, params.memory_time_s
            )
            for f in fidelity
        ]
    )
    return slots, chain_fidelity(hops, params.swap_gate_fid, params.swap_meas_fid)


def build_protocols(
    topology: QuantumTopology,
    demands: list[Demand],
    params: SchedulingParams,
    table: LinkTable,
) -> list[PumpingScheme]:
    """Pumping schemes of every action 1 .. D K J, in action order (d major, then k, then j)."""
    settings = [table.at(float(km)) for km in topology.length_km]
    out = []
    for d, demand in enumerate(demands):
        paths = candidate_paths(topology, demand.source, demand.destination, params.n_paths)
        for k in range(params.n_paths):
            path = paths[k] if k < len(paths) else ()
            edges = tuple(
                topology.edge_index(a, b) for a, b in zip(path[:-1], path[1:], strict=True)
            )
            for depth in range(params.n_depths):
                out.append(_best_setting(d, demand, path, edges, depth, settings, params))
    return out


def _best_setting(
    d: int,
    demand: Demand,
    path: tuple[int, ...],
    edges: tuple[int, ...],
    depth: int,
    settings: list[tuple[np.ndarray, np.ndarray]],
    params: SchedulingParams,
) -> PumpingScheme:
    best: PumpingScheme | None = None
    if edges:
        n_rows = len(settings[edges[0]][0])
        for row in range(n_rows):
            fid = np.array([settings[e][0][row] for e in edges])
            q = success_prob_per_slot(np.array([settings[e][1][row] for e in edges]), params.slot_s)
            slots, f_est = estimate(fid, q, depth, params)
            if f_est >= demand.fidelity_min and (best is None or slots < best.expected_slots):
                best = PumpingScheme(d, path, edges, depth, row, fid, q, slots, f_est, True)
    if best is None:
        empty = np.zeros(0)
        return PumpingScheme(d, path, edges, depth, -1, empty, empty, np.inf, 0.25, False)
    return best


def achievable_rate_hz(
    topology: QuantumTopology, params: SchedulingParams, table: LinkTable, fidelity: float
) -> Callable[[int, int], float]:
    """The rate 1 / (expected slots x slot) of the fastest feasible protocol between two nodes
    for pairs of ``fidelity`` (0 if none): the ``achievable_rate_hz`` argument of
    ``demands.load_demands``, as the QoS code's 1 / latency of a protocol's schedule."""

    def rate(source: int, destination: int) -> float:
        demand = Demand(source, destination, fidelity, 1.0)
        protocols = build_protocols(topology, [demand], params, table)
        slots = min((proto.expected_slots for proto in protocols if proto.feasible), default=None)
        return 0.0 if slots is None else 1.0 / (slots * params.slot_s)

    return rate


def capacity_bound_ebit_s(
    topology: QuantumTopology, table: LinkTable, source: int, target: int
) -> float:
    """Min-cut bound (ebit/s) on the entanglement rate between two nodes (module docstring).

    Per link: attempt time tau = t_emit + L / c (midpoint heralding), eta_arm = max over table
    rows of rate tau / (2 alpha), capacity per use -log2(1 - eta_arm) (``physics.plob_capacity``).
    ``physics.min_cut_capacity`` gives the min-cut per use; multiplying it by the fastest
    link's attempts per second bounds the min-cut of the per-second capacities from above.
    """
    alphas = np.asarray(NV2019_ALPHAS)
    edges = []
    attempts_per_s = []
    for (a, b), km in zip(topology.edges.tolist(), topology.length_km, strict=True):
        tau = float(physics.attempt_time_s(float(km), NV_PHOTON_EMISSION_DELAY_S))
        rates = table.at(float(km))[1]
        eta = float(np.clip(np.max(rates * tau / (2.0 * alphas[: len(rates)])), 0.0, 1.0 - 1e-12))
        edges.append((a, b, eta))
        attempts_per_s.append(1.0 / tau)
    per_use = physics.min_cut_capacity(edges, source, target)
    return per_use * max(attempts_per_s)


Protocol = PumpingScheme
"""the old name of ``PumpingScheme`` (kept for one release)"""

__all__ = [
    "NV_PHOTON_EMISSION_DELAY_S",
    "Protocol",
    "PumpingScheme",
    "achievable_rate_hz",
    "build_protocols",
    "capacity_bound_ebit_s",
    "chain_fidelity",
    "estimate",
    "pumped_fidelity",
]
