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

from ...core.budget import check_memory
from .. import physics
from ..nv2019 import NV2019_ALPHAS
from ..topologies import QuantumTopology, candidate_paths
from .demands import Demand
from .limits import path_bytes
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
    memory_base: float = 0.0,
) -> list[PumpingScheme]:
    """Pumping schemes of every action 1 .. D K J, in action order (d major, then k, then j).

    The estimates depend on the demand only through its two nodes and its F_min, so they are
    computed once per node pair (``_PathOptions``) and the choice once per F_min: thousands of
    demands between a few pairs cost little more than the pairs. Before a pair's options are
    built, the memory of every pair's paths so far (``limits.path_bytes``) plus
    ``memory_base`` (the rest of the episode) is checked against the memory budget.

    Raises:
        ValueError: the paths would exceed the memory budget (the message names their hops).
    """
    settings = link_settings(topology, table)
    rows = len(table.fidelities[0])
    per_pair: dict[tuple[int, int], list[list[_PathOptions]]] = {}
    path_memory = 0.0
    out = []
    for d, demand in enumerate(demands):
        pair = (demand.source, demand.destination)
        if pair not in per_pair:
            paths = candidate_paths(topology, pair[0], pair[1], params.n_paths)
            hops = sum(len(path) - 1 for path in paths)
            path_memory += path_bytes(hops, params, rows)
            check_memory(
                "QuantumNetworkSchedulingEnv",
                memory_base + path_memory,
                f"{len(per_pair) + 1} node pairs so far, the last with {hops} hops over "
                f"{len(paths)} paths, n_paths={params.n_paths}, max_depth={params.max_depth}",
            )
            per_pair[pair] = _pair_options(topology, pair, params, settings)
        for by_depth in per_pair[pair]:
            out.extend(options.scheme(d, demand.fidelity_min) for options in by_depth)
    return out


