"""Rate model of the multiplexed dual-species trapped-ion (DSTI) repeater of Dhara, Linke, Waks,
Guha, Seshadreesan, "Multiplexed quantum repeaters based on dual-species trapped-ion systems",
PRA 105, 022623 (2022) (``shared/reference/seeds-more.md`` section 2, read in full).

A line of n equally spaced repeaters over L km (spacing L0 = L / (n + 1)); each node holds
138Ba+ communication ions and 171Yb+ memory ions. Every clock tick tau each node fires 2M
communication ions (M spatial modes to each side) for a block of m ticks; the latest heralded
success on each side is swapped (CNOT and measurement, 2 tau_g); the global readout then clears
every other memory, so a round delivers one end-to-end pair iff all n + 1 links succeeded:

* link probability p = 1/2 eta_c^2 eta_d^2 eta_fibre(L0) (Sec. II; eta_fibre(L0) = 10^(-a L0 /
  10), both photons crossing L0 / 2 to the midpoint station);
* ideal rate [1 - (1 - p)^(M m)]^(n + 1) / round (eq. 13 and Table IV), with the heralding
  time T = L0 / c (fibre index 1.47), k = T / tau, j = tau_g / tau (both real-valued) and the
  round time by regime: A (T >= tau_o > tau_g) (k + m + 2j - 1) tau, B (tau_o > T >= tau_g)
  (k + m + 3j - 1) tau, C (tau_o > tau_g > T) (m + 3j - 1) tau;
* ions per node (Tables V-VII): case 2 (tau_o >= T + tau_g: a communication ion outlives its
  herald and gate) N_o = 2(M k + j), N_m = 2m; otherwise (regime A and case 1) N_o = 2 M j,
  N_m = 2 M m; counts are rounded up;
* end-to-end Werner fidelity (eq. 7) F = 1 - 3/2 Q(n), Q(n) = 1/2 [1 - (1 - 2g - 4/3 (1 -
  F0))^n], and the rate with noisy gates is the ideal rate times the reverse coherent
  information of that Werner state, 1 + F log2 F + (1 - F) log2((1 - F) / 3) (the hashing
  yield, ``hashing_yield``);
* benchmark: the PLOB bound of M fibres used once per tick, -(M / tau) log2(1 - eta(L)) (eq. 8).

``dsti_optimal`` maximises the rate over n and m on a grid (vectorised, a few ms per call).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bounds import plob_capacity
from .checks import ArrayLike, check_nonnegative, check_probability, scalar_or_array
from .links import fibre_transmissivity
from .states import hashing_yield

SPEED_OF_LIGHT_VACUUM_KM_PER_S = 299_792.458
"""c in vacuum, km/s"""
DSTI_FIBRE_INDEX = 1.47
"""refractive index of Dhara et al.'s fibre (Sec. IV.B)"""
DSTI_FIBRE_KM_PER_S = SPEED_OF_LIGHT_VACUUM_KM_PER_S / DSTI_FIBRE_INDEX
"""light speed in their fibre, about 2.0394e5 km/s"""


