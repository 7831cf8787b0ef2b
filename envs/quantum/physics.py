"""Closed forms of quantum-network physics (``shared/reference/quantum.md`` section 1 and 2).

Pure numpy, no state: every function takes floats or arrays (broadcast together) and returns a
float or an array. Names carry units (``_km``, ``_s``, ``_db_per_km``). Two-qubit states are
Werner states (one fidelity ``F``, or the Werner parameter ``w = (4F - 1) / 3``) or
Bell-diagonal states (BDS): arrays whose last axis holds the four Bell-state weights in the
order ``(Phi+, Psi-, Psi+, Phi-)``, so ``F = bds[..., 0]``. In the Pauli picture (the error
applied to one half of ``|Phi+>``) this order is ``(I, Y, X, Z)``.

Public checked functions raise ``ValueError`` naming the argument and the bad value (a
probability outside (0, 1], a negative distance, a fidelity below 1/4, ...); the ``*_bds`` and
Werner-parameter kernels used in the simulators' hot loops skip the checks when told
(``check=False``).

Sections: fibre and timing (1.1), heralded generation (1.2), states and hashing yield (1.3),
memory decoherence (1.4), swapping (1.5), purification (1.6), capacity bounds (2.1) and exact
waiting times of swap-asap chains (2.3).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

ArrayLike = Any
"""a float or anything ``np.asarray`` turns into a float array"""

SPEED_OF_LIGHT_FIBRE_KM_PER_S = 2.0e5
"""light speed in fibre, km/s (SeQUeNCe ``SPEED_OF_LIGHT = 2e-4`` m/ps)"""
FIBRE_ATTENUATION_DB_PER_KM = 0.2
"""standard telecom fibre loss"""
HASHING_THRESHOLD_FIDELITY = 0.8107
"""Werner fidelity above which the hashing yield is positive (rounded; see ``hashing_yield``)"""

# Pauli products in the BDS index order (I, Y, X, Z) = (Phi+, Psi-, Psi+, Phi-): index of the
# product of the errors with indices a and b (up to a phase).
_PAULI_PRODUCT = np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]])


# ----------------------------------------------------------------------------------- checks
def _array(name: str, value: ArrayLike) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return array


def _out(array: np.ndarray) -> Any:
    """A 0-d result as a Python float, anything else as the array."""
    return float(array) if array.ndim == 0 else array


def check_probability(name: str, value: ArrayLike, *, allow_zero: bool = False) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is in (0, 1] ([0, 1])."""
    array = _array(name, value)
    low_ok = array >= 0.0 if allow_zero else array > 0.0
    if not np.all(low_ok & (array <= 1.0)):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be a probability in {interval}, got {value!r}")
    return array


