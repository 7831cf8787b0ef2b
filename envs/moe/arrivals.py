"""Request arrivals for MoE serving: arrival times and prompt / output lengths.

Two presets follow the statistics of the Azure LLM inference traces of 2023 as processed by
vidur (reference/moe.md section 3, "Arrivals"):

| preset | rate | inter-arrival CV | prompt p50 / p99 | output p50 / p99 |
|---|---|---|---|---|
| ``azure_conv`` | 5.53 req/s | 1.09 (near Poisson) | 1,020 / 4,142 | 129 / 601 |
| ``azure_code`` | 2.57 req/s | 13.2 (bursty) | 1,469 / 7,436 | 13 / 249 |

Inter-arrival times form a renewal process: exponential (Poisson) when ``cv == 1``, otherwise
Gamma with shape ``1 / cv**2`` and the same mean, which matches the rate and the coefficient of
variation exactly. Lengths are log-normal, fitted to the median and the 99th percentile (the tail
drives latency), rounded and clipped to ``[min_tokens, max_tokens]``; their means then differ a
little from the traces' (conv prompt 1,222 vs 1,155; conv output 160 vs 211; code output 29 vs
28), which is stated here rather than hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.validation import check_range

_Z99 = 2.3263478740408408
"""99th percentile of the standard normal"""


MAX_LENGTH = 1e9
"""the largest median or 99th-percentile length: beyond it the log-normal draws overflow"""


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True)
class LengthDistribution:
    """Log-normal token counts with a given median and 99th percentile."""

    median: float = 1020.0
    """median tokens"""
    p99: float = 4142.0
    """99th-percentile tokens (>= median)"""
    min_tokens: int = 1
    """smallest count returned"""
    max_tokens: int = 32768
    """largest count returned"""

    def __post_init__(self) -> None:
        owner = "LengthDistribution"
        check_range(owner, "median", self.median, low=0, high=MAX_LENGTH, low_inclusive=False)
        check_range(owner, "p99", self.p99, low=self.median, high=MAX_LENGTH)
        check_range(owner, "min_tokens", self.min_tokens, low=1, integer=True)
        check_range(owner, "max_tokens", self.max_tokens, low=self.min_tokens, integer=True)

    @property
    def sigma(self) -> float:
        """Standard deviation of the log length."""
        return math.log(self.p99 / self.median) / _Z99

    def mean_upper(self) -> float:
        """An upper bound on the mean of ``sample``'s lengths: the mean of the log-normal capped
        at ``max_tokens``, plus ``min_tokens`` and the rounding's 0.5 (memory estimates)."""
        sigma, cap = self.sigma, float(self.max_tokens)
        below = _normal_cdf((math.log(cap / self.median) - sigma**2) / sigma) if sigma else 1.0
        over = 1.0 - _normal_cdf(math.log(cap / self.median) / sigma) if sigma else 0.0
        if not sigma and self.median > cap:
            below, over = 0.0, 1.0
        # the uncapped part in logs: exp(sigma^2 / 2) overflows where ``below`` vanishes
        log_part = math.log(self.median) + sigma**2 / 2 + math.log(below) if below > 0 else None
        part = math.exp(min(log_part, 700.0)) if log_part is not None else 0.0
        return min(part + cap * over, cap) + self.min_tokens + 0.5

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` int64 lengths."""
        draws = self.median * np.exp(self.sigma * rng.standard_normal(count))
        return np.clip(np.rint(draws), self.min_tokens, self.max_tokens).astype(np.int64)


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class Requests:
    """A sampled workload, sorted by arrival time."""

    arrival_s: np.ndarray
    """float64 (requests,): arrival times, non-decreasing, from 0"""
    prompt_tokens: np.ndarray
    """int64 (requests,): prefill tokens"""
    output_tokens: np.ndarray
    """int64 (requests,): decode tokens to generate"""

    def __len__(self) -> int:
        return int(self.arrival_s.size)


@dataclass(frozen=True)
class ArrivalProcess:
    """Renewal arrivals with log-normal prompt and output lengths."""

    rate_per_s: float = 5.53
    """mean arrival rate"""
    cv: float = 1.0
    """coefficient of variation of the inter-arrival times (1 = Poisson, > 1 = bursty)"""
    prompt: LengthDistribution = field(default_factory=LengthDistribution)
    """prompt (prefill) length distribution"""
    output: LengthDistribution = field(
        default_factory=lambda: LengthDistribution(median=129.0, p99=601.0)
    )
    """output (decode) length distribution"""

    def __post_init__(self) -> None:
        owner = "ArrivalProcess"
        check_range(owner, "rate_per_s", self.rate_per_s, low=0, low_inclusive=False)
        check_range(owner, "cv", self.cv, low=0, low_inclusive=False)
        for name in ("prompt", "output"):
            if not isinstance(getattr(self, name), LengthDistribution):
                raise ValueError(f"{owner}.{name} must be a LengthDistribution")

    @classmethod
    def preset(cls, name: str, **changes: Any) -> ArrivalProcess:
        """``'azure_conv'`` (near-Poisson) or ``'azure_code'`` (bursty); see the module table."""
        if name not in ARRIVAL_PRESETS:
            raise ValueError(
                f"unknown arrival preset {name!r}; known presets: {sorted(ARRIVAL_PRESETS)}"
            )
        base = ARRIVAL_PRESETS[name]
        settings = {
            "rate_per_s": base.rate_per_s,
            "cv": base.cv,
            "prompt": base.prompt,
            "output": base.output,
        }
        settings.update(changes)
        return cls(**settings)

    @classmethod
    def poisson(cls, rate_per_s: float, **changes: Any) -> ArrivalProcess:
        """Poisson arrivals at ``rate_per_s`` with the conversation lengths."""
        return cls(rate_per_s=rate_per_s, cv=1.0, **changes)

    def interarrival_s(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` inter-arrival times with mean ``1 / rate_per_s`` and CV ``cv``."""
        mean_s = 1.0 / self.rate_per_s
        if self.cv == 1.0:
            return rng.exponential(mean_s, size=count)
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, mean_s / shape, size=count)

    def sample(self, n_requests: int, rng: np.random.Generator) -> Requests:
        """``n_requests`` requests; the first arrives at time 0."""
        check_range("ArrivalProcess.sample", "n_requests", n_requests, low=1, integer=True)
        gaps = self.interarrival_s(int(n_requests) - 1, rng)
        arrival = np.concatenate(([0.0], np.cumsum(gaps)))
        return Requests(
            arrival_s=arrival,
            prompt_tokens=self.prompt.sample(int(n_requests), rng),
            output_tokens=self.output.sample(int(n_requests), rng),
        )


ARRIVAL_PRESETS: dict[str, ArrivalProcess] = {
    "azure_conv": ArrivalProcess(
        rate_per_s=19366 / 3502,
        cv=1.09,
        prompt=LengthDistribution(median=1020.0, p99=4142.0),
        output=LengthDistribution(median=129.0, p99=601.0),
    ),
    "azure_code": ArrivalProcess(
        rate_per_s=8819 / 3436,
        cv=13.2,
        prompt=LengthDistribution(median=1469.0, p99=7436.0),
        output=LengthDistribution(median=13.0, p99=249.0),
    ),
}
