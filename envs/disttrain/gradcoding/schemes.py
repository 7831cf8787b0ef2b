"""Gradient-coding schemes: their normalised loads, decoding delays and straggler models, and
the menu of arms the env offers (reference/disttrain.md section 2, "Load and delay formulas").

The normalised load is the fraction of the data set each worker processes per round:

- no coding: ``1 / n``; the master waits for every worker (tolerates no straggler);
- GC(s) (Tandon et al.): ``(s + 1) / n``, delay T = 0; tolerates s stragglers per round;
- SR-SGC(B, W, lambda): requires ``B | (W - 1)``; ``s = ceil(B lambda / (W - 1 + B))``, load
  ``(s + 1) / n``, delay T = B;
- M-SGC(B, W, lambda): ``(lambda + 1)(W - 1 + B) / (n (B + (W - 1)(lambda + 1)))`` for
  lambda < n, ``(W - 1 + B) / (n (W - 1))`` for lambda = n; delay T = W - 2 + B.

SR-SGC and M-SGC tolerate straggler patterns that follow the (B, W, lambda)-bursty model: in
any W consecutive rounds at most lambda distinct workers straggle, and a worker straggling in
round r did not straggle in rounds r - W + 1 .. r - B (``rounds.py`` checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("none", "gc", "srsgc", "msgc")
"""scheme kinds, in the order of the observation's one-hot"""
KIND_NAMES = {"none": "no coding", "gc": "GC", "srsgc": "SR-SGC", "msgc": "M-SGC"}
MAX_WINDOW = 8
"""the largest window W the straggler history holds (one uint8 bit per past round)"""
LAMBDA_FRACTIONS = (1 / 128, 1 / 64, 1 / 32, 3 / 64, 1 / 16, 3 / 32, 1 / 8, 3 / 16)
"""lambda on a log-spaced grid, as fractions of n (2, 4, 8, 12, 16, 24, 32, 48 for n = 256)"""
GC_VALUES = 14
"""GC's s on a log-spaced grid of this many values from 1 to n / 2"""


def gc_load(n: int, s: int) -> float:
    """GC(s): ``(s + 1) / n``."""
    return (s + 1) / n


def srsgc_tolerance(b: int, w: int, lam: int) -> int:
    """SR-SGC's per-round GC parameter ``s = ceil(B lambda / (W - 1 + B))``."""
    return math.ceil(b * lam / (w - 1 + b))


def srsgc_load(n: int, b: int, w: int, lam: int) -> float:
    """SR-SGC(B, W, lambda): ``(s + 1) / n`` with ``s = srsgc_tolerance(B, W, lambda)``."""
    return (srsgc_tolerance(b, w, lam) + 1) / n


def msgc_load(n: int, b: int, w: int, lam: int) -> float:
    """M-SGC(B, W, lambda), the load of reference section 2."""
    if lam == n:
        return (w - 1 + b) / (n * (w - 1))
    return (lam + 1) * (w - 1 + b) / (n * (b + (w - 1) * (lam + 1)))


@dataclass(frozen=True)
class Arm:
    """One scheme with its parameters."""

    kind: str
    """one of ``KINDS``"""
    s: int = 0
    """GC: stragglers tolerated per round"""
    b: int = 0
    w: int = 0
    lam: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown scheme kind {self.kind!r}; known: {list(KINDS)}")
        if self.kind in ("srsgc", "msgc"):
            if not 1 <= self.b < self.w <= MAX_WINDOW:
                raise ValueError(
                    f"{KIND_NAMES[self.kind]} needs 1 <= B < W <= {MAX_WINDOW}, got "
                    f"B={self.b}, W={self.w}"
                )
            if self.lam < 1:
                raise ValueError(f"{KIND_NAMES[self.kind]} needs lambda >= 1, got {self.lam}")
            if self.kind == "srsgc" and (self.w - 1) % self.b:
                raise ValueError(f"SR-SGC needs B to divide W - 1, got B={self.b}, W={self.w}")
        if self.kind == "gc" and self.s < 0:
            raise ValueError(f"GC needs s >= 0, got {self.s}")

    def load(self, n: int) -> float:
        """Normalised load with ``n`` workers."""
        if self.kind == "none":
            return 1.0 / n
        if self.kind == "gc":
            return gc_load(n, self.s)
        if self.kind == "srsgc":
            return srsgc_load(n, self.b, self.w, self.lam)
        return msgc_load(n, self.b, self.w, self.lam)

    @property
    def delay(self) -> int:
        """Decoding delay T in rounds (the rounds its in-flight jobs need to finish)."""
        return {"none": 0, "gc": 0, "srsgc": self.b, "msgc": self.w - 2 + self.b}[self.kind]

    @property
    def tolerance(self) -> int:
        """GC: s per round; SR-SGC and M-SGC: lambda distinct per window; none: 0."""
        return {"none": 0, "gc": self.s}.get(self.kind, self.lam)

    @property
    def name(self) -> str:
        """E.g. ``'GC(s=15)'``, ``'M-SGC(1,2,27)'``."""
        if self.kind == "none":
            return "no coding"
        if self.kind == "gc":
            return f"GC(s={self.s})"
        return f"{KIND_NAMES[self.kind]}({self.b},{self.w},{self.lam})"