def check_nonnegative(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is finite and >= 0."""
    array = _array(name, value)
    if not np.all(array >= 0.0):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return array


def check_fidelity(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is in [1/4, 1]."""
    array = _array(name, value)
    if not np.all((array >= 0.25 - 1e-12) & (array <= 1.0 + 1e-12)):
        raise ValueError(f"{name} must be a fidelity in [1/4, 1], got {value!r}")
    return np.clip(array, 0.25, 1.0)


def check_bds(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a BDS array (last axis 4); ``ValueError`` unless the weights are in [0, 1]
    and sum to 1 (within 1e-9) with ``F = bds[..., 0] >= 1/4``."""
    array = _array(name, value)
    if array.shape[-1:] != (4,):
        raise ValueError(f"{name} must have a last axis of 4 Bell weights, got {array.shape}")
    if not np.all((array >= -1e-12) & (array <= 1.0 + 1e-12)):
        raise ValueError(f"{name} Bell weights must be in [0, 1], got {value!r}")
    if not np.allclose(array.sum(axis=-1), 1.0, atol=1e-9):
        raise ValueError(f"{name} Bell weights must sum to 1, got sums {array.sum(axis=-1)!r}")
    if not np.all(array[..., 0] >= 0.25 - 1e-12):
        raise ValueError(f"{name} fidelity (first Bell weight) must be >= 1/4, got {value!r}")
    return array


def check_meas_fid(value: ArrayLike) -> np.ndarray:
    """Bell-measurement bit fidelity as a float array; ``ValueError`` unless in [1/2, 1] (below
    1/2 the swap's Werner factor (4 eta^2 - 1) / 3 turns negative and F falls below 1/4)."""
    array = _array("meas_fid", value)
    if not np.all((array >= 0.5) & (array <= 1.0)):
        raise ValueError(f"meas_fid must be in [0.5, 1], got {value!r}")
    return array


# ------------------------------------------------------------------------ 1.1 fibre, timing
def fibre_transmissivity(length_km: ArrayLike, atten_db_per_km: ArrayLike = 0.2) -> Any:
    """eta(L) = 10^(-a L / 10): the probability that a photon crosses ``length_km`` of fibre."""
    length = check_nonnegative("length_km", length_km)
    atten = check_nonnegative("atten_db_per_km", atten_db_per_km)
    return _out(np.power(10.0, -atten * length / 10.0))


def attempt_time_s(
    length_km: ArrayLike,
    t_prep_s: ArrayLike = 0.0,
    *,
    heralding: str = "midpoint",
    c_km_per_s: float = SPEED_OF_LIGHT_FIBRE_KM_PER_S,
) -> Any:
    """Duration of one heralded attempt on a link of ``length_km`` (reference 1.1).

    ``heralding="midpoint"``: t_prep + L / c (photon to the middle station, herald back, as the
    NV link model's ``cycle_time``); ``"round_trip"``: t_prep + 2 L / c (sender-receiver).
    """
    length = check_nonnegative("length_km", length_km)
    prep = check_nonnegative("t_prep_s", t_prep_s)
    if heralding not in ("midpoint", "round_trip"):
        raise ValueError(f"heralding must be 'midpoint' or 'round_trip', got {heralding!r}")
    if not c_km_per_s > 0:
        raise ValueError(f"c_km_per_s must be > 0, got {c_km_per_s!r}")
    trips = 1.0 if heralding == "midpoint" else 2.0
    return _out(prep + trips * length / c_km_per_s)


# ------------------------------------------------------------------ 1.2 heralded generation
def arm_efficiency(
    length_km: ArrayLike,
    *,
    atten_db_per_km: ArrayLike = 0.2,
    eta_emit: ArrayLike = 1.0,
    eta_collect: ArrayLike = 1.0,
    eta_conv: ArrayLike = 1.0,
    eta_det: ArrayLike = 1.0,
    midpoint: bool = True,
) -> Any:
    """eta_arm = eta_emit eta_collect eta_conv eta_det eta(L / 2) (eta(L) without a midpoint
    station): the probability that one node's photon is detected."""
    for name, value in (
        ("eta_emit", eta_emit),
        ("eta_collect", eta_collect),
        ("eta_conv", eta_conv),
        ("eta_det", eta_det),
    ):
        check_probability(name, value, allow_zero=True)
    length = check_nonnegative("length_km", length_km)
    fibre = np.asarray(fibre_transmissivity(length / 2.0 if midpoint else length, atten_db_per_km))
    eta = np.asarray(eta_emit) * np.asarray(eta_collect) * np.asarray(eta_conv)
    return _out(eta * np.asarray(eta_det) * fibre)


def double_click(eta_arm: ArrayLike) -> tuple[Any, Any]:
    """Barrett-Kok two-photon heralding: success p = eta_arm^2 / 2, ideal fidelity 1.

    Returns:
        ``(p, F)``; the linear-optics Bell measurement detects 2 of the 4 Bell states.
    """
    eta = check_probability("eta_arm", eta_arm, allow_zero=True)
    return _out(eta * eta / 2.0), _out(np.ones_like(eta))


def single_click(alpha: ArrayLike, eta_arm: ArrayLike) -> tuple[Any, Any]:
    """Single-photon heralding (NV, Humphreys et al. 2018): p = 2 alpha eta_arm, F = 1 - alpha.

    ``alpha`` is the bright-state population, in (0, 1/2]; it trades rate against fidelity.
    """
    alpha_arr = check_probability("alpha", alpha)
    if not np.all(alpha_arr <= 0.5):
        raise ValueError(f"alpha must be in (0, 0.5], got {alpha!r}")
    eta = check_probability("eta_arm", eta_arm, allow_zero=True)
    return _out(np.minimum(2.0 * alpha_arr * eta, 1.0)), _out(1.0 - alpha_arr + 0.0 * eta)


def multiplexed_success_prob(p: ArrayLike, modes: ArrayLike) -> Any:
    """P_M = 1 - (1 - p)^M: at least one of M parallel modes succeeds in a round."""
    p_arr = check_probability("p", p, allow_zero=True)
    modes_arr = np.asarray(modes)
    if not np.all((modes_arr >= 1) & (modes_arr == np.round(modes_arr))):
        raise ValueError(f"modes must be an integer >= 1, got {modes!r}")
    with np.errstate(divide="ignore"):
        out = -np.expm1(modes_arr * np.log1p(-p_arr))
    return _out(np.where(p_arr >= 1.0, 1.0, out))


# -------------------------------------------------------------------------------- 1.3 states
def werner_param(fidelity: ArrayLike) -> Any:
    """w = (4F - 1) / 3 of a Werner state with fidelity F in [1/4, 1]."""
    return _out((4.0 * check_fidelity("fidelity", fidelity) - 1.0) / 3.0)


def werner_fidelity(w: ArrayLike) -> Any:
    """F = (1 + 3w) / 4 of a Werner state with parameter w in [0, 1]."""
    w_arr = check_probability("w", w, allow_zero=True)
    return _out((1.0 + 3.0 * w_arr) / 4.0)


def werner_bds(fidelity: ArrayLike) -> np.ndarray:
    """The BDS of a Werner state: (F, (1-F)/3, (1-F)/3, (1-F)/3), shape ``F.shape + (4,)``."""
    fid = check_fidelity("fidelity", fidelity)
    rest = (1.0 - fid) / 3.0
    return np.stack([fid, rest, rest, rest], axis=-1)


def twirl_bds(bds: ArrayLike) -> np.ndarray:
    """The Werner state with the same fidelity as ``bds`` (random bilateral rotations)."""
    return werner_bds(check_bds("bds", bds)[..., 0])


def hashing_yield(fidelity: ArrayLike) -> Any:
    """Hashing yield of a Werner state, max(0, 1 + F log2 F + (1-F) log2((1-F)/3)).

    A lower bound on the distillable entanglement (ebits per pair); positive only for
    F > 0.8107: D_H(0.9) = 0.373, D_H(0.95) = 0.634 (reference 1.3).
    """
    return hashing_yield_bds(werner_bds(fidelity))


def hashing_yield_bds(bds: ArrayLike, *, check: bool = True) -> Any:
    """Hashing yield of a BDS, max(0, 1 - H(lambda)) with H the Shannon entropy in bits."""
    lam = check_bds("bds", bds) if check else np.asarray(bds, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(lam > 0.0, lam * np.log2(np.where(lam > 0.0, lam, 1.0)), 0.0)
    return _out(np.maximum(0.0, 1.0 + terms.sum(axis=-1)))


# ------------------------------------------------------------------------ 1.4 decoherence
def depolarised_fidelity(
    fidelity: ArrayLike, t_s: ArrayLike, memory_time_s: ArrayLike, *, both_halves: bool = True
) -> Any:
    """F(t) = 1/4 + (F0 - 1/4) exp(-t / T) per stored half; with both halves idle in memories
    of time constant T the exponents add: exp(-2t / T) (reference 1.4)."""
    fid = check_fidelity("fidelity", fidelity)
    time = check_nonnegative("t_s", t_s)
    memory = np.asarray(memory_time_s, dtype=float)
    if not np.all(memory > 0.0):
        raise ValueError(f"memory_time_s must be > 0 (np.inf for a perfect memory), got {memory!r}")
    halves = 2.0 if both_halves else 1.0
    return _out(0.25 + (fid - 0.25) * np.exp(-halves * time / memory))


def sequence_werner_factor(t_s: ArrayLike, coherence_time_s: ArrayLike) -> Any:
    """SeQUeNCe's per-memory Werner factor exp(-4t / (3 T_coh)) (its BDS Pauli channel with the
    default equal X/Y/Z split; reference 1.4). Use it as ``memory_time_s = 3 T_coh / 4``."""
    time = check_nonnegative("t_s", t_s)
    coherence = np.asarray(coherence_time_s, dtype=float)
    if not np.all(coherence > 0.0):
        raise ValueError(f"coherence_time_s must be > 0, got {coherence_time_s!r}")
    return _out(np.exp(-4.0 * time / (3.0 * coherence)))


def depolarise_bds(bds: ArrayLike, factor: ArrayLike, *, check: bool = True) -> np.ndarray:
    """Depolarising channel with Werner factor x on a BDS: lambda' = x lambda + (1 - x) / 4."""
    lam = check_bds("bds", bds) if check else np.asarray(bds, dtype=float)
    x = check_probability("factor", factor, allow_zero=True) if check else np.asarray(factor)
    x = np.asarray(x)[..., None]
    return x * lam + (1.0 - x) / 4.0


def dephase_bds(bds: ArrayLike, coherence: ArrayLike, *, check: bool = True) -> np.ndarray:
    """Pure dephasing with coherence factor e = exp(-t / T2) of one half (exp(-2t / T2) for both
    halves: two Z flips cancel): Phi+ <-> Phi- and Psi- <-> Psi+ mix with weight (1 - e) / 2.

    With Werner-free weights this is F(t) = lambda_Phi+ (1 + e)/2 + lambda_Phi- (1 - e)/2,
    which tends to 1/2 (not 1/4) for a pure Phi+ (reference 1.4).
    """
    lam = check_bds("bds", bds) if check else np.asarray(bds, dtype=float)
    e = check_probability("coherence", coherence, allow_zero=True) if check else coherence
    keep = (1.0 + np.asarray(e)[..., None]) / 2.0
    flipped = lam[..., [3, 2, 1, 0]]
    return keep * lam + (1.0 - keep) * flipped


# ---------------------------------------------------------------------------- 1.5 swapping
def swap_bds(
    bds1: ArrayLike,
    bds2: ArrayLike,
    gate_fid: ArrayLike = 1.0,
    meas_fid: ArrayLike = 1.0,
    *,
    check: bool = True,
) -> np.ndarray:
    """Entanglement swap of two BDS with gate depolarising and measurement errors.

    The Pauli errors of the inputs multiply (c_k = sum over a*b=k of lambda1_a lambda2_b, so
    c_I = sum_i lambda1_i lambda2_i); each of the two measured bits is wrong with probability
    1 - eta_m (one adds X, the other Z, both Y); then the gate keeps the state with probability
    p_g and replaces it by the maximally mixed state otherwise. Its fidelity is SeQUeNCe's
    ``swapping_bds`` form (reference 1.5):
    F = p_g [eta_m^2 c_I + eta_m (1 - eta_m)(c_X + c_Z) + (1 - eta_m)^2 c_Y] + (1 - p_g) / 4,
    and for Werner inputs w_out = p_g (4 eta_m^2 - 1) / 3 w1 w2.
    """
    if check:
        lam1, lam2 = check_bds("bds1", bds1), check_bds("bds2", bds2)
        p_g = check_probability("gate_fid", gate_fid)
        eta = check_meas_fid(meas_fid)
    else:
        lam1, lam2 = np.asarray(bds1, dtype=float), np.asarray(bds2, dtype=float)
        p_g, eta = np.asarray(gate_fid, dtype=float), np.asarray(meas_fid, dtype=float)
    combined = _compose(lam1, lam2)
    eta = np.asarray(eta, dtype=float)
    wrong = 1.0 - eta
    # measurement error distribution over (I, Y, X, Z): X and Z from one wrong bit each
    meas = np.stack([eta * eta, wrong * wrong, eta * wrong, eta * wrong], axis=-1)
    out = _compose(combined, meas)
    p_g = np.asarray(p_g, dtype=float)[..., None]
    return p_g * out + (1.0 - p_g) / 4.0


def _compose(lam1: np.ndarray, lam2: np.ndarray) -> np.ndarray:
    """Distribution of the product of two independent Pauli errors (BDS order I, Y, X, Z)."""
    shape = np.broadcast_shapes(lam1.shape, lam2.shape)
    out = np.zeros(shape)
    for a in range(4):
        for b in range(4):
            out[..., _PAULI_PRODUCT[a, b]] += lam1[..., a] * lam2[..., b]
    return out


def swap_werner(
    fidelity1: ArrayLike, fidelity2: ArrayLike, gate_fid: ArrayLike = 1.0, meas_fid: ArrayLike = 1.0
) -> Any:
    """Fidelity after swapping two Werner states: w_out = p_g (4 eta_m^2 - 1)/3 w1 w2, i.e.
    F = F1 F2 + (1 - F1)(1 - F2) / 3 with perfect operations (reference 1.5)."""
    w1 = (4.0 * check_fidelity("fidelity1", fidelity1) - 1.0) / 3.0
    w2 = (4.0 * check_fidelity("fidelity2", fidelity2) - 1.0) / 3.0
    p_g = check_probability("gate_fid", gate_fid)
    eta = check_meas_fid(meas_fid)
    w_out = p_g * (4.0 * eta * eta - 1.0) / 3.0 * w1 * w2
    return _out((1.0 + 3.0 * w_out) / 4.0)


# ------------------------------------------------------------------------ 1.6 purification
def bbpssw(fidelity1: ArrayLike, fidelity2: ArrayLike) -> tuple[Any, Any]:
    """BBPSSW recurrence on two twirled Werner pairs (reference 1.6).

    Returns:
        ``(p_success, F_out)`` with p = F1 F2 + F1(1-F2)/3 + F2(1-F1)/3 + 5(1-F1)(1-F2)/9 and
        F_out = [F1 F2 + (1-F1)(1-F2)/9] / p; the output is twirled back to a Werner state.
    """
    f1 = check_fidelity("fidelity1", fidelity1)
    f2 = check_fidelity("fidelity2", fidelity2)
    g1, g2 = 1.0 - f1, 1.0 - f2
    p = f1 * f2 + f1 * g2 / 3.0 + f2 * g1 / 3.0 + 5.0 * g1 * g2 / 9.0
    return _out(p), _out((f1 * f2 + g1 * g2 / 9.0) / p)


def dejmps(
    bds1: ArrayLike, bds2: ArrayLike, gate_fid: ArrayLike = 1.0, *, check: bool = True
) -> tuple[Any, np.ndarray]:
    """DEJMPS recurrence (Deutsch et al. 1996) on two BDS (A, B, C, D) = (Phi+, Psi-, Psi+, Phi-).

    N = (A1+B1)(A2+B2) + (C1+D1)(C2+D2) is the success probability and
    A' = (A1A2 + B1B2)/N, B' = (C1D2 + D1C2)/N, C' = (C1C2 + D1D2)/N, D' = (A1B2 + B1A2)/N.
    For Werner inputs p and F' equal BBPSSW's. ``gate_fid`` < 1 depolarises both inputs by
    the two bilateral CNOTs' keep-probability before the recurrence (a simple local-noise model,
    not SeQUeNCe's exact noisy form).

    Returns:
        ``(p_success, bds_out)``.
    """
    if check:
        lam1, lam2 = check_bds("bds1", bds1), check_bds("bds2", bds2)
        p_g = check_probability("gate_fid", gate_fid)
    else:
        lam1, lam2 = np.asarray(bds1, dtype=float), np.asarray(bds2, dtype=float)
        p_g = np.asarray(gate_fid, dtype=float)
    if np.any(p_g < 1.0):
        lam1 = depolarise_bds(lam1, p_g, check=False)
        lam2 = depolarise_bds(lam2, p_g, check=False)
    a1, b1, c1, d1 = np.moveaxis(lam1, -1, 0)
    a2, b2, c2, d2 = np.moveaxis(lam2, -1, 0)
    norm = (a1 + b1) * (a2 + b2) + (c1 + d1) * (c2 + d2)
    out = (
        np.stack(
            [a1 * a2 + b1 * b2, c1 * d2 + d1 * c2, c1 * c2 + d1 * d2, a1 * b2 + b1 * a2], axis=-1
        )
        / norm[..., None]
    )
    return _out(norm), out


# -------------------------------------------------------------------- 2.1 capacity bounds
def plob_capacity(eta: ArrayLike) -> Any:
    """PLOB repeaterless bound -log2(1 - eta) ebits per channel use, computed with log1p so it
    stays accurate (about 1.44 eta) down to eta = 1e-10 and below. eta must be in [0, 1)."""
    eta_arr = _array("eta", eta)
    if not np.all((eta_arr >= 0.0) & (eta_arr < 1.0)):
        raise ValueError(f"eta must be a transmissivity in [0, 1), got {eta!r}")
    return _out(-np.log1p(-eta_arr) / math.log(2.0))


def repeater_chain_capacity(etas: ArrayLike) -> float:
    """Capacity of a chain of ideal repeaters: min over hops of -log2(1 - eta_i)."""
    values = np.atleast_1d(np.asarray(plob_capacity(etas)))
    if values.size == 0:
        raise ValueError("etas must hold at least one hop transmissivity")
    return float(values.min())


def equal_spacing_chain_capacity(
    length_km: float, n_repeaters: int, atten_db_per_km: float = 0.2
) -> float:
    """-log2(1 - eta^(1/(N+1))) for N equally spaced ideal repeaters over ``length_km``."""
    if isinstance(n_repeaters, bool) or int(n_repeaters) != n_repeaters or n_repeaters < 0:
        raise ValueError(f"n_repeaters must be an integer >= 0, got {n_repeaters!r}")
    hop_km = float(check_nonnegative("length_km", length_km)) / (n_repeaters + 1)
    return float(plob_capacity(fibre_transmissivity(hop_km, atten_db_per_km)))


def min_cut_capacity(
    edges: Iterable[tuple[Any, ...]],
    source: Hashable,
    target: Hashable,
) -> float:
    """Network (flooding) bound: min over cuts of sum_e M_e (-log2(1 - eta_e)) (reference 2.1).

    Args:
        edges: undirected edges ``(u, v, eta)`` or ``(u, v, eta, modes)``.
        source, target: the two users.

    Raises:
        ValueError: a bad edge (eta outside [0, 1), modes not an integer >= 1), an unknown
            endpoint, ``source == target``, or no path between them.
    """
    import networkx as nx

    graph = nx.Graph()
    for edge in edges:
        if len(edge) not in (3, 4):
            raise ValueError(f"edge must be (u, v, eta) or (u, v, eta, modes), got {edge!r}")
        u, v, eta = edge[0], edge[1], edge[2]
        modes = edge[3] if len(edge) == 4 else 1
        if (
            isinstance(modes, bool)
            or not isinstance(modes, (int, np.integer, float))
            or not math.isfinite(modes)
            or modes != int(modes)
            or modes < 1
        ):
            raise ValueError(f"edge {edge!r}: modes must be an integer >= 1, got {modes!r}")
        cap = float(plob_capacity(eta)) * int(modes)
        previous = graph.get_edge_data(u, v, {"capacity": 0.0})["capacity"]
        graph.add_edge(u, v, capacity=previous + cap)
    for name, node in (("source", source), ("target", target)):
        if node not in graph:
            raise ValueError(f"{name} {node!r} is not a node of the network")
    if source == target:
        raise ValueError(f"source and target must differ, got {source!r} twice")
    if not nx.has_path(graph, source, target):
        raise ValueError(f"nodes {source!r} and {target!r} are not connected")
    value, _ = nx.minimum_cut(graph.to_directed(), source, target)
    return float(value)


# --------------------------------------------------------------------- 2.3 waiting times
def two_link_swap_asap_mean_time(p: float, cutoff: float | None = math.inf) -> float:
    """E[T] (slots) of swap-asap on 2 links with deterministic swaps (reference 2.3).

    Without a cutoff (None or inf): (3 - 2p) / (p (2 - p)). With cutoff t (a link is discarded
    when its age reaches t): [1 + 2q(1 - q^t)] / [1 - q^2 - 2p q^(t+1)], q = 1 - p.
    """
    p = float(check_probability("p", p))
    if cutoff is None or (isinstance(cutoff, (int, float)) and math.isinf(cutoff)):
        return (3.0 - 2.0 * p) / (p * (2.0 - p))
    if (
        isinstance(cutoff, bool)
        or not isinstance(cutoff, (int, float))
        or int(cutoff) != cutoff
        or cutoff < 0
    ):
        raise ValueError(f"cutoff must be an integer >= 0, None or math.inf, got {cutoff!r}")
    q = 1.0 - p
    return (1.0 + 2.0 * q * (1.0 - q**cutoff)) / (1.0 - q * q - 2.0 * p * q ** (cutoff + 1))


def n_link_swap_asap_mean_time(p: float, n_links: int) -> float:
    """E[T] = sum_k (-1)^(k+1) C(n, k) / (1 - q^k): the maximum of n geometric times (swap-asap,
    deterministic swaps, no cutoff; reference 2.3)."""
    p = float(check_probability("p", p))
    if isinstance(n_links, bool) or int(n_links) != n_links or n_links < 1:
        raise ValueError(f"n_links must be an integer >= 1, got {n_links!r}")
    n_links = int(n_links)
    q = 1.0 - p
    return float(
        sum((-1) ** (k + 1) * math.comb(n_links, k) / (1.0 - q**k) for k in range(1, n_links + 1))
    )


def two_link_decay_expectation(p: float, decay_per_step: float) -> float:
    """E[x^D] = p (1 + q x) / ((2 - p)(1 - q x)) with D = |G1 - G2| the waiting link's storage
    time (2-link swap-asap, no cutoff): E[w_out] = w_link^2 E[x^D] (reference 2.3)."""
    p = float(check_probability("p", p))
    x = float(check_probability("decay_per_step", decay_per_step, allow_zero=True))
    q = 1.0 - p
    return p * (1.0 + q * x) / ((2.0 - p) * (1.0 - q * x))


def elementary_link_active_prob(p: float, cutoff: int) -> float:
    """Steady-state P(link active) = p (t + 1) / (1 + p t) of one link under cutoff t."""
    p = float(check_probability("p", p))
    if int(cutoff) != cutoff or cutoff < 0:
        raise ValueError(f"cutoff must be an integer >= 0, got {cutoff!r}")
    return p * (cutoff + 1) / (1.0 + p * cutoff)
