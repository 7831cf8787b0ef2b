"""Fibre, timing and heralded link generation (reference/quantum.md 1.1 and 1.2)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import ArrayLike, check_nonnegative, check_probability, scalar_or_array

SPEED_OF_LIGHT_FIBRE_KM_PER_S = 2.0e5
"""light speed in fibre, km/s (SeQUeNCe ``SPEED_OF_LIGHT = 2e-4`` m/ps)"""


# ------------------------------------------------------------------------ 1.1 fibre, timing
def fibre_transmissivity(length_km: ArrayLike, atten_db_per_km: ArrayLike = 0.2) -> Any:
    """eta(L) = 10^(-a L / 10): the probability that a photon crosses ``length_km`` of fibre."""
    length = check_nonnegative("length_km", length_km)
    atten = check_nonnegative("atten_db_per_km", atten_db_per_km)
    return scalar_or_array(np.power(10.0, -atten * length / 10.0))


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
    return scalar_or_array(prep + trips * length / c_km_per_s)


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
    return scalar_or_array(eta * np.asarray(eta_det) * fibre)


def double_click(eta_arm: ArrayLike) -> tuple[Any, Any]:
    """Barrett-Kok two-photon heralding: success p = eta_arm^2 / 2, ideal fidelity 1.

    Returns:
        ``(p, F)``; the linear-optics Bell measurement detects 2 of the 4 Bell states.
    """
    eta = check_probability("eta_arm", eta_arm, allow_zero=True)
    return scalar_or_array(eta * eta / 2.0), scalar_or_array(np.ones_like(eta))


def single_click(alpha: ArrayLike, eta_arm: ArrayLike) -> tuple[Any, Any]:
    """Single-photon heralding (NV, Humphreys et al. 2018): p = 2 alpha eta_arm, F = 1 - alpha.

    ``alpha`` is the bright-state population, in (0, 1/2]; it trades rate against fidelity.
    """
    alpha_arr = check_probability("alpha", alpha)
    if not np.all(alpha_arr <= 0.5):
        raise ValueError(f"alpha must be in (0, 0.5], got {alpha!r}")
    eta = check_probability("eta_arm", eta_arm, allow_zero=True)
    return scalar_or_array(np.minimum(2.0 * alpha_arr * eta, 1.0)), scalar_or_array(
        1.0 - alpha_arr + 0.0 * eta
    )


def multiplexed_success_prob(p: ArrayLike, modes: ArrayLike) -> Any:
    """P_M = 1 - (1 - p)^M: at least one of M parallel modes succeeds in a round."""
    p_arr = check_probability("p", p, allow_zero=True)
    modes_arr = np.asarray(modes)
    if not np.all((modes_arr >= 1) & (modes_arr == np.round(modes_arr))):
        raise ValueError(f"modes must be an integer >= 1, got {modes!r}")
    with np.errstate(divide="ignore"):
        out = -np.expm1(modes_arr * np.log1p(-p_arr))
    return scalar_or_array(np.where(p_arr >= 1.0, 1.0, out))


__all__ = [
    "SPEED_OF_LIGHT_FIBRE_KM_PER_S",
    "arm_efficiency",
    "attempt_time_s",
    "double_click",
    "fibre_transmissivity",
    "multiplexed_success_prob",
    "single_click",
]
