"""Parameters of the ABR streaming environment (``AbrParams``) and its named presets.

Every default is the Pensieve simulator's constant (hongzimao/pensieve ``sim/env.py``; see
``shared/reference/abr.md`` section 1): 4 s chunks, the Envivio ladder, a 60 s buffer drained
in 500 ms sleeps, 80 ms RTT and a 0.95 payload share.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Union

from ..core.validation import check_choice, check_range, check_sequence

PathLike = Union[str, os.PathLike]  # noqa: UP007 (a runtime alias)

QOE_MODES = ("linear", "log", "hd")
DEFAULT_REBUFFER_PENALTY = {"linear": 4.3, "log": 2.66, "hd": 8.0}
TRACE_ORDERS = ("sequential", "random")
START_MODES = ("beginning", "random")
TRACE_DISTRIBUTIONS = ("loguniform", "uniform")


@dataclass(frozen=True)
class SyntheticTraces:
    """A seeded generator of bandwidth traces (the embedded default data set).

    Each trace is a Markov-modulated rate process sampled every ``interval_s``: a hidden state
    chooses a mean rate among ``n_states`` levels spread between ``low_mbps`` and ``high_mbps``
    (log-uniformly or uniformly), it moves to a random other state with probability
    ``switch_prob`` per sample, and each sample is the mean times a log-normal factor with
    standard deviation ``noise_sd``, clipped to ``[low_mbps, high_mbps]``.
    """

    n_traces: int = 100
    """number of traces in the set"""
    duration_s: float = 320.0
    """length of each trace (traces wrap, as in Pensieve)"""
    interval_s: float = 1.0
    """sampling interval (FCC traces use 1 s or 5 s)"""
    low_mbps: float = 0.2
    """lowest rate"""
    high_mbps: float = 10.0
    """highest rate"""
    n_states: int = 8
    """number of rate levels of the hidden Markov chain"""
    switch_prob: float = 0.05
    """probability per sample of switching to another level"""
    noise_sd: float = 0.25
    """standard deviation of the log-normal sample noise"""
    distribution: str = "loguniform"
    """how the levels are spread: 'loguniform' or 'uniform'"""
    seed: int = 0
    """seed of the data set (not of the episodes): the same seed gives the same traces"""

    def __post_init__(self) -> None:
        owner = "SyntheticTraces"
        _check_int(self, owner, "n_traces", low=1)
        check_range(owner, "interval_s", self.interval_s, low=0, low_inclusive=False)
        check_range(owner, "duration_s", self.duration_s, low=2 * self.interval_s)
        check_range(owner, "low_mbps", self.low_mbps, low=0, low_inclusive=False)
        check_range(owner, "high_mbps", self.high_mbps, low=self.low_mbps)
        _check_int(self, owner, "n_states", low=1)
        check_range(owner, "switch_prob", self.switch_prob, low=0, high=1)
        check_range(owner, "noise_sd", self.noise_sd, low=0)
        check_choice(owner, "distribution", self.distribution, TRACE_DISTRIBUTIONS)
        _check_int(self, owner, "seed", low=0)


@dataclass(frozen=True)
class SyntheticVideo:
    """A seeded generator of VBR chunk sizes around each ladder rate.

    Chunk ``c`` at level ``l`` has ``ladder_kbps[l] * 1000 / 8 * chunk_s * f_c * g_{l,c}`` bytes:
    ``f_c`` is a per-chunk scene-complexity factor shared by all levels (log-normal, sd
    ``complexity_sd``, mean 1), ``g_{l,c}`` a small per-encode factor (sd ``encode_sd``). Like
    the Pensieve files, ``n_chunks + 1`` sizes are written per level.
    """

    n_chunks: int = 48
    """chunks played"""
    complexity_sd: float = 0.15
    """log-normal sd of the scene complexity shared by all levels"""
    encode_sd: float = 0.03
    """log-normal sd of the per-level encoder variation"""
    seed: int = 0
    """seed of the video (not of the episodes)"""

    def __post_init__(self) -> None:
        owner = "SyntheticVideo"
        _check_int(self, owner, "n_chunks", low=2)
        check_range(owner, "complexity_sd", self.complexity_sd, low=0, high=2)
        check_range(owner, "encode_sd", self.encode_sd, low=0, high=2)
        _check_int(self, owner, "seed", low=0)


@dataclass(frozen=True)
class AbrParams:
    """All parameters of ``netgym/AbrStreaming-v0``; defaults are Pensieve's constants."""

    ladder_kbps: tuple[float, ...] = (300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0)
    """bitrate of each quality level, lowest first (must match the number of video levels)"""
    chunk_s: float = 4.0
    """seconds of video per chunk (VIDEO_CHUNCK_LEN)"""
    buffer_cap_s: float = 60.0
    """buffer threshold above which the player sleeps (BUFFER_THRESH)"""
    drain_s: float = 0.5
    """sleep quantum while over the threshold (DRAIN_BUFFER_SLEEP_TIME)"""
    rtt_s: float = 0.08
    """round-trip time added once per chunk (LINK_RTT)"""
    payload_share: float = 0.95
    """useful share of the link rate (PACKET_PAYLOAD_PORTION)"""
    noise: tuple[float, float] | None = None
    """None, or (low, high) of the multiplicative U(low, high) noise on each download delay
    (Pensieve training uses (0.9, 1.1); its test env uses none)"""
    default_quality: int = 1
    """level of the first chunk, downloaded by ``reset`` (1 in Pensieve, 0 in NetLLM)"""
    qoe: str = "linear"
    """'linear' (bitrate in Mbps), 'log' (ln of bitrate / lowest bitrate) or 'hd' utilities"""
    rebuffer_penalty: float | None = None
    """QoE penalty per second of rebuffering; None = 4.3 (linear), 2.66 (log), 8 (hd)"""
    smooth_penalty: float = 1.0
    """QoE penalty per unit of utility change between consecutive chunks"""
    hd_utilities: tuple[float, ...] = (1.0, 2.0, 3.0, 12.0, 15.0, 20.0)
    """utility of each level for qoe='hd'"""
    history_len: int = 8
    """columns of the observation matrix (S_LEN)"""
    traces: Any = "synthetic"
    """'synthetic', a folder of Pensieve-format trace files, or a list of trace files"""
    synthetic_traces: SyntheticTraces = field(default_factory=SyntheticTraces)
    """generator settings used when traces='synthetic'"""
    trace_order: str = "random"
    """'sequential' (trace i at episode i, as the test envs) or 'random' (as training)"""
    start: Any = "random"
    """'beginning' (pointer 1), 'random' (uniform pointer, as training) or a list of start
    pointers, one per trace (NetLLM's start_pointers.json)"""
    video: Any = "synthetic"
    """'synthetic' or a folder with video_size_0..video_size_{L-1} files"""
    synthetic_video: SyntheticVideo = field(default_factory=SyntheticVideo)
    """generator settings used when video='synthetic'"""
    n_chunks: int | None = None
    """chunks played per episode; None = lines - 1 for a folder, n_chunks for synthetic"""

    def __post_init__(self) -> None:
        owner = "AbrParams"
        _coerce(
            self,
            "ladder_kbps",
            tuple(
                float(x) for x in check_sequence(owner, "ladder_kbps", self.ladder_kbps, min_len=2)
            ),
        )
        for rate in self.ladder_kbps:
            check_range(owner, "ladder_kbps entries", rate, low=0, low_inclusive=False)
        if any(b <= a for a, b in zip(self.ladder_kbps, self.ladder_kbps[1:], strict=False)):
            raise ValueError(f"{owner}.ladder_kbps must be increasing, got {self.ladder_kbps}")
        check_range(owner, "chunk_s", self.chunk_s, low=0, low_inclusive=False)
        check_range(owner, "buffer_cap_s", self.buffer_cap_s, low=self.chunk_s)
        # A sleep quantum above the cap could drain the buffer below zero.
        check_range(
            owner, "drain_s", self.drain_s, low=0, high=self.buffer_cap_s, low_inclusive=False
        )
        check_range(owner, "rtt_s", self.rtt_s, low=0)
        check_range(owner, "payload_share", self.payload_share, low=0, high=1, low_inclusive=False)
        if self.noise is not None:
            low, high = check_sequence(owner, "noise", self.noise, length=2)
            check_range(owner, "noise[0]", low, low=0, low_inclusive=False)
            check_range(owner, "noise[1]", high, low=low)
            _coerce(self, "noise", (float(low), float(high)))
        check_choice(owner, "qoe", self.qoe, QOE_MODES)
        _check_int(self, owner, "default_quality", low=0, high=len(self.ladder_kbps) - 1)
        if self.rebuffer_penalty is not None:
            check_range(owner, "rebuffer_penalty", self.rebuffer_penalty, low=0)
        check_range(owner, "smooth_penalty", self.smooth_penalty, low=0)
        _coerce(
            self,
            "hd_utilities",
            tuple(float(x) for x in check_sequence(owner, "hd_utilities", self.hd_utilities)),
        )
        if self.qoe == "hd" and len(self.hd_utilities) != len(self.ladder_kbps):
            raise ValueError(
                f"{owner}.hd_utilities has {len(self.hd_utilities)} entries but the ladder has "
                f"{len(self.ladder_kbps)} levels"
            )
        _check_int(self, owner, "history_len", low=5)
        if len(self.ladder_kbps) > self.history_len:
            raise ValueError(
                f"{owner}.history_len ({self.history_len}) must be >= the number of levels "
                f"({len(self.ladder_kbps)}): row 4 of the observation holds one size per level"
            )
        _coerce(self, "traces", _as_source(owner, "traces", self.traces))
        for name, spec_class in (
            ("synthetic_traces", SyntheticTraces),
            ("synthetic_video", SyntheticVideo),
        ):
            _coerce(self, name, _as_spec(owner, name, getattr(self, name), spec_class))
        check_choice(owner, "trace_order", self.trace_order, TRACE_ORDERS)
        if isinstance(self.start, str):
            check_choice(owner, "start", self.start, START_MODES)
        else:
            pointers = check_sequence(owner, "start", self.start)
            for pointer in pointers:
                check_range(owner, "start pointers", pointer, low=1, integer=True)
            _coerce(self, "start", tuple(int(p) for p in pointers))
        _coerce(self, "video", _as_source(owner, "video", self.video, allow_list=False))
        if self.n_chunks is not None:
            _check_int(self, owner, "n_chunks", low=2)

    # ------------------------------------------------------------------ derived values
    @property
    def n_levels(self) -> int:
        """Number of quality levels."""
        return len(self.ladder_kbps)

    @property
    def rebuffer_penalty_value(self) -> float:
        """The rebuffering penalty in force (the QoE mode's default when unset)."""
        if self.rebuffer_penalty is None:
            return DEFAULT_REBUFFER_PENALTY[self.qoe]
        return float(self.rebuffer_penalty)

    def utilities(self) -> tuple[float, ...]:
        """Per-level utility q(R) of the QoE mode (reference/abr.md 1.3)."""
        if self.qoe == "linear":
            return tuple(rate / 1000.0 for rate in self.ladder_kbps)
        if self.qoe == "log":
            return tuple(math.log(rate / self.ladder_kbps[0]) for rate in self.ladder_kbps)
        return self.hd_utilities

    def replace(self, **changes: Any) -> AbrParams:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict of the fields (paths as strings)."""
        out = asdict(self)
        for key in ("traces", "video"):
            value = out[key]
            if isinstance(value, tuple):
                out[key] = [str(v) for v in value]
            else:
                out[key] = str(value)
        return out

    # ------------------------------------------------------------------ presets
    @classmethod
    def pensieve(cls, traces: Any = "synthetic", **changes: Any) -> AbrParams:
        """Pensieve's training simulator (sim/env.py): random trace and start, delay noise."""
        base = dict(
            traces=traces, trace_order="random", start="random", noise=(0.9, 1.1), default_quality=1
        )
        return cls(**{**base, **changes})

    @classmethod
    def hsdpa142(cls, data_dir: PathLike, **changes: Any) -> AbrParams:
        """Pensieve/Pensieve-PPO test protocol on the 142 Norway HSDPA traces.

        ``data_dir`` holds ``hsdpa-test/`` and ``video1/`` (see shared/data/README.md): traces in
        sorted order from their first sample, no noise, first chunk at level 1, linear QoE.
        """
        root = _existing_dir(data_dir)
        base = dict(
            traces=root / "hsdpa-test",
            video=root / "video1",
            trace_order="sequential",
            start="beginning",
            noise=None,
            default_quality=1,
            qoe="linear",
        )
        return cls(**{**base, **changes})

    @classmethod
    def fcc100(cls, data_dir: PathLike, **changes: Any) -> AbrParams:
        """NetLLM's test protocol on FCC-test-100 with its start pointers.

        ``data_dir`` holds ``fcc-test/`` (with ``start_pointers.json``) and ``video1/``: traces in
        sorted order from NetLLM's start pointers, no noise, first chunk at level 0, linear QoE.
        """
        from .traces import load_start_pointers

        root = _existing_dir(data_dir)
        base = dict(
            traces=root / "fcc-test",
            video=root / "video1",
            trace_order="sequential",
            start=load_start_pointers(root / "fcc-test"),
            noise=None,
            default_quality=0,
            qoe="linear",
        )
        return cls(**{**base, **changes})

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the fields, for command-line help and kwargs checks."""
        return [f.name for f in fields(cls)]


def _coerce(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _check_int(obj: Any, owner: str, name: str, **bounds: Any) -> None:
    """Check an integer field (a whole-number float such as 8.0 is accepted) and store an int."""
    value = getattr(obj, name)
    check_range(owner, name, value, integer=True, **bounds)
    _coerce(obj, name, int(value))


def _as_spec(owner: str, name: str, value: Any, spec_class: type) -> Any:
    """Accept a spec instance or a dict of its fields."""
    if isinstance(value, spec_class):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {f.name for f in fields(spec_class)}
        if unknown:
            raise ValueError(
                f"{owner}.{name} has unknown fields {sorted(unknown)}; "
                f"known: {[f.name for f in fields(spec_class)]}"
            )
        return spec_class(**value)
    raise ValueError(
        f"{owner}.{name} must be a {spec_class.__name__} or a dict of its fields, got {value!r}"
    )


def _as_source(owner: str, name: str, value: Any, allow_list: bool = True) -> Any:
    """Normalise a data source: 'synthetic', a Path, or (if allowed) a tuple of Paths."""
    if isinstance(value, str) and value == "synthetic":
        return value
    if isinstance(value, (str, os.PathLike)):
        return Path(value)
    if allow_list and isinstance(value, (list, tuple)) and value:
        return tuple(Path(v) for v in value)
    allowed = "'synthetic', a folder" + (" or a non-empty list of files" if allow_list else "")
    raise ValueError(f"{owner}.{name} must be {allowed}, got {value!r}")


def _existing_dir(path: PathLike) -> Path:
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist")
    return root
