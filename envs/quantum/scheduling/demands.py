"""Entanglement demands (source, destination, minimum fidelity, rate) and their job releases.

Generators follow the QoS paper's code (Skrzypczyk & Wehner, arXiv:2111.13124;
``mdskrzypczyk/LinkScheduling``, ``simulations/common.py``):

* ``"random"`` (``get_network_demands``): source and destination drawn among the end nodes
  (among the connected pairs of them),
  F_min = round(0.6 + 0.3 U, 3), R = 10 / 2^k ebit/s with k uniform in {7, ..., 10};
* ``"taskset"`` (``get_taskset``): R = 10 / 2^k with k in {3, ..., 6} (1.25 ... 0.156 ebit/s)
  and F_min drawn as above (the paper fixes one F_min per run; pass ``fidelity`` for that);
* ``load_demands`` (``get_fixed_load_taskset``): demands of one fidelity are added until their
  rates sum to a network load, each rate drawn from 1 / (slot 2^i), i = 0..9, among those below
  the protocol's achievable rate and the load still missing.

A demand becomes a periodic task with period ceil(1 / (R slot)) slots (``period_slots``). Jobs
are released every period (``"periodic"``, all demands in phase at slot 0 as in the paper's
synchronous task sets) or by a Poisson process of rate R (``"poisson"``); each job's deadline is
its release plus one period.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..topologies import QuantumTopology, candidate_paths

DEMAND_MODES = ("random", "taskset")
RELEASE_MODES = ("periodic", "poisson")
MAX_PERIOD_SLOTS = float(2**62)
"""periods must stay below this (slot numbers are int64)"""


@dataclass(frozen=True)
class Demand:
    """One user request: pairs between two end nodes at a minimum fidelity and rate.

    Attributes:
        source: node index of one end.
        destination: node index of the other end.
        fidelity_min: minimum fidelity of each delivered pair, in (1/4, 1].
        rate_hz: pairs per second requested (ebit/s).
    """

    source: int
    destination: int
    fidelity_min: float
    rate_hz: float

    def __post_init__(self) -> None:
        for name in ("source", "destination"):
            object.__setattr__(self, name, _node(name, getattr(self, name)))
        if self.source == self.destination:
            raise ValueError(f"a demand needs two different nodes, got {self.source} twice")
        if not (math.isfinite(self.fidelity_min) and 0.25 < self.fidelity_min <= 1.0):
            raise ValueError(f"demand fidelity_min must be in (0.25, 1], got {self.fidelity_min}")
        if not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ValueError(f"demand rate_hz must be > 0, got {self.rate_hz}")

    def period_slots(self, slot_s: float) -> int:
        """The task period ceil(1 / (R slot)) in slots (at least 1).

        Raises:
            ValueError: a period of ``MAX_PERIOD_SLOTS`` slots or more (a rate so low that not
                even one job fits in any episode an int64 clock can count).
        """
        product = self.rate_hz * slot_s
        slots = 1.0 / product - 1e-9 if product > 0 else math.inf
        if not slots < MAX_PERIOD_SLOTS:
            raise ValueError(
                f"demand rate_hz={self.rate_hz!r} with {slot_s!r} s slots gives a period of "
                f"{slots:.3g} slots, at least {MAX_PERIOD_SLOTS:.3g}; raise the rate"
            )
        return max(1, math.ceil(slots))


def _node(name: str, value: object) -> int:
    """A node index: an integer, or a float with an integral value (``0.7`` is refused)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"demand {name} must be a node index (an integer), got {value!r}")
    if isinstance(value, (int, np.integer)):
        number = int(value)
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        number = int(value)
    else:
        raise ValueError(f"demand {name} must be a node index (an integer), got {value!r}")
    if number < 0:
        raise ValueError(f"demand {name} must be a node index >= 0, got {value!r}")
    return number


