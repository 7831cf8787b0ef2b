"""Parameters of ``netgym/QuantumNetworkScheduling-v0`` (``SchedulingParams``) and its link table.

Defaults follow the QoS paper's small-network setting (Skrzypczyk & Wehner, arXiv:2111.13124;
``mdskrzypczyk/LinkScheduling``): 10 ms slots, NV links from the paper's link table (5 km links,
10 (fidelity, rate) settings), 1 communication and 3 storage qubits per node, swaps and
distillations of one slot each. Stored pairs depolarise with the NV carbon time constant
(reference/quantum.md 1.4 and 1.9: T2 = 1 s); swaps carry the NV electron-carbon gate noise
(depolarising 1/60) and the readout error (average of 0.05 and 0.005).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range, set_field
from ..nv2019 import NV2019_DEVICE, NV2019_LINK_TABLE, nv2019_gate_fid, nv2019_meas_fid
from ..topologies import TOPOLOGIES, QuantumTopology
from .demands import DEMAND_MODES, RELEASE_MODES, Demand

INVALID_ACTION_MODES = ("noop", "raise")
MAX_PENALTY = 1e6
"""the largest miss or invalid-action penalty: larger ones only push rewards towards overflow"""
SLOT_RANGE_S = (1e-9, 1e6)
"""the shortest and longest slot: outside it periods or waiting times leave float range"""
MIN_DRAWN_FIDELITY = 0.251
"""the lowest ``demand_fidelity_range`` end: drawn F_min are rounded to 3 decimals"""
MAX_SLOTS = 2**62
"""the longest horizon or cutoff (slots are int64)"""


@dataclass(frozen=True)
class LinkTable:
    """Heralded-link settings per fibre length: row ``r`` trades fidelity against rate.

    Attributes:
        distances_km: (m,) tabulated lengths, increasing.
        fidelities: (m, r) fidelity of a generated pair at each length and setting.
        rates_hz: (m, r) pair generation rate (successes per second) of each setting.
    """

    distances_km: np.ndarray
    fidelities: np.ndarray
    rates_hz: np.ndarray

    def __post_init__(self) -> None:
        m = len(self.distances_km)
        if m < 1 or self.fidelities.ndim != 2 or self.fidelities.shape[0] != m:
            raise ValueError("LinkTable: fidelities must be (distances, settings)")
        if self.rates_hz.shape != self.fidelities.shape:
            raise ValueError("LinkTable: rates_hz must have the shape of fidelities")
        if (np.diff(self.distances_km) <= 0).any() or (self.distances_km <= 0).any():
            raise ValueError("LinkTable: distances_km must be positive and increasing")
        if ((self.fidelities < 0.25) | (self.fidelities > 1.0)).any():
            raise ValueError("LinkTable: fidelities must be in [1/4, 1]")
        if not (self.rates_hz > 0).all():
            raise ValueError("LinkTable: rates_hz must be > 0")

    def at(self, length_km: float) -> tuple[np.ndarray, np.ndarray]:
        """(fidelities, rates_hz) of every setting for a link of ``length_km``.

        Between tabulated lengths the log-rate and the fidelity are interpolated linearly;
        shorter links use the first row. Longer links than the table raise ``ValueError``.
        """
        if length_km > self.distances_km[-1] + 1e-9:
            raise ValueError(
                f"link of {length_km:.3f} km is longer than the link table's "
                f"{self.distances_km[-1]:g} km"
            )
        x = float(np.clip(length_km, self.distances_km[0], self.distances_km[-1]))
        fid = np.array([np.interp(x, self.distances_km, col) for col in self.fidelities.T])
        log_rate = np.log(self.rates_hz)
        rate = np.exp([np.interp(x, self.distances_km, col) for col in log_rate.T])
        return fid, rate


def nv_link_table() -> LinkTable:
    """The NV link table of the QoS paper (``nv2019.NV2019_LINK_TABLE``, reference 1.9)."""
    table = NV2019_LINK_TABLE
    distances = np.array(sorted(table["rate_hz"]), dtype=float)
    fids = np.tile(np.asarray(table["fidelity"], dtype=float), (len(distances), 1))
    rates = np.array([table["rate_hz"][int(d)] for d in distances], dtype=float)
    return LinkTable(distances, fids, rates)


@dataclass(frozen=True)
class SchedulingParams(EnvParams):
    """All parameters of ``netgym/QuantumNetworkScheduling-v0``."""

    ENV_NAME: ClassVar[str] = "QuantumNetworkScheduling"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "paper": "paper",
        "default": "paper",
        "nv_noisy": "nv_noisy",
    }

    topology: Any = "star"
    """a name in ``topologies.TOPOLOGIES`` ('star', 'H', 'line6', 'symm8'), a ``.gml`` path,
    a ``networkx.Graph`` or a ``QuantumTopology``"""
    n_demands: int = 6
    """demands per episode D (ignored when ``demands`` is given)"""
    demands: tuple[Demand, ...] | None = None
    """fixed demands (``Demand`` or (source, destination, F_min, rate_hz) tuples); None draws
    ``n_demands`` per episode"""
    demand_mode: str = "taskset"
    """'taskset' (R = 10/2^k, k in 3..6) or 'random' (k in 7..10), as the QoS code"""
    demand_fidelity: float | None = None
    """one F_min for every drawn demand (the paper's per-run fidelity); None draws
    round(0.6 + 0.3 U, 3)"""
    demand_fidelity_range: tuple[float, float] = (0.55, 0.65)
    """(lo, hi) of the drawn F_min, round(lo + (hi - lo) U, 3). The QoS code draws from (0.6,
    0.9); with NV carbon memories (T = 1 s) and the 5 km link rates no protocol reaches more
    than about 0.63 over two hops, so the default range keeps most demands servable"""
    demand_seed: int | None = None
    """None: every episode draws its demands from its own seed; an integer fixes them"""
    release_mode: str = "periodic"
    """'periodic' jobs every period from slot 0, or 'poisson' arrivals of rate R"""
    n_paths: int = 2
    """candidate paths K per demand (k shortest by length)"""
    max_depth: int = 2
    """largest protocol depth j (pumping rounds per hop); actions cover j = 0..max_depth"""
    slot_s: float = NV2019_DEVICE["slot_s"]
    """slot duration (the QoS code's 10 ms; swap and distillation take one slot)"""
    horizon_slots: int = 2000
    """slots per episode (the episode is truncated after it)"""
    memory_time_s: float = NV2019_DEVICE["carbon_t2_s"]
    """depolarising time constant T of each stored qubit (NV carbon T2); a pair whose halves
    both wait decays as F(t) = 1/4 + (F0 - 1/4) exp(-2t / T)"""
    swap_gate_fid: float = 1.0
    """keep-probability of the swap's two-qubit gate; 1 as the QoS code's ``swap_links``
    (``SchedulingParams.nv_noisy()`` uses the NV electron-carbon gate, depolarising 1/60)"""
    swap_meas_fid: float = 1.0
    """Bell-measurement fidelity; 1 as the QoS code (``nv_noisy()``: NV readout errors 0.05 and
    0.005, averaged)"""
    cutoff_slots: int = 30
    """a stored pair older than this is discarded and its hop regenerated (memory cutoff)"""
    miss_penalty: float = 1.0
    """reward subtracted for each job whose deadline passes uncompleted"""
    invalid_action: str = "noop"
    """'noop': a masked-out action idles (``info['invalid_action']``); 'raise': ValueError"""
    invalid_action_penalty: float = 0.0
    """reward subtracted for a masked-out action in 'noop' mode"""

    def __post_init__(self) -> None:
        owner = "SchedulingParams"
        if not isinstance(self.topology, str) or not self.topology.lower().endswith(".gml"):
            if isinstance(self.topology, str) and self.topology not in TOPOLOGIES:
                raise ValueError(
                    f"{owner}.topology must be one of {sorted(TOPOLOGIES)}, a .gml path, a "
                    f"networkx.Graph or a QuantumTopology, got {self.topology!r}"
                )
        check_int(self, owner, "n_demands", low=1)
        if self.demands is not None:
            set_field(self, "demands", tuple(_as_demand(d) for d in self.demands))
            if not self.demands:
                raise ValueError(f"{owner}.demands must hold at least one demand")
            set_field(self, "n_demands", len(self.demands))
        check_choice(owner, "demand_mode", self.demand_mode, DEMAND_MODES)
        if self.demand_fidelity is not None:
            check_range(
                owner,
                "demand_fidelity",
                self.demand_fidelity,
                low=0.25,
                high=1.0,
                low_inclusive=False,
            )
        set_field(self, "demand_fidelity_range", _fidelity_range(self.demand_fidelity_range))
        if self.demand_seed is not None:
            check_int(self, owner, "demand_seed", low=0)
        check_choice(owner, "release_mode", self.release_mode, RELEASE_MODES)
        check_int(self, owner, "n_paths", low=1, high=16)
        check_int(self, owner, "max_depth", low=0, high=8)
        check_range(owner, "slot_s", self.slot_s, low=0.0, low_inclusive=False)
        check_range(owner, "slot_s", self.slot_s, low=SLOT_RANGE_S[0], high=SLOT_RANGE_S[1])
        check_int(self, owner, "horizon_slots", low=1, high=MAX_SLOTS)
        check_range(owner, "memory_time_s", self.memory_time_s, low=0.0, low_inclusive=False)
        check_range(
            owner, "swap_gate_fid", self.swap_gate_fid, low=0.0, high=1.0, low_inclusive=False
        )
        check_range(owner, "swap_meas_fid", self.swap_meas_fid, low=0.5, high=1.0)
        check_int(self, owner, "cutoff_slots", low=1, high=MAX_SLOTS)
        check_range(owner, "miss_penalty", self.miss_penalty, low=0.0, high=MAX_PENALTY)
        check_choice(owner, "invalid_action", self.invalid_action, INVALID_ACTION_MODES)
        check_range(
            owner, "invalid_action_penalty", self.invalid_action_penalty, low=0.0, high=MAX_PENALTY
        )

    @property
    def n_depths(self) -> int:
        """Protocol depths J = max_depth + 1."""
        return self.max_depth + 1

    @property
    def n_actions(self) -> int:
        """1 (idle) + D K J."""
        return 1 + self.n_demands * self.n_paths * self.n_depths

    @classmethod
    def nv_noisy(cls, topology: str | QuantumTopology = "star", **changes: Any) -> SchedulingParams:
        """The defaults with the NV swap noise (reference 1.9): gate keep-probability 1 - 1/60,
        Bell-measurement fidelity 1 - (0.05 + 0.005) / 2."""
        noise = {"swap_gate_fid": nv2019_gate_fid(), "swap_meas_fid": nv2019_meas_fid()}
        return cls(topology=topology, **{**noise, **changes})

    @classmethod
    def paper(cls, topology: str | QuantumTopology = "star", **changes: Any) -> SchedulingParams:
        """The QoS paper's small-network setting on ``topology`` (the defaults)."""
        return cls(topology=topology, **changes)


def _fidelity_range(value: Any) -> tuple[float, float]:
    """``demand_fidelity_range`` as two floats with ``MIN_DRAWN_FIDELITY <= lo <= hi <= 1``."""
    try:
        lo, hi = (float(x) for x in value)
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not MIN_DRAWN_FIDELITY <= lo <= hi <= 1.0:
        raise ValueError(
            f"SchedulingParams.demand_fidelity_range must be (lo, hi) with {MIN_DRAWN_FIDELITY} "
            f"<= lo <= hi <= 1 (drawn F_min are rounded to 3 decimals and must stay above 1/4), "
            f"got {value!r}"
        )
    return lo, hi


def _as_demand(value: Any) -> Demand:
    if isinstance(value, Demand):
        return value
    try:
        source, destination, fidelity, rate = value
        return Demand(source, destination, float(fidelity), float(rate))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"SchedulingParams.demands entries must be Demand or (source, destination, "
            f"fidelity_min, rate_hz), got {value!r} ({err})"
        ) from None


def protocol_slots_estimate(q_per_hop: np.ndarray, depth: int) -> float:
    """Expected slots of one execution with hops generated one after another (conservative:
    one communication qubit per node), (1 + depth) successes per hop, one slot for the swaps."""
    gen = float(np.sum((1.0 + depth) / q_per_hop))
    return gen + (1.0 if len(q_per_hop) > 1 else 0.0)


def success_prob_per_slot(rate_hz: np.ndarray | float, slot_s: float) -> np.ndarray:
    """q = 1 - exp(-R slot): probability that a link with rate R succeeds within one slot."""
    return -np.expm1(-np.asarray(rate_hz, dtype=float) * slot_s)


__all__ = [
    "INVALID_ACTION_MODES",
    "MAX_PENALTY",
    "MAX_SLOTS",
    "MIN_DRAWN_FIDELITY",
    "SLOT_RANGE_S",
    "LinkTable",
    "SchedulingParams",
    "nv_link_table",
    "protocol_slots_estimate",
    "success_prob_per_slot",
]
