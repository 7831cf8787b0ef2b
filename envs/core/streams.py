"""Counter-based random numbers for compiled kernels (numba): the random streams of the ``-v1``
envs (issue #21: ``netgym/SeqGradCoding-v1``, ``netgym/AsyncGossip-v1``).

A number is a pure function of a 64-bit key (drawn once per episode or env from the env's own
numpy generator) and a counter, hashed with SplitMix64's finaliser (Stafford's "mix13",
``mix``). So a kernel draws a number where and when it needs it, for a whole batch in one call,
and the scalar env and every sub-env of a vector env draw the same numbers for the same key,
whatever else is stepped beside them: scalar == vector bit for bit without a numpy generator
per sub-env. Two ways to form the hash:

- ``uniform(key, counter)``: SplitMix64's own sequence, ``mix(key + (counter + 1) GAMMA)``, one
  stream per key (one ``mix`` per number);
- ``bits(key, stream, a, b)``: a three-part counter (three ``mix``), for draws indexed by
  (stream, round, worker) that must not collide, read lazily in any order.

From the 64 bits: uniforms from the top 53 bits in ``[0, 1)`` (``unit``) or ``(0, 1]``
(``unit_open``, for logarithms); normals by Marsaglia and Tsang's ziggurat (128 layers,
Doornik's layout; a rejected point draws the next hashes of a chain ``h <- mix(h + GAMMA)``);
geometric sojourns by inversion; the normal's inverse survival function (Acklam + one Halley
step). The ziggurat's tables are computed here from its two constants (R and the layer area V),
so that a test can check that the layers close at the mode. No fastmath: the numbers are the
same on every run of the same machine code; libm's ``exp`` / ``log`` may differ in the last bit
between C libraries.
"""

from __future__ import annotations

import math

import numpy as np

from .compiled import kernel

GAMMA = np.uint64(0x9E3779B97F4A7C15)
"""the golden-ratio increment of SplitMix64"""
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_STREAM = np.uint64(0xD1B54A32D192ED03)
_A = np.uint64(0xAEF17502108EF2D9)
_B = np.uint64(0xDB4F0B9175AE2165)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53
I64 = np.int64
"""constants handed to a kernel go through ``I64`` (an int64 call, not a literal): numba would
compile a callee once per literal value otherwise"""
NEVER = 1 << 40
"""the sojourn of a chain that never leaves its state (longer than any episode)"""

ZIG_LAYERS = 128
ZIG_R = 3.442619855899
"""the start of the ziggurat's tail"""
ZIG_V = 9.91256303526217e-3
"""the area of each layer"""


def ziggurat_table() -> np.ndarray:
    """(129,) the layers' right edges x_0 (the base strip's pseudo-width V / f(R)), x_1 = R,
    ..., x_128 = 0, with f(x) = exp(-x^2 / 2) and x_{i+1} = sqrt(-2 ln(V / x_i + f(x_i)))."""
    x = np.zeros(ZIG_LAYERS + 1)
    x[0] = ZIG_V / math.exp(-0.5 * ZIG_R * ZIG_R)
    x[1] = ZIG_R
    for i in range(1, ZIG_LAYERS - 1):
        x[i + 1] = math.sqrt(-2.0 * math.log(ZIG_V / x[i] + math.exp(-0.5 * x[i] * x[i])))
    x[ZIG_LAYERS] = 0.0
    return x


ZIG_X = ziggurat_table()


@kernel
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words that scatters every input bit."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel
def bits(key: np.uint64, stream: int, a: int, b: int) -> np.uint64:
    """The 64 random bits of counter (``stream``, ``a``, ``b``) under ``key``."""
    h = mix(key ^ (np.uint64(stream) * _STREAM))
    h = mix(h + np.uint64(a) * _A)
    return mix(h + np.uint64(b) * _B)


@kernel
def uniform(key: int, counter: int) -> float:  # pragma: no cover - compiled by numba
    """A uniform number in [0, 1) (53 bits): number ``counter`` (0, 1, ...) of SplitMix64's
    sequence seeded with ``key``."""
    return unit(mix(np.uint64(key) + np.uint64(counter + 1) * GAMMA))