def check_demands(topology: QuantumTopology, demands: Sequence[Demand]) -> None:
    """Raise ``ValueError`` unless every demand joins two connected end nodes of ``topology``."""
    if len(demands) == 0:
        raise ValueError("at least one demand is needed")
    ends = set(topology.end_nodes)
    for index, demand in enumerate(demands):
        for node in (demand.source, demand.destination):
            if node not in ends:
                raise ValueError(
                    f"demand {index}: node {node} is not an end node of topology "
                    f"{topology.name!r} (end nodes: {sorted(ends)})"
                )
        candidate_paths(topology, demand.source, demand.destination, 1)  # raises if unconnected


class EndPairs(Sequence[tuple[int, int]]):
    """Ordered pairs (source, destination) of distinct end nodes joined by some path, indexed
    without being listed: for every end node ``a`` in order, the other end nodes of its
    connected component in order. A network with m end nodes has up to m (m - 1) pairs; this
    holds O(m) numbers, not the pairs."""

    def __init__(self, topology: QuantumTopology) -> None:
        ends = np.asarray(topology.end_nodes, dtype=np.int64)
        component = topology.component_of[ends]
        order = np.argsort(component, kind="stable")
        self._members = ends[order]
        """end nodes grouped by component (each group in end-node order)"""
        self._group_start = np.searchsorted(component[order], component)
        """(m,) where the group of each end node starts in ``_members``"""
        self._position = np.empty(len(ends), dtype=np.int64)
        """(m,) position of each end node within its group"""
        self._position[order] = np.arange(len(ends)) - self._group_start[order]
        self._ends = ends
        partners = np.bincount(component)[component] - 1
        self._first = np.concatenate(([0], np.cumsum(partners)))
        """(m + 1,) index of each end node's first pair"""

    def __len__(self) -> int:
        return int(self._first[-1])

    def __getitem__(self, index: int) -> tuple[int, int]:  # type: ignore[override]
        if not 0 <= index < len(self):
            raise IndexError(f"pair index {index} outside [0, {len(self)})")
        a = int(np.searchsorted(self._first, index, side="right")) - 1
        j = int(index - self._first[a])
        if j >= self._position[a]:
            j += 1  # skip the pair (a, a)
        return int(self._ends[a]), int(self._members[self._group_start[a] + j])


def connected_end_pairs(topology: QuantumTopology) -> list[tuple[int, int]]:
    """Ordered pairs (source, destination) of distinct end nodes joined by some path, as a list
    (``EndPairs`` indexes them without listing them)."""
    return list(EndPairs(topology))


def _pair(rng: np.random.Generator, pairs: Sequence[tuple[int, int]]) -> tuple[int, int]:
    src, dst = pairs[int(rng.integers(len(pairs)))]
    return int(src), int(dst)