def link_settings(
    topology: QuantumTopology, table: LinkTable
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``table.at(length)`` of every link (computed once per distinct length)."""
    by_length: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    out = []
    for km in topology.length_km.tolist():
        if km not in by_length:
            by_length[km] = table.at(float(km))
        out.append(by_length[km])
    return out


def _pair_options(
    topology: QuantumTopology,
    pair: tuple[int, int],
    params: SchedulingParams,
    settings: list[tuple[np.ndarray, np.ndarray]],
) -> list[list[_PathOptions]]:
    """``[k][j]``: the options of path k and depth j between the two nodes of ``pair``."""
    paths = candidate_paths(topology, pair[0], pair[1], params.n_paths)
    out = []
    for k in range(params.n_paths):
        path = paths[k] if k < len(paths) else ()
        edges = tuple(topology.edge_index(a, b) for a, b in zip(path[:-1], path[1:], strict=True))
        out.append([_PathOptions(path, edges, j, settings, params) for j in range(params.n_depths)])
    return out


class _PathOptions:
    """Every link-table row of one (path, depth): its expected slots and fidelity, and the
    chosen row per F_min: the fastest row whose fidelity reaches it (of equally fast rows, the
    first)."""

    def __init__(
        self,
        path: tuple[int, ...],
        edges: tuple[int, ...],
        depth: int,
        settings: list[tuple[np.ndarray, np.ndarray]],
        params: SchedulingParams,
    ) -> None:
        self.path, self.edges, self.depth = path, edges, depth
        self.rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []
        """per row: (link fidelities, success probabilities, expected slots, fidelity)"""
        if edges:
            fids = np.stack([settings[e][0] for e in edges])  # (hops, rows)
            rates = np.stack([settings[e][1] for e in edges])
            for row in range(fids.shape[1]):
                fid = np.ascontiguousarray(fids[:, row])
                q = success_prob_per_slot(np.ascontiguousarray(rates[:, row]), params.slot_s)
                fid.setflags(write=False)  # shared by every demand that uses this row
                q.setflags(write=False)
                slots, f_est = fast_estimate(fid, q, depth, params)
                self.rows.append((fid, q, slots, f_est))
        self._slots = np.array([row[2] for row in self.rows])
        self._fidelity = np.array([row[3] for row in self.rows])
        self._chosen: dict[float, int] = {}

    def scheme(self, d: int, fidelity_min: float) -> PumpingScheme:
        """The pumping scheme of demand ``d`` with ``fidelity_min`` on this path and depth."""
        row = self._chosen.get(fidelity_min)
        if row is None:
            feasible = np.flatnonzero(self._fidelity >= fidelity_min)
            row = int(feasible[np.argmin(self._slots[feasible])]) if len(feasible) else -1
            self._chosen[fidelity_min] = row
        if row < 0:
            empty = np.zeros(0)
            return PumpingScheme(
                d, self.path, self.edges, self.depth, -1, empty, empty, np.inf, 0.25, False
            )
        fid, q, slots, f_est = self.rows[row]
        return PumpingScheme(d, self.path, self.edges, self.depth, row, fid, q, slots, f_est, True)


def fast_estimate(
    fidelity: np.ndarray, q: np.ndarray, depth: int, params: SchedulingParams
) -> tuple[float, float]:
    """``estimate``, bit for bit, without its per-hop checks and calls: the same IEEE
    operations in the same order, on arrays over the hops (pumping, memory decay) and on
    Python floats along the chain of swaps. A path of 20,000 hops takes milliseconds."""
    slots = protocol_slots_estimate(q, depth)
    wait_s = 0.5 * slots * params.slot_s
    fresh = np.clip(fidelity, 0.25, 1.0)
    current = fresh
    for _ in range(depth):  # physics.bbpssw, as pumped_fidelity calls it
        f1 = np.clip(current, 0.25, 1.0)
        g1, g2 = 1.0 - f1, 1.0 - fresh
        p = f1 * fresh + f1 * g2 / 3.0 + fresh * g1 / 3.0 + 5.0 * g1 * g2 / 9.0
        current = (f1 * fresh + g1 * g2 / 9.0) / p
    time = np.asarray(wait_s, dtype=float)
    with np.errstate(over="ignore"):  # t / T = inf for a tiny T: the factor is exp(-inf) = 0
        factor = np.exp(-2.0 * time / np.asarray(params.memory_time_s, dtype=float))
    hops = 0.25 + (np.clip(current, 0.25, 1.0) - 0.25) * factor  # physics.decay_werner
    gate = np.asarray(params.swap_gate_fid, dtype=float)
    eta = np.asarray(params.swap_meas_fid, dtype=float)
    scale = float(gate * (4.0 * eta * eta - 1.0) / 3.0)
    w_next = ((4.0 * np.clip(hops[1:], 0.25, 1.0) - 1.0) / 3.0).tolist()
    out = float(hops[0])
    for w2 in w_next:  # physics.swap_werner, as chain_fidelity calls it
        w1 = (4.0 * min(max(out, 0.25), 1.0) - 1.0) / 3.0
        out = (1.0 + 3.0 * (scale * w1 * w2)) / 4.0
    return slots, out


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


def capacity_links(
    topology: QuantumTopology, table: LinkTable
) -> tuple[list[tuple[int, int, float]], float]:
    """The links of ``capacity_bound_ebit_s`` as (a, b, eta_arm) and the fastest link's
    attempts per second: what every pair's bound shares (compute it once per topology)."""
    alphas = np.asarray(NV2019_ALPHAS)
    edges = []
    attempts_per_s = []
    settings = link_settings(topology, table)
    for (a, b), km, (_, rates) in zip(
        topology.edges.tolist(), topology.length_km, settings, strict=True
    ):
        tau = float(physics.attempt_time_s(float(km), NV_PHOTON_EMISSION_DELAY_S))
        eta = float(np.clip(np.max(rates * tau / (2.0 * alphas[: len(rates)])), 0.0, 1.0 - 1e-12))
        edges.append((a, b, eta))
        attempts_per_s.append(1.0 / tau)
    return edges, max(attempts_per_s)


def capacity_bound_ebit_s(
    topology: QuantumTopology,
    table: LinkTable,
    source: int,
    target: int,
    links: tuple[list[tuple[int, int, float]], float] | None = None,
) -> float:
    """Min-cut bound (ebit/s) on the entanglement rate between two nodes (module docstring).

    Per link: attempt time tau = t_emit + L / c (midpoint heralding), eta_arm = max over table
    rows of rate tau / (2 alpha), capacity per use -log2(1 - eta_arm) (``physics.plob_capacity``).
    ``physics.min_cut_capacity`` gives the min-cut per use; multiplying it by the fastest
    link's attempts per second bounds the min-cut of the per-second capacities from above.
    ``links``: ``capacity_links(topology, table)``, when the caller has it already.
    """
    edges, attempts_per_s = links or capacity_links(topology, table)
    per_use = physics.min_cut_capacity(edges, source, target)
    return per_use * attempts_per_s


Protocol = PumpingScheme
"""the old name of ``PumpingScheme`` (kept for one release)"""

__all__ = [
    "NV_PHOTON_EMISSION_DELAY_S",
    "Protocol",
    "PumpingScheme",
    "achievable_rate_hz",
    "build_protocols",
    "capacity_bound_ebit_s",
    "capacity_links",
    "chain_fidelity",
    "estimate",
    "fast_estimate",
    "link_settings",
    "pumped_fidelity",
]