@dataclass(frozen=True, eq=False)
class ArmTable:
    """The menu as arrays (what the round rule reads), arm ``a`` in row ``a``."""

    arms: tuple[Arm, ...]
    n: int
    kind: np.ndarray
    """index into ``KINDS``"""
    load: np.ndarray
    delay: np.ndarray
    tolerance: np.ndarray
    spatial_mask: np.ndarray
    """uint8 bits of the past rounds r-1 .. r-W+1 (bit i = round r-1-i)"""
    temporal_mask: np.ndarray
    """uint8 bits of the past rounds r-B .. r-W+1"""

    @classmethod
    def of(cls, arms: tuple[Arm, ...], n: int) -> ArmTable:
        """The arrays of ``arms`` for ``n`` workers.

        Raises:
            ValueError: an arm that tolerates more stragglers than there are workers.
        """
        for arm in arms:
            if arm.tolerance > n:
                raise ValueError(f"{arm.name} tolerates more than the {n} workers")
        w = np.array([max(arm.w, 1) for arm in arms])
        b = np.array([max(arm.b, 1) for arm in arms])
        window = (1 << (w - 1)) - 1
        sgc = np.array([arm.kind in ("srsgc", "msgc") for arm in arms])
        return cls(
            arms=tuple(arms),
            n=n,
            kind=np.array([KINDS.index(arm.kind) for arm in arms]),
            load=np.array([arm.load(n) for arm in arms]),
            delay=np.array([arm.delay for arm in arms]),
            tolerance=np.array([arm.tolerance for arm in arms]),
            spatial_mask=np.where(sgc, window, 0).astype(np.uint8),
            temporal_mask=np.where(sgc, window & ~((1 << (b - 1)) - 1), 0).astype(np.uint8),
        )

    def __len__(self) -> int:
        return len(self.arms)

    def names(self) -> list[str]:
        """The arms' names, in menu order."""
        return [arm.name for arm in self.arms]

    def of_kind(self, kind: str) -> np.ndarray:
        """Indices of the arms of scheme ``kind``."""
        return np.flatnonzero(self.kind == KINDS.index(kind))


def build_menu(n: int, max_window: int = 5) -> tuple[Arm, ...]:
    """The env's menu: no coding, GC(s) for s on a log grid up to n/2, SR-SGC(B, W, lambda)
    for B | W - 1 and M-SGC(B, W, lambda) for 1 <= B < W <= ``max_window``, lambda on the
    log grid ``LAMBDA_FRACTIONS`` of n (159 arms for n = 256, W <= 5)."""
    gc_grid = np.unique(np.clip(np.round(np.geomspace(1, max(n / 2, 1), GC_VALUES)), 1, n - 1))
    lambdas = np.unique(np.clip(np.round(np.array(LAMBDA_FRACTIONS) * n), 1, n))
    arms = [Arm("none")] + [Arm("gc", s=int(s)) for s in gc_grid]
    pairs = [(b, w) for w in range(2, max_window + 1) for b in range(1, w)]
    arms += [
        Arm("srsgc", b=b, w=w, lam=int(lam))
        for b, w in pairs
        if (w - 1) % b == 0
        for lam in lambdas
    ]
    arms += [Arm("msgc", b=b, w=w, lam=int(lam)) for b, w in pairs for lam in lambdas]
    return tuple(arms)


__all__ = [
    "KINDS",
    "MAX_WINDOW",
    "Arm",
    "ArmTable",
    "build_menu",
    "gc_load",
    "msgc_load",
    "srsgc_load",
    "srsgc_tolerance",
]