def generate_demands(
    rng: np.random.Generator,
    topology: QuantumTopology,
    count: int,
    mode: str = "taskset",
    fidelity: float | None = None,
    fidelity_range: tuple[float, float] = (0.6, 0.9),
) -> list[Demand]:
    """``count`` demands drawn as the QoS code does (see the module docstring).

    Args:
        rng: the only source of randomness.
        topology: demands join two distinct end nodes of it.
        count: number of demands.
        mode: ``"random"`` (k in 7..10) or ``"taskset"`` (k in 3..6).
        fidelity: a fixed F_min for every demand; None draws round(lo + (hi - lo) U, 3).
        fidelity_range: (lo, hi) of the drawn F_min; the QoS code's (0.6, 0.9) by default.
    """
    if mode not in DEMAND_MODES:
        raise ValueError(f"demand mode must be one of {list(DEMAND_MODES)}, got {mode!r}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    if fidelity is not None and not 0.25 < fidelity <= 1.0:
        raise ValueError(f"fidelity must be in (0.25, 1], got {fidelity}")
    lo, hi = fidelity_range
    if not 0.25 < lo <= hi <= 1.0:
        raise ValueError(f"fidelity_range must satisfy 0.25 < lo <= hi <= 1, got {fidelity_range}")
    exponents = np.arange(7, 11) if mode == "random" else np.arange(3, 7)
    pairs = EndPairs(topology)
    if not pairs:
        raise ValueError(f"topology {topology.name!r} has no two connected end nodes")
    demands = []
    for _ in range(count):
        src, dst = _pair(rng, pairs)
        f_min = fidelity if fidelity is not None else round(lo + rng.random() * (hi - lo), 3)
        rate = 10.0 / 2.0 ** int(rng.choice(exponents))
        demands.append(Demand(src, dst, float(f_min), rate))
    check_demands(topology, demands)
    return demands


def load_demands(
    rng: np.random.Generator,
    topology: QuantumTopology,
    load_hz: float,
    fidelity: float,
    slot_s: float,
    achievable_rate_hz: Callable[[int, int], float],
    max_tries: int = 1000,
) -> list[Demand]:
    """Demands of one fidelity whose rates sum to at least ``load_hz`` (``get_fixed_load_taskset``).

    Args:
        achievable_rate_hz: the rate a protocol can reach between two nodes (the paper uses
            1 / latency of its expected-duration schedule); pairs it gives 0 for are skipped.
        max_tries: source/destination draws before giving up.

    Raises:
        ValueError: bad arguments, or the load cannot be reached within ``max_tries`` draws.
    """
    if not (math.isfinite(load_hz) and load_hz > 0):
        raise ValueError(f"load_hz must be > 0, got {load_hz}")
    rates = [1.0 / (slot_s * 2**i) for i in range(10)]
    pairs = EndPairs(topology)
    if not pairs:
        raise ValueError(f"topology {topology.name!r} has no two connected end nodes")
    demands: list[Demand] = []
    for _ in range(max_tries):
        current = sum(d.rate_hz for d in demands)
        if current >= load_hz:
            break
        src, dst = _pair(rng, pairs)
        achievable = achievable_rate_hz(src, dst)
        usable = [r for r in rates if r < achievable]
        if not usable:
            continue
        allowed = [r for r in usable if r < load_hz - current]
        rate = float(rng.choice(allowed)) if allowed else min(usable)
        demands.append(Demand(src, dst, float(fidelity), rate))
    else:
        raise ValueError(f"could not reach a load of {load_hz} ebit/s in {max_tries} draws")
    check_demands(topology, demands)
    return demands


def release_slots(
    rng: np.random.Generator,
    demands: Sequence[Demand],
    horizon_slots: int,
    slot_s: float,
    mode: str = "periodic",
) -> list[np.ndarray]:
    """Release slot of every job of every demand within ``[0, horizon_slots)``.

    ``"periodic"``: slots 0, p, 2p, ...; ``"poisson"``: exponential gaps of mean 1 / R seconds,
    rounded down to slots (several jobs can share a slot). Deadlines are release + period.
    """
    if mode not in RELEASE_MODES:
        raise ValueError(f"release mode must be one of {list(RELEASE_MODES)}, got {mode!r}")
    out = []
    for demand in demands:
        if mode == "periodic":
            out.append(np.arange(0, horizon_slots, demand.period_slots(slot_s), dtype=np.int64))
            continue
        mean_gap = 1.0 / (demand.rate_hz * slot_s)
        gaps = rng.exponential(mean_gap, size=int(2 * horizon_slots / mean_gap) + 16)
        # capped at the horizon before the cast: a sum past int64 would wrap around to a
        # negative slot (a release at slot 0); slots at the horizon are dropped anyway
        times = np.floor(np.minimum(np.cumsum(gaps), horizon_slots)).astype(np.int64)
        out.append(times[times < horizon_slots])
    return out


__all__ = [
    "DEMAND_MODES",
    "MAX_PERIOD_SLOTS",
    "RELEASE_MODES",
    "Demand",
    "EndPairs",
    "check_demands",
    "connected_end_pairs",
    "generate_demands",
    "load_demands",
    "release_slots",
]