@dataclass(frozen=True)
class DstiDevice:
    """Device and timing parameters of a DSTI repeater; the defaults are Dhara et al.'s
    Sec. IV.B operating point (Ba+ communication ions, Yb+ memory ions)."""

    eta_c: float = 0.3
    """collection and fibre-coupling efficiency"""
    eta_d: float = 0.8
    """detector efficiency"""
    atten_db_per_km: float = 0.2
    """fibre attenuation"""
    clock_s: float = 1e-6
    """clock cycle tau: one attempt per communication ion per tick"""
    gate_time_s: float = 1e-6
    """ion-ion gate and measurement time tau_g"""
    comm_lifetime_s: float = 50e-6
    """communication-ion lifetime tau_o (must exceed tau_g)"""
    c_km_per_s: float = DSTI_FIBRE_KM_PER_S
    """light speed in the fibre"""

    def __post_init__(self) -> None:
        for name in ("eta_c", "eta_d"):
            check_probability(f"DstiDevice.{name}", getattr(self, name))
        check_nonnegative("DstiDevice.atten_db_per_km", self.atten_db_per_km)
        for name in ("clock_s", "gate_time_s", "comm_lifetime_s", "c_km_per_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"DstiDevice.{name} must be a number > 0, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"DstiDevice.{name} must be finite, got {value!r}")
        if not self.comm_lifetime_s > self.gate_time_s:
            raise ValueError(
                "DstiDevice.comm_lifetime_s must exceed gate_time_s (a communication ion must "
                f"outlive its swap into memory), got {self.comm_lifetime_s!r} <= "
                f"{self.gate_time_s!r}"
            )

    def replace(self, **changes: Any) -> DstiDevice:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


DHARA2022 = DstiDevice()
"""Dhara et al.'s operating point: tau = tau_g = 1 us, tau_o = 50 us, eta_c 0.3, eta_d 0.8"""


@dataclass(frozen=True)
class DstiRate:
    """One operating point of the DSTI repeater (``dsti_rate``, ``dsti_optimal``)."""

    length_km: float
    n_repeaters: int
    spatial_modes: int
    time_bins: int
    l0_km: float
    """repeater spacing L / (n + 1)"""
    link_prob: float
    """p of one mode and tick"""
    round_s: float
    rate_ideal: float
    """ebit/s with perfect gates"""
    fidelity: float
    """end-to-end Werner fidelity (eq. 7)"""
    ebit_yield: float
    """reverse coherent information of that state"""
    rate: float
    """rate_ideal * ebit_yield, ebit/s"""
    regime: str
    """'A', 'B' or 'C' (Table IV)"""
    case: int
    """2 when tau_o >= T + tau_g, else 1"""
    n_comm: int
    """communication (Ba+) ions per node"""
    n_mem: int
    """memory (Yb+) ions per node"""


def dsti_link_prob(
    l0_km: ArrayLike, eta_c: float = 0.3, eta_d: float = 0.8, atten_db_per_km: float = 0.2
) -> Any:
    """p = 1/2 eta_c^2 eta_d^2 eta_fibre(L0): one heralded link over spacing ``l0_km``."""
    eta_c = float(check_probability("eta_c", eta_c))
    eta_d = float(check_probability("eta_d", eta_d))
    fibre = np.asarray(fibre_transmissivity(l0_km, atten_db_per_km))
    return scalar_or_array(0.5 * eta_c**2 * eta_d**2 * fibre)


def dsti_fidelity(n_repeaters: ArrayLike, g: float, f0: float | None = None) -> Any:
    """End-to-end Werner fidelity after n >= 1 repeaters (eq. 7): 1 - 3/2 Q(n) with
    Q(n) = 1/2 [1 - (1 - 2g - 4/3 (1 - F0))^n]; F0 = 1 - g unless given."""
    g, f0 = _check_noise(g, f0)
    n = np.asarray(check_nonnegative("n_repeaters", n_repeaters))
    if not np.all(n >= 1):
        raise ValueError(f"n_repeaters must be >= 1 (eq. 7 is for a chain), got {n_repeaters!r}")
    x = 1.0 - 2.0 * g - 4.0 / 3.0 * (1.0 - f0)
    q = 0.5 * (1.0 - np.power(x, n))
    return scalar_or_array(1.0 - 1.5 * q)


def dsti_plob_rate(
    length_km: ArrayLike,
    spatial_modes: int = 10,
    clock_s: float = 1e-6,
    atten_db_per_km: float = 0.2,
) -> Any:
    """Direct-transmission benchmark -(M / tau) log2(1 - eta(L)) ebit/s (eq. 8)."""
    _check_count("spatial_modes", spatial_modes)
    if not clock_s > 0:
        raise ValueError(f"clock_s must be > 0, got {clock_s!r}")
    eta = fibre_transmissivity(length_km, atten_db_per_km)
    return scalar_or_array(np.asarray(plob_capacity(eta)) * spatial_modes / clock_s)


