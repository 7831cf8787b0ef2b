"""Genet-style synthetic bandwidth traces (``GenetTraces``): the unseen-setting generator.

A seeded re-implementation of Genet's trace generator (NetLLM's
``adaptive_bitrate_streaming/baseline_special/trace_generator.py``; ``shared/reference/netllm.md``):
piecewise-constant bandwidth, a level drawn uniformly from a range and held for a few samples,
sample gaps drawn uniformly. It is a sibling of ``SyntheticTraces`` (the embedded default, a
Markov-modulated process) rather than a mode of it, so that the fields of that spec, and with
them the versions of the protocols that hold it, stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.validation import MAX_INT64, check_choice, check_int, check_range
from .traces import MAX_MBPS, MAX_TRACE_S, SyntheticTraces, TraceSet, synthetic_traces

GENET_ROUND = 2
"""decimals of Genet's generator: rates in 0.01 Mbps, times in 0.01 s"""


@dataclass(frozen=True)
class GenetTraces:
    """A seeded generator of Genet-style bandwidth traces (NetLLM's
    ``baseline_special/trace_generator.py``): piecewise-constant bandwidth.

    Each trace starts at t = 0; sample gaps are drawn uniformly from
    ``[interval_low_s, interval_high_s]`` (Genet: 0.1-3.5 s) until ``duration_s`` is reached;
    the bandwidth is a level drawn uniformly from ``[low_mbps, high_mbps]`` and held for a
    uniformly drawn ``hold_min``..``hold_max`` samples (Genet's ``T_s``), then a new level is
    drawn. With probability ``fade_prob`` a new level is a *fade* instead, drawn uniformly from
    ``[fade_low_mbps, fade_high_mbps]`` (an addition to Genet; 0 = none, as in Genet). Rates
    are rounded to 0.01 Mbps and times to 0.01 s, as Genet writes them. A sibling of
    ``SyntheticTraces``: ``AbrParams.synthetic_traces`` takes either (a dict with
    ``generator='genet'`` builds this one).
    """

    generator: str = "genet"
    """the generator's name, always 'genet' (what tells a dict of these fields apart)"""
    n_traces: int = 100
    """number of traces in the set"""
    duration_s: float = 320.0
    """length of each trace: samples are added until one reaches it (traces wrap)"""
    interval_low_s: float = 0.1
    """shortest gap between samples (Genet: 0.1 s)"""
    interval_high_s: float = 3.5
    """longest gap between samples (Genet: 3.5 s)"""
    low_mbps: float = 0.2
    """lowest level"""
    high_mbps: float = 8.0
    """highest level"""
    hold_min: int = 1
    """fewest samples a level is held"""
    hold_max: int = 5
    """most samples a level is held (Genet's T_s)"""
    fade_prob: float = 0.0
    """probability that a new level is a fade"""
    fade_low_mbps: float = 0.05
    """lowest rate of a fade"""
    fade_high_mbps: float = 0.2
    """highest rate of a fade"""
    seed: int = 0
    """seed of the data set (not of the episodes): the same seed gives the same traces"""

    def __post_init__(self) -> None:
        owner = "GenetTraces"
        check_choice(owner, "generator", self.generator, ("genet",))
        check_int(self, owner, "n_traces", low=1, high=MAX_INT64)
        check_range(owner, "duration_s", self.duration_s, low=0.02, high=MAX_TRACE_S)
        check_range(
            owner, "interval_low_s", self.interval_low_s, low=0.01, high=self.duration_s / 2
        )
        check_range(
            owner,
            "interval_high_s",
            self.interval_high_s,
            low=self.interval_low_s,
            high=self.duration_s,
        )
        check_range(owner, "low_mbps", self.low_mbps, low=0.01, high=MAX_MBPS)
        check_range(owner, "high_mbps", self.high_mbps, low=self.low_mbps, high=MAX_MBPS)
        check_int(self, owner, "hold_min", low=1, high=MAX_INT64)
        check_int(self, owner, "hold_max", low=self.hold_min, high=MAX_INT64)
        check_range(owner, "fade_prob", self.fade_prob, low=0, high=1)
        check_range(owner, "fade_low_mbps", self.fade_low_mbps, low=0.01, high=MAX_MBPS)
        check_range(
            owner, "fade_high_mbps", self.fade_high_mbps, low=self.fade_low_mbps, high=MAX_MBPS
        )
        check_int(self, owner, "seed", low=0)

    @property
    def max_samples(self) -> int:
        """The most samples a trace can have: t = 0, then gaps of at least ``interval_low_s``
        (as rounded) until ``duration_s``."""
        gap = max(round(self.interval_low_s, GENET_ROUND), 10.0**-GENET_ROUND)
        return int(np.ceil(self.duration_s / gap)) + 2


@lru_cache(maxsize=16)
def genet_traces(spec: GenetTraces) -> TraceSet:
    """Generate the seeded Genet-style trace set described by ``spec`` (see ``GenetTraces``).

    Each trace draws, in this order: its gaps, its levels, their hold counts, which levels are
    fades and the fades' rates, each as one array long enough for the longest trace, so the
    same seed always gives the same traces.
    """
    rng = np.random.default_rng(spec.seed)
    n_max = spec.max_samples
    names, times, rates = [], [], []
    for index in range(spec.n_traces):
        gaps = np.round(rng.uniform(spec.interval_low_s, spec.interval_high_s, n_max), GENET_ROUND)
        levels = rng.uniform(spec.low_mbps, spec.high_mbps, n_max)
        holds = rng.integers(spec.hold_min, spec.hold_max + 1, size=n_max)
        fades = rng.random(n_max) < spec.fade_prob
        fade_rates = rng.uniform(spec.fade_low_mbps, spec.fade_high_mbps, n_max)
        time_s = np.round(np.concatenate(([0.0], np.cumsum(gaps))), GENET_ROUND)
        # Genet adds samples while t < duration: keep up to the first that reaches it
        n_samples = int(np.searchsorted(time_s, spec.duration_s, side="left")) + 1
        time_s = time_s[:n_samples]
        values = np.round(np.where(fades, fade_rates, levels), GENET_ROUND)
        mbps = np.repeat(values, holds)[:n_samples]
        names.append(f"genet_{spec.seed}_{index:04d}")
        times.append(frozen(time_s))
        rates.append(frozen(mbps.astype(np.float64)))
    return TraceSet(names=tuple(names), time_s=tuple(times), mbps=tuple(rates))


def trace_set(spec: SyntheticTraces | GenetTraces) -> TraceSet:
    """The trace set of either synthetic spec (``AbrParams.synthetic_traces``)."""
    if isinstance(spec, GenetTraces):
        return genet_traces(spec)
    return synthetic_traces(spec)


def frozen(array: np.ndarray) -> np.ndarray:
    """``array``, made read-only (trace arrays are shared by all envs)."""
    array.setflags(write=False)
    return array