@kernel
def unit(h: np.uint64) -> float:
    """A uniform number in [0, 1) from the top 53 bits of ``h``."""
    return float(h >> _S11) * _TO_UNIT


@kernel
def unit_open(h: np.uint64) -> float:
    """A uniform number in (0, 1] from the top 53 bits of ``h`` (for logarithms)."""
    return (float(h >> _S11) + 1.0) * _TO_UNIT


@kernel
def geometric(h: np.uint64, rate: float, log_stay: float) -> int:
    """A geometric sojourn on 1, 2, ... (leaves with probability ``rate`` per round; ``log_stay``
    = ``log1p(-rate)``, precomputed): 1 for ``rate >= 1``, ``NEVER`` for ``rate <= 0``."""
    if rate >= 1.0:
        return 1
    if rate <= 0.0:
        return NEVER
    steps = math.floor(math.log(unit_open(h)) / log_stay)
    return 1 + int(min(steps, float(NEVER)))


@kernel
def normal(h: np.uint64, table: np.ndarray) -> float:
    """A standard normal number from the hash chain that starts at ``h`` (the ziggurat)."""
    while True:
        layer = int(h & np.uint64(ZIG_LAYERS - 1))
        u = 2.0 * unit(h) - 1.0
        x = u * table[layer]
        if abs(x) < table[layer + 1]:
            return x
        h = mix(h + GAMMA)
        if layer == 0:  # the tail beyond R (Marsaglia's method)
            while True:
                a = -math.log(unit_open(h)) / table[1]
                h = mix(h + GAMMA)
                b = -math.log(unit_open(h))
                h = mix(h + GAMMA)
                if b + b > a * a:
                    return -(table[1] + a) if u < 0.0 else table[1] + a
        low = math.exp(-0.5 * (table[layer] * table[layer] - x * x))
        high = math.exp(-0.5 * (table[layer + 1] * table[layer + 1] - x * x))
        if high + unit(h) * (low - high) < 1.0:
            return x
        h = mix(h + GAMMA)


_ACKLAM_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_ACKLAM_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_ACKLAM_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_ACKLAM_D = (
    7.784695709041462e-03,
    3.224671290700398e-01,
    2.445134137142996e00,
    3.754408661907416e00,
)


@kernel
def inverse_survival(w: float) -> float:
    """The z with P(Z > z) = ``w`` for a standard normal Z, 0 < w < 1: Acklam's rational
    approximation of the normal quantile (relative error < 1.2e-9) refined by one Halley step
    on ``erfc`` (cubic convergence: full double precision)."""
    a, b, c, d = _ACKLAM_A, _ACKLAM_B, _ACKLAM_C, _ACKLAM_D
    p = 1.0 - w  # the quantile's probability; tails computed from w itself
    if w < 0.02425:
        r = math.sqrt(-2.0 * math.log(w))
        x = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / (
            (((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0
        )
    elif w > 1.0 - 0.02425:
        r = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / (
            (((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0
        )
    else:
        r = p - 0.5
        s = r * r
        x = (
            (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5])
            * r
            / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1.0)
        )
    # x is the quantile of 1 - w; one Halley step on S(z) = w, S(z) = erfc(z / sqrt 2) / 2
    e = (0.5 * math.erfc(x * 0.7071067811865476) - w) * 2.5066282746310002 * math.exp(0.5 * x * x)
    return x + e / (1.0 - 0.5 * x * e)


@kernel
def normals_of(key: np.uint64, count: int, table: np.ndarray, out: np.ndarray) -> None:
    """``out[j]`` = the normal of counter (0, 0, j) under ``key`` (tests of the distribution)."""
    for j in range(count):
        out[j] = normal(bits(key, I64(0), I64(0), j), table)


__all__ = [
    "GAMMA",
    "I64",
    "NEVER",
    "ZIG_X",
    "bits",
    "geometric",
    "inverse_survival",
    "mix",
    "normal",
    "normals_of",
    "unit",
    "uniform",
    "unit_open",
    "ziggurat_table",
]
