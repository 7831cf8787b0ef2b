"""Link-budget helpers of the multi-UAV env: dB conversions, thermal noise, free-space loss,
elevation angles and the SINR with co-channel interference (pure numpy, vectorised).

``sinr_from_mw`` is the one SINR formula of the family: the validated ``sinr_db`` helper here,
the batched sim and the single-env fast path all call it. Formulas and sanity numbers come from
``shared/reference/uav.md`` sections 2, 3 and 6.2.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ..core.validation import check_choice, check_range

ArrayLike = Any  # anything np.asarray turns into a float array

SPEED_OF_LIGHT_TERM_DB = 147.55
"""20 log10(4 pi / c) in dB, the constant of the free-space path loss with d in m, fc in Hz"""
DEGREES_PER_RADIAN = 180.0 / math.pi
"""the factor of ``np.degrees``"""

MIN_DISTANCE_M = 1.0
"""3-D distances are clamped to this: the far-field formulas are meaningless closer in"""


# ---------------------------------------------------------------------------------- helpers
def db_to_linear(x_db: ArrayLike) -> np.ndarray | float:
    """Power ratio in dB to linear: ``10 ** (x / 10)`` (a power, not an amplitude: /10, not /20)."""
    return 10.0 ** (np.asarray(x_db, dtype=float) / 10.0)


def linear_to_db(x_linear: ArrayLike) -> np.ndarray | float:
    """Linear power ratio to dB: ``10 log10(x)`` (0 gives -inf)."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(x_linear, dtype=float))


def dbm_to_watt(x_dbm: ArrayLike) -> np.ndarray | float:
    """Power in dBm to watts: ``10 ** ((x - 30) / 10)``."""
    return 10.0 ** ((np.asarray(x_dbm, dtype=float) - 30.0) / 10.0)


def noise_power_dbm(
    bandwidth_hz: float, noise_figure_db: float = 9.0, density_dbm_hz: float = -174.0
) -> float:
    """Thermal noise power over a band: ``density + 10 log10(B) + NF`` (reference/uav.md 6.2).

    The defaults give -174 + 10 log10(20e6) + 9 = -92.0 dBm over 20 MHz.
    """
    check_range("noise_power_dbm", "bandwidth_hz", bandwidth_hz, low=0, low_inclusive=False)
    check_range("noise_power_dbm", "noise_figure_db", noise_figure_db, low=0)
    check_range("noise_power_dbm", "density_dbm_hz", density_dbm_hz)
    return float(density_dbm_hz + 10.0 * math.log10(bandwidth_hz) + noise_figure_db)


INTERFERENCE_MODES = ("co_channel", "none")


def sinr_db(
    rx_dbm: ArrayLike, noise_dbm: ArrayLike, interference: str = "co_channel"
) -> np.ndarray:
    """SINR of every user/UAV pair, in dB.

    With ``interference="co_channel"`` every other UAV transmits on the same band, so for user
    ``n`` served by UAV ``k``: ``SINR = P_nk / (sum_j P_nj - P_nk + N0)`` in linear powers
    (reference/uav.md 6.2). ``"none"`` gives the SNR ``P_nk / N0``.

    Args:
        rx_dbm: received power of each user (rows) from each UAV (columns), shape (N, K), dBm;
            -inf stands for a UAV that is silent for this user.
        noise_dbm: noise power in dBm, a scalar or anything broadcasting against (N, K).
        interference: ``"co_channel"`` or ``"none"``.

    Returns:
        (N, K) float array of SINRs in dB.
    """
    check_choice("sinr_db", "interference", interference, INTERFERENCE_MODES)
    rx = np.asarray(rx_dbm, dtype=float)
    if rx.ndim != 2:
        raise ValueError(f"sinr_db.rx_dbm must be a 2-D (users, uavs) array, got shape {rx.shape}")
    if np.isnan(rx).any() or np.isposinf(rx).any():
        raise ValueError("sinr_db.rx_dbm must not contain NaN or +inf")
    noise = finite_array("sinr_db", "noise_dbm", noise_dbm)
    rx_mw = db_to_linear(rx)
    noise_mw = db_to_linear(noise)
    total_mw = rx_mw.sum(axis=1, keepdims=True) if interference == "co_channel" else None
    with np.errstate(divide="ignore"):
        return sinr_from_mw(rx_mw, noise_mw, total_mw)


