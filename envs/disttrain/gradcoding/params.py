"""Parameters of ``netgym/SeqGradCoding-v0`` (``SeqGradCodingParams``) and its presets.

Defaults follow reference/disttrain.md section 6 (E2): n = 256 workers, J = 80 jobs, mu = 1,
c_comp = 2.2 s per unit of load, a decision every 10 jobs, W <= 5. The synthetic delay
constants (base 0.2 s, 4.5x slow-down, jitter 0.1) are netgym's: with them the reference's
synthetic check holds (M-SGC beats GC by more than 10 % under i.i.d. stragglers with
p in [0.04, 0.08] and loses under bursty ones); the reference's own prototype gave other
magnitudes (14.9-23 % and 37-39 %), which depend on these constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range, check_sequence, set_field
from .schemes import MAX_WINDOW
from .stragglers import StragglerModel

DEFAULT_REGIMES = ((0.04, 0.96), (0.08, 0.92), (0.02, 0.5), (0.01, 0.2))
"""i.i.d. (p = 0.04, 0.08) and bursty (mean bursts of 2 and 5 rounds) stragglers"""


@dataclass(frozen=True)
class SeqGradCodingParams(EnvParams):
    """All parameters of ``netgym/SeqGradCoding-v0``.

    Presets: ``default`` (stragglers switching every 40 rounds between i.i.d. and bursty
    regimes), ``iid`` (p = 0.04 i.i.d.), ``bursty`` (p = 0.02, q = 0.5) and ``small`` (32
    workers, 20 jobs, for tests).
    """

    ENV_NAME: ClassVar[str] = "SeqGradCoding"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "iid": "iid",
        "bursty": "bursty",
        "small": "small",
    }

    n_workers: int = 256
    """n, the workers"""
    jobs: int = 80
    """J, the gradient jobs of an episode"""
    epoch_jobs: int = 10
    """jobs per decision (an env step starts this many jobs under the chosen scheme)"""
    mu: float = 1.0
    """the master waits (1 + mu) x the fastest worker's delay"""
    c_comp: float = 2.2
    """seconds per unit of normalised load"""
    max_window: int = 5
    """the menu's largest window W (B < W <= max_window)"""
    p_enter: float = 0.04
    """probability a worker starts straggling (stationary chain, no ``regimes``)"""
    q_leave: float = 0.96
    """probability a straggler recovers (q = 1 - p: i.i.d.)"""
    regimes: tuple[tuple[float, float], ...] = DEFAULT_REGIMES
    """(p, q) pairs the stragglers switch between every ``regime_rounds`` rounds; () keeps
    ``p_enter``, ``q_leave``"""
    regime_rounds: int = 40
    slowdown: float = 4.5
    """a straggler's delay multiplier"""
    jitter_sigma: float = 0.1
    """lognormal jitter of every delay"""
    base_s: float = 0.2
    """a healthy worker's delay at load 0, seconds"""
    group_size: int = 0
    """workers per correlated group (a rack); 0 = no groups"""
    group_p: float = 0.0
    group_q: float = 1.0
    trace_path: str | None = None
    """replay a (workers x rounds) delay trace (.npy or .csv) instead of the synthetic process"""
    trace_load: float = 0.0
    """the load at which the trace's delays were measured (l0)"""
    trace_offset: int | None = None
    """first trace round of an episode (None: random, redrawn every episode)"""
    gc_strict: bool = False
    """GC conforms with fewer than s stragglers (the authors' scripts) rather than at most s"""
    charge_full_wait: bool = False
    """a conforming round lasts (1 + mu) x fastest even when all arrived earlier (the authors'
    scripts) rather than min of that and the slowest"""

    def __post_init__(self) -> None:
        owner = "SeqGradCodingParams"
        check_int(self, owner, "n_workers", low=2, high=4096)
        check_int(self, owner, "jobs", low=1, high=100_000)
        check_int(self, owner, "epoch_jobs", low=1, high=self.jobs)
        check_range(owner, "mu", self.mu, low=0.0, high=100.0)
        check_range(owner, "c_comp", self.c_comp, low=0.0, high=1e6)
        check_int(self, owner, "max_window", low=2, high=MAX_WINDOW)
        check_range(owner, "p_enter", self.p_enter, low=0.0, high=1.0)
        check_range(owner, "q_leave", self.q_leave, low=0.0, high=1.0)
        regimes = check_sequence(owner, "regimes", self.regimes, min_len=0)
        pairs = []
        for index, pair in enumerate(regimes):
            entry = check_sequence(owner, f"regimes[{index}]", pair, length=2)
            for name, value in zip(("p", "q"), entry, strict=True):
                check_range(owner, f"regimes[{index}].{name}", value, low=0.0, high=1.0)
            pairs.append((float(entry[0]), float(entry[1])))
        set_field(self, "regimes", tuple(pairs))
        check_int(self, owner, "regime_rounds", low=1, high=100_000)
        check_range(owner, "slowdown", self.slowdown, low=1.0, high=1000.0)
        check_range(owner, "jitter_sigma", self.jitter_sigma, low=0.0, high=2.0)
        check_range(owner, "base_s", self.base_s, low=0.0, low_inclusive=False, high=1e6)
        check_int(self, owner, "group_size", low=0, high=self.n_workers)
        check_range(owner, "group_p", self.group_p, low=0.0, high=1.0)
        check_range(owner, "group_q", self.group_q, low=0.0, high=1.0)
        if self.trace_path is not None and not isinstance(self.trace_path, str):
            set_field(self, "trace_path", str(self.trace_path))
        check_range(owner, "trace_load", self.trace_load, low=0.0, high=1.0)
        if self.trace_offset is not None:
            check_int(self, owner, "trace_offset", low=0)
        check_choice(owner, "gc_strict", self.gc_strict, (True, False))
        check_choice(owner, "charge_full_wait", self.charge_full_wait, (True, False))

    @property
    def straggler_model(self) -> StragglerModel:
        """The synthetic delay process of these params."""
        return StragglerModel(
            p_enter=self.p_enter,
            q_leave=self.q_leave,
            slowdown=self.slowdown,
            jitter_sigma=self.jitter_sigma,
            base_s=self.base_s,
            group_size=self.group_size,
            group_p=self.group_p,
            group_q=self.group_q,
            regimes=self.regimes,
            regime_rounds=self.regime_rounds,
        )

    @property
    def epochs(self) -> int:
        """Decisions (env steps) per episode."""
        return -(-self.jobs // self.epoch_jobs)

    @classmethod
    def iid(cls, **changes: object) -> SeqGradCodingParams:
        """Stationary i.i.d. stragglers, p = 0.04."""
        return cls(**{"regimes": (), "p_enter": 0.04, "q_leave": 0.96, **changes})

    @classmethod
    def bursty(cls, **changes: object) -> SeqGradCodingParams:
        """Stationary bursty stragglers, p = 0.02, q = 0.5 (bursts of 2 rounds on average)."""
        return cls(**{"regimes": (), "p_enter": 0.02, "q_leave": 0.5, **changes})

    @classmethod
    def small(cls, **changes: object) -> SeqGradCodingParams:
        """32 workers, 20 jobs, a decision every 5 jobs."""
        return cls(**{"n_workers": 32, "jobs": 20, "epoch_jobs": 5, **changes})


__all__ = ["DEFAULT_REGIMES", "SeqGradCodingParams"]