def dsti_regime(l0_km: float, device: DstiDevice = DHARA2022) -> tuple[str, int]:
    """(Table IV regime 'A', 'B' or 'C', case 1 or 2) of a repeater spacing."""
    heralding = float(check_nonnegative("l0_km", l0_km)) / device.c_km_per_s
    regime, case = _regimes(np.asarray([heralding]), device)
    return str(regime[0]), int(case[0])


def dsti_rate(
    length_km: float,
    n_repeaters: int,
    time_bins: int,
    spatial_modes: int = 10,
    g: float = 1e-4,
    *,
    f0: float | None = None,
    device: DstiDevice = DHARA2022,
) -> DstiRate:
    """The DSTI repeater's rate, fidelity, regime and ion counts at one operating point
    (n >= 1 repeaters over ``length_km``, m = ``time_bins``, M = ``spatial_modes``, gate error g,
    link fidelity F0 = 1 - g unless given); see the module docstring."""
    _check_count("n_repeaters", n_repeaters)
    _check_count("time_bins", time_bins)
    grid = _grid(
        length_km, np.array([n_repeaters]), np.array([time_bins]), spatial_modes, g, f0, device
    )
    return _result(grid, 0, 0)


def dsti_optimal(
    length_km: float,
    spatial_modes: int = 10,
    g: float = 1e-4,
    *,
    f0: float | None = None,
    device: DstiDevice = DHARA2022,
    n_max: int = 300,
    m_max: int = 600,
    n_repeaters: int | None = None,
    max_comm_ions: int | None = None,
    max_mem_ions: int | None = None,
) -> DstiRate:
    """The best rate over n = 1..``n_max`` repeaters (or the fixed ``n_repeaters``) and
    m = 1..``m_max`` time bins, optionally under limits on the ions per node (Figs. 9-10).

    Raises:
        ValueError: bad arguments, or no grid point within the ion limits.
    """
    _check_count("n_max", n_max)
    _check_count("m_max", m_max)
    if n_repeaters is None:
        ns = np.arange(1, n_max + 1)
    else:
        _check_count("n_repeaters", n_repeaters)
        ns = np.array([int(n_repeaters)])
    grid = _grid(length_km, ns, np.arange(1, m_max + 1), spatial_modes, g, f0, device)
    score = grid["rate"].copy()
    for key, limit in (("n_comm", max_comm_ions), ("n_mem", max_mem_ions)):
        if limit is not None:
            _check_count(f"max_{key}_ions", limit)
            score[grid[key] > limit] = -1.0
    if score.max() < 0.0:
        raise ValueError(
            f"no operating point with n <= {ns.max()} and m <= {m_max} fits the ion limits "
            f"(max_comm_ions={max_comm_ions}, max_mem_ions={max_mem_ions}); raise them"
        )
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    return _result(grid, int(i), int(j))


