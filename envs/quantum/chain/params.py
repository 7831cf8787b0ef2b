"""Parameters of the repeater-chain environment (``ChainParams``) and its presets.

Presets (reference/quantum.md 1.9 and 6.1):

* ``abstract`` (Iñesta, Vardoyan, Scavuzzo, Wehner, npj QI 9, 46 (2023)): success probability
  ``p_gen`` per slot, swap success ``p_swap``, a cutoff in slots, perfect states and memories;
  one slot per step, ``time`` reward, so the return is -T (reference 2.3 / 2.4).
* ``nv2019``: NV centres as in Skrzypczyk & Wehner's QoS code (netsquid_nv
  ``NVParameterSet2019Optimistic``): links from the (fidelity, rate) table at 5-50 km with
  a 10 ms slot, carbon memories (T1 = 36000 s, T2 = 1.0 s), electron-carbon gate depolarising
  1/60, readout errors 0.05 / 0.005.
* ``starlight``: SeQUeNCe's Starlight example network: memories with raw fidelity 0.9349,
  efficiency 0.75, 2 kHz, coherence time 1.3 s; detectors 0.8; 0.2 dB/km fibre; Barrett-Kok
  (double-click) heralding at a midpoint station.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range, set_field
from .. import physics
from ..nv2019 import NV2019_DEVICE, NV2019_FIDELITIES, nv2019_gate_fid, nv2019_link, nv2019_meas_fid

SCHEMES = ("abstract", "single_click", "double_click", "nv_table")
REWARD_MODES = ("time", "rate", "fidelity")
OBS_MODES = ("dict", "tabular")
MAX_WEIGHT = 1e6
"""the largest reward weight or penalty (beta, step_cost, invalid_action_penalty): larger ones
only push rewards towards overflow"""
MAX_LINK_KM = 1e5
"""the longest elementary link (2.5 times the Earth's circumference)"""
MAX_SECONDS = 1e6
"""the longest slot or preparation time (11.6 days)"""
MAX_MODES = 10**6
"""the most multiplexed modes per attempt"""
MAX_STEPS = 2**62
"""the longest episode (steps are int64)"""


@dataclass(frozen=True)
class ChainParams(EnvParams):
    """All parameters of ``netgym/RepeaterChain-v0`` and ``repeater_chain_v0``.

    Times in the abstract scheme are in slots (``slot_s`` = 1); elsewhere in seconds.
    """

    ENV_NAME: ClassVar[str] = "RepeaterChain"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "abstract": "abstract",
        "default": "abstract",
        "nv2019": "nv2019",
        "starlight": "starlight",
    }

    n_nodes: int = 3
    """nodes of the chain, end nodes included (2-9); n_nodes - 1 elementary links"""
    mem_per_side: int = 1
    """memories per node side (1 or 2); 2 lets a repeater purify two parallel links"""
    scheme: str = "abstract"
    """link generation: 'abstract' (p_gen per step), 'single_click', 'double_click' or
    'nv_table' (NV (F, rate) table row ``nv_row`` at ``link_km``; p = 1 - exp(-rate slot_s))"""
    p_gen: float = 0.5
    """abstract scheme: success probability of one attempt per link and step, in (0, 1]"""
    f_gen: float = 1.0
    """fidelity of a fresh link (abstract and double_click; single_click uses 1 - alpha)"""
    link_km: float | tuple[float, ...] = 10.0
    """length of every elementary link (a number), or one length per link"""
    atten_db_per_km: float = 0.2
    """fibre attenuation"""
    eta_emit: float = 1.0
    """photon emission efficiency"""
    eta_collect: float = 1.0
    """collection efficiency"""
    eta_conv: float = 1.0
    """frequency conversion efficiency"""
    eta_det: float = 1.0
    """detector efficiency"""
    alpha: float = 0.1
    """single_click bright-state population (p = 2 alpha eta_arm, F = 1 - alpha)"""
    nv_row: int = 0
    """nv_table row (0 = F 0.877 ... 9 = F 0.488)"""
    modes: int = 1
    """multiplexed modes per attempt: p -> 1 - (1 - p)^modes"""
    t_prep_s: float = 0.0
    """preparation time added to every attempt (physical schemes)"""
    slot_s: float = 1.0
    """duration of one step in the abstract and nv_table schemes"""
    memory_time_s: float = math.inf
    """depolarising time constant T of one memory (w decays by exp(-2 dt / T) per stored
    link); inf = perfect memory"""
    t2_s: float = math.inf
    """pure-dephasing time T2 of one memory; inf = none"""
    gate_fid: float = 1.0
    """gate keep-probability p_g of swaps (and of purification CNOTs)"""
    meas_fid: float = 1.0
    """Bell-measurement bit fidelity eta_m, in [0.5, 1]"""
    p_swap: float = 1.0
    """swap success probability; a failed swap loses both links"""
    cutoff: int | None = None
    """env cutoff in steps: a link whose age reaches it (after the actions) is discarded"""
    f_target: float = 0.25
    """an end-to-end link is delivered (consumed) once its fidelity is >= f_target"""
    reward_mode: str = "time"
    """'time' (-1 per step, ends at the first delivery), 'rate' (hashing yield delivered per
    step) or 'fidelity' (1{F >= f_target}(1 + beta (F - f_target)) per delivery - step_cost)"""
    beta: float = 1.0
    """fidelity reward: weight of the fidelity margin"""
    step_cost: float = 0.0
    """fidelity reward: cost per step"""
    invalid_action_penalty: float = 0.0
    """subtracted from the reward per invalid (no-op) node action"""
    max_steps: int = 1000
    """episode length (truncation)"""
    obs_mode: str = "dict"
    """'dict' (the Dict observation, MultiDiscrete actions) or 'tabular' (Discrete state index
    of the finite MDP and Discrete swap-subset actions; abstract, 1 memory, a cutoff, n <= 5)"""

    def __post_init__(self) -> None:
        owner = "ChainParams"
        check_int(self, owner, "n_nodes", low=2, high=9)
        check_int(self, owner, "mem_per_side", low=1, high=2)
        check_choice(owner, "scheme", self.scheme, SCHEMES)
        check_range(owner, "p_gen", self.p_gen, low=0.0, high=1.0, low_inclusive=False)
        check_range(owner, "f_gen", self.f_gen, low=0.25, high=1.0)
        if isinstance(self.link_km, np.ndarray):  # a frozen field must stay hashable
            set_field(self, "link_km", self.link_km.tolist())
        lengths = self.link_km if isinstance(self.link_km, (tuple, list)) else [self.link_km]
        if isinstance(self.link_km, list):
            set_field(self, "link_km", tuple(self.link_km))
        if len(lengths) not in (1, self.n_nodes - 1) and isinstance(self.link_km, (tuple, list)):
            raise ValueError(
                f"ChainParams.link_km must be one length or {self.n_nodes - 1} lengths "
                f"(one per link), got {len(lengths)}"
            )
        for length in lengths:
            check_range(owner, "link_km", length, low=0.0, high=MAX_LINK_KM)
        check_range(owner, "atten_db_per_km", self.atten_db_per_km, low=0.0)
        for name in ("eta_emit", "eta_collect", "eta_conv", "eta_det", "gate_fid"):
            check_range(owner, name, getattr(self, name), low=0.0, high=1.0, low_inclusive=False)
        check_range(owner, "meas_fid", self.meas_fid, low=0.5, high=1.0)
        check_range(owner, "p_swap", self.p_swap, low=0.0, high=1.0, low_inclusive=False)
        check_range(owner, "alpha", self.alpha, low=0.0, high=0.5, low_inclusive=False)
        check_int(self, owner, "nv_row", low=0, high=9)
        check_int(self, owner, "modes", low=1, high=MAX_MODES)
        check_range(owner, "t_prep_s", self.t_prep_s, low=0.0, high=MAX_SECONDS)
        check_range(owner, "slot_s", self.slot_s, low=0.0, high=MAX_SECONDS, low_inclusive=False)
        for name in ("memory_time_s", "t2_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"ChainParams.{name} must be > 0 (math.inf = none), got {value!r}")
        if self.cutoff is not None:
            check_int(self, owner, "cutoff", low=0, high=MAX_STEPS)
        check_range(owner, "f_target", self.f_target, low=0.25, high=1.0)
        check_choice(owner, "reward_mode", self.reward_mode, REWARD_MODES)
        for name in ("beta", "step_cost", "invalid_action_penalty"):
            check_range(owner, name, getattr(self, name), low=0.0, high=MAX_WEIGHT)
        check_int(self, owner, "max_steps", low=1, high=MAX_STEPS)
        check_choice(owner, "obs_mode", self.obs_mode, OBS_MODES)
        if self.scheme == "nv_table":
            for length in lengths:
                nv2019_link(length, self.nv_row)
        if self.obs_mode == "tabular":
            if self.scheme != "abstract" or self.mem_per_side != 1 or self.cutoff is None:
                raise ValueError(
                    "ChainParams.obs_mode='tabular' needs scheme='abstract', mem_per_side=1 and "
                    f"a cutoff (a finite MDP), got scheme={self.scheme!r}, "
                    f"mem_per_side={self.mem_per_side}, cutoff={self.cutoff}"
                )
            if self.n_nodes > 5 or self.reward_mode != "time":
                raise ValueError(
                    "ChainParams.obs_mode='tabular' needs n_nodes <= 5 and reward_mode='time', "
                    f"got n_nodes={self.n_nodes}, reward_mode={self.reward_mode!r}"
                )
        success = self.link_success_prob()  # every derived quantity must be valid
        if not (success > 0.0).all():
            raise ValueError(
                f"ChainParams: a link of {self.link_lengths_km().max():g} km succeeds with "
                f"probability {success.min():.3g} per step with scheme={self.scheme!r} (the "
                "transmissivity underflows): no link would ever be generated; use shorter links, "
                "less attenuation or more efficient optics"
            )

    # ---------------------------------------------------------------- derived quantities
    @property
    def n_links(self) -> int:
        """Elementary links n_nodes - 1."""
        return self.n_nodes - 1

    def link_lengths_km(self) -> np.ndarray:
        """(n_links,) length of each elementary link."""
        if isinstance(self.link_km, tuple):
            lengths = self.link_km if len(self.link_km) > 1 else self.link_km * self.n_links
        else:
            lengths = (self.link_km,) * self.n_links
        return np.asarray(lengths, dtype=float)

    @property
    def step_s(self) -> float:
        """Duration of one step: ``slot_s`` (abstract, nv_table) or the longest link's attempt
        time t_prep + L / c (midpoint heralding)."""
        if self.scheme in ("abstract", "nv_table"):
            return float(self.slot_s)
        return float(physics.attempt_time_s(self.link_lengths_km().max(), self.t_prep_s))

    def arm_efficiency(self) -> np.ndarray:
        """(n_links,) eta_arm of each link (midpoint station)."""
        return np.atleast_1d(
            physics.arm_efficiency(
                self.link_lengths_km(),
                atten_db_per_km=self.atten_db_per_km,
                eta_emit=self.eta_emit,
                eta_collect=self.eta_collect,
                eta_conv=self.eta_conv,
                eta_det=self.eta_det,
            )
        )

    def link_success_prob(self) -> np.ndarray:
        """(n_links,) probability that a link is generated in one step (all modes)."""
        if self.scheme == "abstract":
            single = np.full(self.n_links, float(self.p_gen))
        elif self.scheme == "single_click":
            single = np.atleast_1d(physics.single_click(self.alpha, self.arm_efficiency())[0])
        elif self.scheme == "double_click":
            single = np.atleast_1d(physics.double_click(self.arm_efficiency())[0])
        else:
            rates = [nv2019_link(km, self.nv_row)[1] for km in self.link_lengths_km()]
            single = -np.expm1(-np.asarray(rates) * self.slot_s)
        return np.atleast_1d(physics.multiplexed_success_prob(single, self.modes)).astype(float)

    def link_fidelity(self) -> np.ndarray:
        """(n_links,) fidelity of a fresh link."""
        if self.scheme == "single_click":
            fid = 1.0 - self.alpha
        elif self.scheme == "nv_table":
            fid = NV2019_FIDELITIES[self.nv_row]
        else:
            fid = self.f_gen
        return np.full(self.n_links, max(float(fid), 0.25))

    def depolarising_factor(self) -> float:
        """Werner factor of one stored link (both halves) over one step, exp(-2 step / T)."""
        return math.exp(-2.0 * self.step_s / self.memory_time_s)

    def dephasing_factor(self) -> float:
        """Coherence factor of one stored link (both halves) over one step, exp(-2 step / T2)."""
        return math.exp(-2.0 * self.step_s / self.t2_s)

    @property
    def n_node_actions(self) -> np.ndarray:
        """Actions per node: 2 at the end nodes (wait, discard), 6 at repeaters."""
        nvec = np.full(self.n_nodes, 6, dtype=np.int64)
        nvec[0] = nvec[-1] = 2
        return nvec

    # ------------------------------------------------------------------------ presets
    @classmethod
    def abstract(cls, **changes: Any) -> ChainParams:
        """Iñesta et al.'s homogeneous chain: p_gen per slot, p_swap, a cutoff, time reward."""
        base: dict[str, Any] = {"scheme": "abstract", "p_gen": 0.5, "cutoff": None}
        return cls(**{**base, **changes})

    @classmethod
    def nv2019(cls, **changes: Any) -> ChainParams:
        """NV centres of the QoS paper: 5 km links from its table (row 0, F 0.877), 10 ms slots,
        2 carbon memories per side (T1 36000 s, T2 1.0 s), gate 1 - 1/60, readout 0.9725."""
        device = NV2019_DEVICE
        base: dict[str, Any] = {
            "scheme": "nv_table",
            "link_km": 5.0,
            "nv_row": 0,
            "slot_s": device["slot_s"],
            "mem_per_side": 2,
            "memory_time_s": device["carbon_t1_s"],
            "t2_s": device["carbon_t2_s"],
            "gate_fid": nv2019_gate_fid(),
            "meas_fid": nv2019_meas_fid(),
            "reward_mode": "rate",
        }
        return cls(**{**base, **changes})

    @classmethod
    def starlight(cls, **changes: Any) -> ChainParams:
        """SeQUeNCe's Starlight memories and detectors on 10 km links, Barrett-Kok heralding.

        The memory time is 3/4 of SeQUeNCe's coherence time 1.3 s, so that the Werner factor
        per memory is its exp(-4t / (3 T_coh)) (reference 1.4).
        """
        base: dict[str, Any] = {
            "scheme": "double_click",
            "link_km": 10.0,
            "eta_emit": 0.75,
            "eta_det": 0.8,
            "f_gen": 0.9349,
            "t_prep_s": 1.0 / 2000.0,
            "memory_time_s": 0.75 * 1.3,
            "reward_mode": "rate",
        }
        return cls(**{**base, **changes})


__all__ = [
    "MAX_LINK_KM",
    "MAX_MODES",
    "MAX_SECONDS",
    "MAX_STEPS",
    "MAX_WEIGHT",
    "OBS_MODES",
    "REWARD_MODES",
    "SCHEMES",
    "ChainParams",
]
