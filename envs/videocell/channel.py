"""The radio side of ``netgym/WirelessVideoCell-v0``: path loss, Rayleigh fading with Jakes
(Clarke) correlation, and the link abstractions that map an SINR to bits.

Every formula is one function, used by the sim and by the tests (reference
``seeds-more.md`` section 5; the tags there say which constants are verified):

- ``uma_path_loss_db``: 3GPP TR 38.901 UMa NLOS, the max of the NLOS and LOS formulas.
- ``SosFading``: a sum of ``M`` sinusoids with complex Gaussian amplitudes
  ``c_m ~ CN(0, 1/M)``, random arrival angles and phases: each sample is exactly complex
  Gaussian (Rayleigh amplitude, exponential power of mean 1) and the ensemble autocorrelation
  is exactly ``J0(2 pi f_D tau)`` (Clarke's model), for any ``M``.
- ``cqi_se``: LTE/NR CQI table 1 (64-QAM) spectral efficiencies above the 10 %-BLER SINR
  thresholds.
- ``lzg_mode`` / ``lzg_per``: the Liu-Zhou-Giannakis AMC (6 modes, packet error rate
  ``a_n exp(-g_n gamma)``), each mode used above the SINR where its PER meets the target.
"""

from __future__ import annotations

import math

import numpy as np

CQI_SE = np.array(
    [0.0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305,
     3.3223, 3.9023, 4.5234, 5.1152, 5.5547]
)  # fmt: skip
"""spectral efficiency (bit/s/Hz) of CQI 0 (out of range) .. 15, TS 36.213 table 7.2.3-1"""
CQI_SINR_DB = np.array(
    [-6.7, -4.7, -2.3, 0.2, 2.4, 4.3, 5.9, 8.1, 10.3, 11.7, 14.1, 16.3, 18.7, 21.0, 22.7]
)
"""lowest SINR (dB) of CQI 1 .. 15 at 10 % BLER (a simulator set, not standardised)"""

LZG_RATE = np.array([0.5, 1.0, 1.5, 2.25, 3.0, 4.5])
"""bits per symbol of the six LZG modes (BPSK 1/2 .. 64-QAM 3/4)"""
LZG_A = np.array([274.7229, 90.2514, 67.6181, 50.1222, 53.3987, 35.3508])
LZG_G = np.array([7.9932, 3.4998, 1.6883, 0.6644, 0.3756, 0.0900])
LZG_GAMMA_P_DB = np.array([-1.5331, 1.0942, 3.9722, 7.7021, 10.2488, 15.9784])
"""LZG fit: PER_n(gamma) = a_n exp(-g_n gamma) for gamma >= gamma_pn (linear SINR), else 1"""


def db_to_linear(db: float | np.ndarray) -> float | np.ndarray:
    """10 ** (dB / 10)."""
    return 10.0 ** (np.asarray(db, dtype=np.float64) / 10.0)


def uma_path_loss_db(distance_m: np.ndarray, carrier_ghz: float) -> np.ndarray:
    """TR 38.901 UMa NLOS path loss (dB) at ground distances ``distance_m`` (BS 25 m, UE
    1.5 m high): ``max(PL_LOS, 13.54 + 39.08 log10 d3D + 20 log10 fc)``."""
    d3d = np.sqrt(np.asarray(distance_m, dtype=np.float64) ** 2 + 23.5**2)
    nlos = 13.54 + 39.08 * np.log10(d3d) + 20.0 * math.log10(carrier_ghz)
    los = 28.0 + 22.0 * np.log10(d3d) + 20.0 * math.log10(carrier_ghz)
    return np.maximum(nlos, los)


def jakes_correlation(doppler_hz: float, lag_s: float | np.ndarray) -> float | np.ndarray:
    """Clarke/Jakes autocorrelation of the complex gain, ``J0(2 pi f_D tau)`` (series)."""
    x = 2.0 * math.pi * doppler_hz * np.asarray(lag_s, dtype=np.float64)
    return bessel_j0(x)


