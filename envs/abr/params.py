"""Parameters of the ABR streaming environment (``AbrParams``) and its named presets.

Every default is the Pensieve simulator's constant (hongzimao/pensieve ``sim/env.py``; see
``shared/reference/abr.md`` section 1): 4 s chunks, the Envivio ladder, a 60 s buffer drained
in 500 ms sleeps, 80 ms RTT and a 0.95 payload share.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Union

from ..core.params import EnvParams, as_scalars
from ..core.paths import as_path, check_folder
from ..core.validation import (
    MAX_INT64,
    check_choice,
    check_int,
    check_numbers,
    check_range,
    check_sequence,
    set_field,
)
from .genet import GenetTraces
from .traces import SyntheticTraces, load_start_pointers
from .video import SyntheticVideo

PathLike = Union[str, os.PathLike]  # noqa: UP007 (a runtime alias)

QOE_MODES = ("linear", "log", "hd")
DEFAULT_REBUFFER_PENALTY = {"linear": 4.3, "log": 2.66, "hd": 8.0}
TRACE_ORDERS = ("sequential", "random")
START_MODES = ("beginning", "random")

# Limits of the accepted ranges (docs/abr.md, "Limits"): far beyond any real stream, and small
# enough that every download time, observation and reward stays finite.
MIN_KBPS = 1e-3
"""lowest bitrate of a level, 1 bit/s (keeps the log utility's ratio finite)"""
MAX_KBPS = 1e9
"""highest bitrate of a level, 1 Tbps"""
MIN_SECONDS = 1e-6
"""shortest chunk and drain quantum, 1 us"""
MAX_SECONDS = 1e6
"""longest chunk, buffer and RTT, about 11.6 days"""
MIN_PAYLOAD_SHARE = 0.01
"""smallest useful share of the link rate"""
NOISE_RANGE = (0.01, 100.0)
"""bounds of the delay noise factors"""
MAX_PENALTY = 1e6
"""largest QoE penalty weight and largest |hd utility|"""


@dataclass(frozen=True)
class AbrParams(EnvParams):
    """All parameters of ``netgym/AbrStreaming-v0``; defaults are Pensieve's constants."""

    ENV_NAME: ClassVar[str] = "AbrStreaming"
    PRESETS: ClassVar[dict[str, str | None]] = {"default": None, "pensieve": "pensieve"}

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
    """'synthetic', a folder of Pensieve-format trace files, a data set name ('fcc-test': its
    folder under the data root, see ``netgym data``), or a list of trace files"""
    synthetic_traces: SyntheticTraces | GenetTraces = field(default_factory=SyntheticTraces)
    """generator settings used when traces='synthetic': a ``SyntheticTraces`` (Markov
    modulated) or a ``GenetTraces`` (Genet's piecewise-constant traces; as a dict: with
    ``generator='genet'``)"""
    trace_order: str = "random"
    """'sequential' (trace i at episode i, as the test envs) or 'random' (as training)"""
    start: Any = "random"
    """'beginning' (pointer 1), 'random' (uniform pointer, as training) or a list of start
    pointers, one per trace (NetLLM's start_pointers.json)"""
    video: Any = "synthetic"
    """'synthetic', a folder with video_size_0..video_size_{L-1} files, or a data set name
    ('video1')"""
    synthetic_video: SyntheticVideo = field(default_factory=SyntheticVideo)
    """generator settings used when video='synthetic'"""
    n_chunks: int | None = None
    """chunks played per episode; None = lines - 1 for a folder, n_chunks for synthetic"""

    def __post_init__(self) -> None:
        owner = "AbrParams"
        ladder = check_numbers(
            owner,
            "ladder_kbps",
            self.ladder_kbps,
            min_len=2,
            low=MIN_KBPS,
            high=MAX_KBPS,
        )
        set_field(self, "ladder_kbps", ladder)
        if any(b <= a for a, b in zip(self.ladder_kbps, self.ladder_kbps[1:], strict=False)):
            raise ValueError(f"{owner}.ladder_kbps must be increasing, got {self.ladder_kbps}")
        check_range(owner, "chunk_s", self.chunk_s, low=0, low_inclusive=False)
        check_range(owner, "chunk_s", self.chunk_s, low=MIN_SECONDS, high=MAX_SECONDS)
        check_range(owner, "buffer_cap_s", self.buffer_cap_s, low=self.chunk_s, high=MAX_SECONDS)
        # A sleep quantum above the cap could drain the buffer below zero.
        check_range(
            owner, "drain_s", self.drain_s, low=0, high=self.buffer_cap_s, low_inclusive=False
        )
        check_range(owner, "drain_s", self.drain_s, low=MIN_SECONDS)
        check_range(owner, "rtt_s", self.rtt_s, low=0, high=MAX_SECONDS)
        check_range(owner, "payload_share", self.payload_share, low=0, high=1, low_inclusive=False)
        check_range(owner, "payload_share", self.payload_share, low=MIN_PAYLOAD_SHARE)
        if self.noise is not None:
            low, high = check_sequence(owner, "noise", self.noise, length=2)
            check_range(owner, "noise[0]", low, low=0, low_inclusive=False)
            check_range(owner, "noise[0]", low, low=NOISE_RANGE[0], high=NOISE_RANGE[1])
            check_range(owner, "noise[1]", high, low=low, high=NOISE_RANGE[1])
            set_field(self, "noise", (float(low), float(high)))
        check_choice(owner, "qoe", self.qoe, QOE_MODES)
        check_int(self, owner, "default_quality", low=0, high=len(self.ladder_kbps) - 1)
        if self.rebuffer_penalty is not None:
            check_range(owner, "rebuffer_penalty", self.rebuffer_penalty, low=0, high=MAX_PENALTY)
        check_range(owner, "smooth_penalty", self.smooth_penalty, low=0, high=MAX_PENALTY)
        set_field(
            self,
            "hd_utilities",
            check_numbers(
                owner, "hd_utilities", self.hd_utilities, low=-MAX_PENALTY, high=MAX_PENALTY
            ),
        )
        if self.qoe == "hd" and len(self.hd_utilities) != len(self.ladder_kbps):
            raise ValueError(
                f"{owner}.hd_utilities has {len(self.hd_utilities)} entries but the ladder has "
                f"{len(self.ladder_kbps)} levels"
            )
        check_int(self, owner, "history_len", low=5, high=MAX_INT64)
        if len(self.ladder_kbps) > self.history_len:
            raise ValueError(
                f"{owner}.history_len ({self.history_len}) must be >= the number of levels "
                f"({len(self.ladder_kbps)}): row 4 of the observation holds one size per level"
            )
        set_field(self, "traces", _as_source(owner, "traces", self.traces))
        set_field(self, "synthetic_traces", _trace_spec(owner, self.synthetic_traces))
        set_field(
            self,
            "synthetic_video",
            _as_spec(owner, "synthetic_video", self.synthetic_video, SyntheticVideo),
        )
        check_choice(owner, "trace_order", self.trace_order, TRACE_ORDERS)
        if isinstance(self.start, str):
            check_choice(owner, "start", self.start, START_MODES)
        else:
            pointers = check_sequence(owner, "start", self.start)
            for pointer in pointers:
                check_range(owner, "start pointers", pointer, low=1, high=MAX_INT64, integer=True)
            set_field(self, "start", tuple(int(p) for p in pointers))
        set_field(self, "video", _as_source(owner, "video", self.video, allow_list=False))
        if self.n_chunks is not None:
            check_int(self, owner, "n_chunks", low=2, high=MAX_INT64 - 1)

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

        ``data_dir`` holds ``fcc-test/`` (with NetLLM's ``mahimahi_ptrs.pkl``, read without
        unpickling, or ``start_pointers.json``) and ``video1/``: traces in sorted order from
        NetLLM's start pointers, no noise, first chunk at level 0, linear QoE.
        """
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


def _trace_spec(owner: str, value: Any) -> SyntheticTraces | GenetTraces:
    """Accept a ``SyntheticTraces`` or a ``GenetTraces``, or a dict of the fields of one (a
    dict with ``generator='genet'`` is a ``GenetTraces``)."""
    if isinstance(value, GenetTraces):
        return value
    if isinstance(value, dict) and value.get("generator") == "genet":
        return _as_spec(owner, "synthetic_traces", value, GenetTraces)
    return _as_spec(owner, "synthetic_traces", value, SyntheticTraces, "or a GenetTraces, ")


def _as_spec(owner: str, name: str, value: Any, spec_class: type, other: str = "") -> Any:
    """Accept a spec instance or a dict of its fields (``other``: further accepted types, for
    the message)."""
    if isinstance(value, spec_class):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {f.name for f in fields(spec_class)}
        if unknown:
            raise ValueError(
                f"{owner}.{name} has unknown fields {sorted(unknown)}; "
                f"known: {[f.name for f in fields(spec_class)]}"
            )
        return spec_class(**as_scalars(value))
    raise ValueError(
        f"{owner}.{name} must be a {spec_class.__name__} {other}or a dict of its fields, "
        f"got {value!r}"
    )


def _as_source(owner: str, name: str, value: Any, allow_list: bool = True) -> Any:
    """Normalise a data source: 'synthetic', a Path, or (if allowed) a tuple of Paths; an
    empty string is refused (``Path('')`` would silently mean the current folder)."""
    if isinstance(value, str) and value == "synthetic":
        return value
    if isinstance(value, (str, os.PathLike)):
        return _data_folder(owner, name, value)
    if allow_list and isinstance(value, (list, tuple)) and value:
        return tuple(as_path(f"{owner}.{name}[{i}]", v) for i, v in enumerate(value))
    allowed = "'synthetic', a folder" + (" or a non-empty list of files" if allow_list else "")
    raise ValueError(f"{owner}.{name} must be {allowed}, got {value!r}")


def _data_folder(owner: str, name: str, value: PathLike) -> Path:
    """``value`` as a Path; a data set name (``fcc-test``, ``abr/video1``: see ``netgym data
    list``) that is not an existing path is its folder under the data root (``netgym.data``).

    Raises:
        FileNotFoundError: the named data set is not under the data root (the message gives
            the ``netgym data fetch`` command).
    """
    if isinstance(value, str) and value:
        from netgym.data import resolve_folder

        folder = resolve_folder(value, purpose=f"{owner}.{name}={value!r}")
        if folder is not None:
            return folder
    return as_path(f"{owner}.{name}", value)


def _existing_dir(path: PathLike) -> Path:
    return check_folder("data folder", path)