def sinr_from_mw(
    rx_mw: np.ndarray,
    floor_mw: np.ndarray | float,
    total_mw: np.ndarray | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """SINR in dB of every user/UAV pair from linear powers (reference/uav.md 6.2):
    ``10 log10(P_nk / (floor + max(total_n - P_nk, 0)))``, or the SNR ``10 log10(P_nk / floor)``
    without co-channel interference.

    Args:
        rx_mw: received power of each user from each UAV, (..., N, K), linear (mW or W).
        floor_mw: noise (plus any BS interference), broadcasting against ``rx_mw``.
        total_mw: each user's total UAV power (..., N, 1), the sum over the K UAVs, for
            co-channel interference (every other UAV transmits on the same band); None for
            none. The caller sums (numpy's ``sum`` and a running sum round differently for
            K >= 8, and each kernel keeps its own order).
        out: an array shaped like ``rx_mw`` to write into (None: new arrays, with numpy's
            broadcasting).

    Returns:
        The SINRs in dB, shaped like ``rx_mw`` (``out`` when given).
    """
    if total_mw is None:
        ratio = np.divide(rx_mw, floor_mw, out=out)
    else:
        # total minus own; the subtraction's rounding residue is clamped at zero
        interference = np.subtract(total_mw, rx_mw, out=out)
        np.maximum(interference, 0.0, out=interference)
        ratio = np.add(floor_mw, interference, out=out)
        np.divide(rx_mw, ratio, out=ratio)
    np.log10(ratio, out=ratio)
    return np.multiply(ratio, 10.0, out=ratio)


def fspl_db(distance_m: ArrayLike, fc_hz: float) -> np.ndarray:
    """Free-space path loss ``20 log10(d) + 20 log10(fc) - 147.55`` dB (d in m, fc in Hz).

    Distances are clamped to ``MIN_DISTANCE_M``. FSPL(1 km, 2 GHz) = 98.47 dB.
    """
    check_fc("fspl_db", fc_hz)
    return _fspl_db(finite_array("fspl_db", "distance_m", distance_m, low=0.0), fc_hz)


def elevation_deg(horizontal_m: ArrayLike, height_m: ArrayLike) -> np.ndarray:
    """Elevation angle ``(180 / pi) atan(h / r)`` in DEGREES (90 directly below the UAV)."""
    horizontal = finite_array("elevation_deg", "horizontal_m", horizontal_m, low=0.0)
    height = finite_array("elevation_deg", "height_m", height_m, low=0.0)
    return _elevation_deg(horizontal, height)


# The private helpers below are the hot path of every model. Each takes an optional ``out``
# (an array of the result's shape, which may be an input itself): the operations then run in
# place, in the same order as the formula, so that a step allocates no large temporaries.
# Without ``out`` they allocate the result (a numpy scalar for 0-d inputs, as numpy returns).
def _buffer(out: np.ndarray | None, *inputs: Any) -> np.ndarray:
    """``out``, or a new float array of the inputs' broadcast shape."""
    if out is not None:
        return out
    return np.empty(np.broadcast_shapes(*(np.shape(x) for x in inputs)))


def _returned(out: np.ndarray) -> Any:
    """``out``, or its value as a numpy scalar when it is 0-d."""
    return out if out.ndim else out[()]


def _fspl_db(
    distance_m: np.ndarray, fc_hz: float, out: np.ndarray | None = None, clamped: bool = False
) -> Any:
    """``fspl_db`` on validated inputs: ``20 log10(max(d, 1)) + 20 log10(fc) - 147.55``;
    ``clamped=True`` says that every distance is >= ``MIN_DISTANCE_M`` already (the 3-D
    distance to a UAV at least that high), so the clamp, which would change nothing, is
    skipped."""
    out = _buffer(out, distance_m)
    if not clamped:
        distance_m = np.maximum(distance_m, MIN_DISTANCE_M, out=out)
    np.log10(distance_m, out=out)
    np.multiply(out, 20.0, out=out)
    np.add(out, 20.0 * math.log10(fc_hz), out=out)
    return _returned(np.subtract(out, SPEED_OF_LIGHT_TERM_DB, out=out))


def _distance_m(
    horizontal_m: np.ndarray, height_m: np.ndarray | float, out: np.ndarray | None = None
) -> Any:
    """Straight-line distance ``sqrt(r^2 + h^2)`` (4x faster than ``np.hypot``, which guards
    against overflow that metre-scale geometry never reaches; equal to within an ulp)."""
    out = np.multiply(horizontal_m, horizontal_m, out=_buffer(out, horizontal_m, height_m))
    np.add(out, height_m * height_m, out=out)
    return _returned(np.sqrt(out, out=out))


def _above_clamp(height_m: Any) -> bool:
    """Whether a 3-D distance over ``height_m`` is surely >= ``MIN_DISTANCE_M``: a scalar
    height of at least that (sqrt(r^2 + h^2) >= sqrt(h^2) >= 1 with IEEE rounding)."""
    return np.ndim(height_m) == 0 and height_m >= MIN_DISTANCE_M


def _elevation_deg(
    horizontal_m: np.ndarray, height_m: np.ndarray | float, out: np.ndarray | None = None
) -> Any:
    # arctan2 keeps r = 0 (directly below) at 90 degrees without a division by zero;
    # * 180/pi is what np.degrees computes (the same values), 5x faster.
    out = np.arctan2(height_m, horizontal_m, out=_buffer(out, horizontal_m, height_m))
    return _returned(np.multiply(out, DEGREES_PER_RADIAN, out=out))


def work_arrays(work: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    """Three arrays of ``shape`` laid out in the flat scratch ``work`` (at least 3 x size): the
    hot path's buffers for the link arithmetic, written in place."""
    size = math.prod(shape)
    return [work[i * size : (i + 1) * size].reshape(shape) for i in range(3)]


def check_fc(owner: str, fc_hz: float) -> None:
    check_range(owner, "fc_hz", fc_hz, low=0, low_inclusive=False)


def finite_array(owner: str, field: str, value: ArrayLike, low: float | None = None) -> np.ndarray:
    """Float array of ``value``; ``ValueError`` naming the first NaN/inf or below-``low`` entry."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}.{field} must be numeric, got {value!r}") from None
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{owner}.{field} must be finite, got {float(array[bad].flat[0])}")
    if low is not None and (array < low).any():
        raise ValueError(
            f"{owner}.{field} must be >= {low}, got {float(array[array < low].flat[0])}"
        )
    return array


def bool_mask(owner: str, field: str, value: ArrayLike) -> np.ndarray:
    mask = np.asarray(value)
    if mask.dtype != bool:
        raise ValueError(f"{owner}.{field} must be a boolean array, got dtype {mask.dtype}")
    return mask


def build_named(kind: str, registry: dict[str, type], name: str, options: dict[str, Any]) -> Any:
    """``registry[name](**options)``; ``ValueError`` naming the unknown model or options."""
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; known: {sorted(registry)}")
    cls = registry[name]
    accepted = [p for p in inspect.signature(cls).parameters]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"{kind} {name!r} has no options {unknown}; accepted: {accepted}")
    return cls(**options)


__all__ = [
    "INTERFERENCE_MODES",
    "db_to_linear",
    "dbm_to_watt",
    "elevation_deg",
    "fspl_db",
    "linear_to_db",
    "noise_power_dbm",
    "sinr_db",
    "sinr_from_mw",
]