def bessel_j0(x: float | np.ndarray) -> np.ndarray:
    """J0 by its power series (|x| <= 20) or Hankel's asymptotic form with its first
    corrections (|x| > 20), to about 1e-6 (no scipy)."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    out = np.zeros_like(x)
    small = x <= 20.0
    xs = x[small]
    term = np.ones_like(xs)
    total = np.ones_like(xs)
    for k in range(1, 80):
        term = term * -((xs / 2.0) ** 2) / (k * k)
        total = total + term
    out[small] = total
    xl = x[~small]
    chi = xl - math.pi / 4
    p, q = 1.0 - 9.0 / (128.0 * xl**2), -1.0 / (8.0 * xl)
    out[~small] = np.sqrt(2.0 / (math.pi * xl)) * (p * np.cos(chi) - q * np.sin(chi))
    return out


class SosFading:
    """Jakes-correlated Rayleigh power gains for arrays of links (any leading shape).

    ``draw(rng, shape)`` gives each link ``n_sinusoids`` Doppler frequencies
    ``2 pi f_D cos(alpha_m)`` and amplitudes ``CN(0, 1/M)``; ``gains(t_s)`` is then the power
    ``|sum_m c_m exp(j w_m t)|^2`` at times ``t_s`` (last axis).
    """

    def __init__(self, doppler_hz: float, n_sinusoids: int) -> None:
        self.doppler_hz = doppler_hz
        self.n_sinusoids = n_sinusoids

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        """Amplitudes (complex128) and angular Doppler frequencies (rad/s), ``shape + (M,)``."""
        m = self.n_sinusoids
        alpha = rng.uniform(0.0, 2.0 * math.pi, shape + (m,))
        amp = (rng.standard_normal(shape + (m,)) + 1j * rng.standard_normal(shape + (m,))) / (
            math.sqrt(2.0 * m)
        )
        omega = 2.0 * math.pi * self.doppler_hz * np.cos(alpha)
        return amp, omega


def complex_gains_at(amp: np.ndarray, omega: np.ndarray, t_s: float | np.ndarray) -> np.ndarray:
    """Complex gains ``sum_m c_m exp(j w_m t)`` of links (``amp``, ``omega``: ``shape + (M,)``)
    at time(s) ``t_s``: a scalar or an array broadcasting against ``shape``."""
    t = np.asarray(t_s, dtype=np.float64)[..., None]
    return (amp * np.exp(1j * omega * t)).sum(axis=-1)


def gains_at(amp: np.ndarray, omega: np.ndarray, t_s: float | np.ndarray) -> np.ndarray:
    """Power gains ``|h|^2`` of ``complex_gains_at``."""
    h = complex_gains_at(amp, omega, t_s)
    return h.real**2 + h.imag**2


def phasor_table(omega: np.ndarray, tti_s: float, n_ttis: int) -> np.ndarray:
    """``exp(j w_m tau tti)`` for tau = 0 .. n_ttis - 1: ``shape + (M, n_ttis)`` complex64."""
    tau = np.arange(n_ttis, dtype=np.float64) * tti_s
    return np.exp(1j * omega[..., None] * tau).astype(np.complex64)


def epoch_gains(
    amp: np.ndarray, omega: np.ndarray, table: np.ndarray, t0_s: np.ndarray
) -> np.ndarray:
    """Power gains of every TTI of an epoch starting at ``t0_s`` (one per leading row):
    ``shape + (n_ttis,)``, from the phasor table of ``phasor_table``."""
    t0 = np.asarray(t0_s, dtype=np.float64).reshape(t0_s.shape + (1,) * (amp.ndim - 1))
    return phasor_gains(amp * np.exp(1j * omega * t0), table)


def phasor_gains(z0: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Power gains of every TTI of an epoch whose first-TTI phasors ``c_m exp(j w_m t0)`` are
    ``z0`` (``shape + (M,)``): ``|z0 . table|^2``, ``shape + (n_ttis,)``."""
    h = np.matmul(z0.astype(np.complex64)[..., None, :], table)[..., 0, :]
    return h.real**2 + h.imag**2  # float32, the precision of the table