# ------------------------------------------------------------------------------ internals
def _check_count(name: str, value: Any, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _check_noise(g: float, f0: float | None) -> tuple[float, float]:
    g = float(g)
    if not (0.0 <= g < 0.25):
        raise ValueError(f"g (gate error) must be in [0, 0.25), got {g!r}")
    f0 = 1.0 - g if f0 is None else float(f0)
    if not (0.25 < f0 <= 1.0):
        raise ValueError(f"f0 (link fidelity) must be in (0.25, 1], got {f0!r}")
    return g, f0


def _regimes(heralding_s: np.ndarray, device: DstiDevice) -> tuple[np.ndarray, np.ndarray]:
    tau_g, tau_o = device.gate_time_s, device.comm_lifetime_s
    regime = np.where(heralding_s >= tau_o, "A", np.where(heralding_s >= tau_g, "B", "C"))
    case = np.where((regime != "A") & (tau_o >= heralding_s + tau_g), 2, 1)
    return regime, case


def _grid(
    length_km: float,
    ns: np.ndarray,
    ms: np.ndarray,
    spatial_modes: int,
    g: float,
    f0: float | None,
    device: DstiDevice,
) -> dict[str, Any]:
    """Every quantity on the (len(ns), len(ms)) grid of repeaters x time bins."""
    length = float(check_nonnegative("length_km", length_km))
    _check_count("spatial_modes", spatial_modes)
    g, f0 = _check_noise(g, f0)
    big_m = int(spatial_modes)
    n = ns.astype(float)[:, None]
    m = ms.astype(float)[None, :]
    l0 = length / (n + 1.0)
    p = np.asarray(dsti_link_prob(l0, device.eta_c, device.eta_d, device.atten_db_per_km))
    with np.errstate(divide="ignore"):
        per_link = -np.expm1(big_m * m * np.log1p(-p))
    heralding = l0 / device.c_km_per_s
    k, j = heralding / device.clock_s, device.gate_time_s / device.clock_s
    regime, case = _regimes(heralding, device)
    ticks = np.where(
        regime == "A", k + m + 2 * j - 1, np.where(regime == "B", k + m + 3 * j - 1, m + 3 * j - 1)
    )
    round_s = ticks * device.clock_s
    rate_ideal = per_link ** (n + 1.0) / round_s
    fidelity = np.asarray(dsti_fidelity(n, g, f0)) + 0.0 * m
    ebit_yield = np.asarray(hashing_yield(np.clip(fidelity, 0.25, 1.0)))
    n_comm = np.where(case == 2, 2 * (big_m * k + j), 2 * big_m * j) + 0.0 * m
    n_mem = np.where(case == 2, 2 * m, 2 * big_m * m) + 0.0 * n
    return {
        "length_km": length,
        "n": ns,
        "m": ms,
        "M": big_m,
        "l0_km": l0 + 0.0 * m,
        "p": p + 0.0 * m,
        "round_s": round_s,
        "rate_ideal": rate_ideal,
        "fidelity": fidelity,
        "ebit_yield": ebit_yield,
        "rate": rate_ideal * ebit_yield,
        "regime": regime + np.full(m.shape, "", dtype="<U1"),
        "case": case + 0 * ms[None, :],
        "n_comm": np.ceil(n_comm - 1e-9),
        "n_mem": np.ceil(n_mem - 1e-9),
    }


def _result(grid: dict[str, Any], i: int, j: int) -> DstiRate:
    return DstiRate(
        length_km=grid["length_km"],
        n_repeaters=int(grid["n"][i]),
        spatial_modes=grid["M"],
        time_bins=int(grid["m"][j]),
        l0_km=float(grid["l0_km"][i, j]),
        link_prob=float(grid["p"][i, j]),
        round_s=float(grid["round_s"][i, j]),
        rate_ideal=float(grid["rate_ideal"][i, j]),
        fidelity=float(grid["fidelity"][i, j]),
        ebit_yield=float(grid["ebit_yield"][i, j]),
        rate=float(grid["rate"][i, j]),
        regime=str(grid["regime"][i, j]),
        case=int(grid["case"][i, j]),
        n_comm=int(grid["n_comm"][i, j]),
        n_mem=int(grid["n_mem"][i, j]),
    )


__all__ = [
    "DHARA2022",
    "DSTI_FIBRE_INDEX",
    "DSTI_FIBRE_KM_PER_S",
    "SPEED_OF_LIGHT_VACUUM_KM_PER_S",
    "DstiDevice",
    "DstiRate",
    "dsti_fidelity",
    "dsti_link_prob",
    "dsti_optimal",
    "dsti_plob_rate",
    "dsti_rate",
    "dsti_regime",
]
