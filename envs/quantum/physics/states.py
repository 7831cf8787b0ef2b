"""Two-qubit states and what operations do to them (reference/quantum.md 1.3 to 1.6).

Werner states are one fidelity ``F`` (or the Werner parameter ``w = (4F - 1) / 3``);
Bell-diagonal states (BDS) are arrays whose last axis holds the four Bell-state weights in the
order ``(Phi+, Psi-, Psi+, Phi-)``, so ``F = bds[..., 0]``; in the Pauli picture (the error
applied to one half of ``|Phi+>``) this order is ``(I, Y, X, Z)``. The ``*_bds`` kernels used
in the simulators' hot loops skip their checks when told (``check=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import (
    ArrayLike,
    check_bds,
    check_fidelity,
    check_meas_fid,
    check_nonnegative,
    check_probability,
    scalar_or_array,
)

# Pauli products in the BDS index order (I, Y, X, Z) = (Phi+, Psi-, Psi+, Phi-): index of the
# product of the errors with indices a and b (up to a phase).
_PAULI_PRODUCT = np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]])


# -------------------------------------------------------------------------------- 1.3 states
def werner_param(fidelity: ArrayLike) -> Any:
    """w = (4F - 1) / 3 of a Werner state with fidelity F in [1/4, 1]."""
    return scalar_or_array((4.0 * check_fidelity("fidelity", fidelity) - 1.0) / 3.0)


def werner_fidelity(w: ArrayLike) -> Any:
    """F = (1 + 3w) / 4 of a Werner state with parameter w in [0, 1]."""
    w_arr = check_probability("w", w, allow_zero=True)
    return scalar_or_array((1.0 + 3.0 * w_arr) / 4.0)


def scaled_fidelity(fidelity: ArrayLike) -> Any:
    """(F - 1/4) / (3/4): a fidelity in [1/4, 1] mapped onto [0, 1] (unchecked; the fidelity
    feature of the envs' observations)."""
    return (fidelity - 0.25) / 0.75


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
    return scalar_or_array(np.maximum(0.0, 1.0 + terms.sum(axis=-1)))


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
    return scalar_or_array(decay_werner(fid, np.exp(-halves * time / memory)))


def decay_werner(fidelity: ArrayLike, factor: ArrayLike) -> Any:
    """F' = 1/4 + (F - 1/4) x: a Werner state after a depolarising channel of Werner factor x
    (unchecked: the kernel of ``depolarised_fidelity`` and of the scheduling sim's slots)."""
    return 0.25 + (fidelity - 0.25) * factor


def sequence_werner_factor(t_s: ArrayLike, coherence_time_s: ArrayLike) -> Any:
    """SeQUeNCe's per-memory Werner factor exp(-4t / (3 T_coh)) (its BDS Pauli channel with the
    default equal X/Y/Z split; reference 1.4). Use it as ``memory_time_s = 3 T_coh / 4``."""
    time = check_nonnegative("t_s", t_s)
    coherence = np.asarray(coherence_time_s, dtype=float)
    if not np.all(coherence > 0.0):
        raise ValueError(f"coherence_time_s must be > 0, got {coherence_time_s!r}")
    return scalar_or_array(np.exp(-4.0 * time / (3.0 * coherence)))


def depolarise_bds(bds: ArrayLike, factor: ArrayLike, *, check: bool = True) -> np.ndarray:
    """Depolarising channel with Werner factor x on a BDS: lambda' = x lambda + (1 - x) / 4."""
    lam = check_bds("bds", bds) if check else np.asarray(bds, dtype=float)
    x = check_probability("factor", factor, allow_zero=True) if check else factor
    if not isinstance(x, float):  # an array of factors: one per state
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
    return scalar_or_array((1.0 + 3.0 * w_out) / 4.0)


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
    return scalar_or_array(p), scalar_or_array((f1 * f2 + g1 * g2 / 9.0) / p)


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
    return scalar_or_array(norm), out


__all__ = [
    "bbpssw",
    "decay_werner",
    "dejmps",
    "dephase_bds",
    "depolarise_bds",
    "depolarised_fidelity",
    "hashing_yield",
    "hashing_yield_bds",
    "scaled_fidelity",
    "sequence_werner_factor",
    "swap_bds",
    "swap_werner",
    "twirl_bds",
    "werner_bds",
    "werner_fidelity",
    "werner_param",
]