def count_reached(thresholds: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many of the increasing ``thresholds`` each value reaches (``>=``): the same as
    ``searchsorted(thresholds, values, side='right')``, about 3x faster for short tables."""
    values = np.asarray(values)
    if values.size < 4096:  # below this, one searchsorted call costs less than the loop
        return np.searchsorted(thresholds, values, side="right")
    out = np.zeros(values.shape, dtype=np.int8)
    for threshold in thresholds.astype(values.dtype):
        out += values >= threshold
    return out


def cqi_index(sinr_linear: np.ndarray) -> np.ndarray:
    """CQI (0 .. 15) of linear SINRs: the highest CQI whose 10 %-BLER threshold they reach."""
    return count_reached(_CQI_SINR_LINEAR, sinr_linear)


def cqi_se(sinr_linear: np.ndarray) -> np.ndarray:
    """Spectral efficiency (bit/s/Hz) of the CQI chosen at each linear SINR."""
    return CQI_SE[cqi_index(sinr_linear)]


def lzg_thresholds_db(target_per: float) -> np.ndarray:
    """SINR (dB) above which each LZG mode meets ``target_per``: ``ln(a_n / P0) / g_n``, never
    below the fit's own ``gamma_pn``."""
    gamma = np.log(LZG_A / target_per) / LZG_G
    return np.maximum(10.0 * np.log10(gamma), LZG_GAMMA_P_DB)


def lzg_mode(sinr_linear: np.ndarray, target_per: float) -> np.ndarray:
    """LZG mode index (0 = no transmission, 1 .. 6) chosen at each linear SINR."""
    return count_reached(db_to_linear(lzg_thresholds_db(target_per)), sinr_linear)


def lzg_per(mode: np.ndarray, sinr_linear: np.ndarray) -> np.ndarray:
    """Packet error rate of ``mode`` (1 .. 6; 0 gives 1) at each linear SINR."""
    index = np.maximum(np.asarray(mode) - 1, 0)
    per = LZG_A[index] * np.exp(-LZG_G[index] * sinr_linear)
    per = np.where(sinr_linear < db_to_linear(LZG_GAMMA_P_DB)[index], 1.0, per)
    return np.where(np.asarray(mode) == 0, 1.0, np.minimum(per, 1.0))


def lzg_rate(sinr_linear: np.ndarray, target_per: float) -> np.ndarray:
    """Bits per symbol of the mode chosen at each linear SINR (0 below the first mode)."""
    return np.concatenate([[0.0], LZG_RATE])[lzg_mode(sinr_linear, target_per)]


def lzg_goodput(sinr_linear: np.ndarray, target_per: float) -> np.ndarray:
    """Expected delivered bits per symbol: the mode's rate times ``1 - PER``."""
    mode = lzg_mode(sinr_linear, target_per)
    return np.concatenate([[0.0], LZG_RATE])[mode] * (1.0 - lzg_per(mode, sinr_linear))


def max_ci_pick(gains: np.ndarray, axis: int = 0) -> np.ndarray:
    """Max-C/I: the index of the user with the highest gain along ``axis`` (per subband, TTI)."""
    return np.argmax(gains, axis=axis)


_CQI_SINR_LINEAR = db_to_linear(CQI_SINR_DB)

__all__ = [
    "CQI_SE",
    "CQI_SINR_DB",
    "LZG_A",
    "LZG_G",
    "LZG_GAMMA_P_DB",
    "LZG_RATE",
    "SosFading",
    "bessel_j0",
    "complex_gains_at",
    "count_reached",
    "cqi_index",
    "cqi_se",
    "db_to_linear",
    "epoch_gains",
    "gains_at",
    "jakes_correlation",
    "lzg_goodput",
    "lzg_mode",
    "lzg_per",
    "lzg_rate",
    "lzg_thresholds_db",
    "max_ci_pick",
    "phasor_gains",
    "phasor_table",
    "uma_path_loss_db",
]
