"""The ABR model: a trace set as flat arrays for vectorised walks, plus the video and the QoE
utilities, built once from ``AbrParams`` and shared read-only by every env with equal params.

Instead of walking the trace sample by sample, each trace is stored as cumulative payload bytes
at its sample times; a download is one ``searchsorted`` on bytes (wrap-around is a whole number
of trace periods) and a sleep is one ``searchsorted`` on time. All traces live in flat arrays
with per-trace offsets; a per-trace base added to the keys keeps one global sorted array, so one
``searchsorted`` call serves every environment at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.budget import check_memory, format_count
from .genet import GenetTraces, trace_set
from .params import AbrParams
from .traces import (
    SyntheticTraces,
    TraceSet,
    file_stamps,
    load_traces,
    trace_files,
)
from .video import load_video, synthetic_video, video_stamps

BUFFER_NORM_S = 10.0  # Pensieve BUFFER_NORM_FACTOR
OBS_ROWS = 6
MAX_TABLE_BYTES = 2**53
"""largest number of payload bytes all traces deliver in one period each, summed: the table's
byte offsets are float64, exact to the byte below 2**53 (9 PB)"""

# Memory estimates (``docs/abr.md``, "Limits"), measured on synthetic sets and rounded up.
TABLE_BYTES_PER_SAMPLE = 384
"""trace table per sample: 10 float64 arrays, 6 Python float lists (305 B measured) and the
6-column float64 ``walk`` (48 B)"""
GENERATOR_BYTES_PER_SAMPLE = 64
"""the synthetic generator's temporaries per sample of the trace it draws"""
PARSE_BYTES_PER_FILE_BYTE = 40
"""parsing a trace file: its text, its lines, two lists of floats (4-byte lines at worst)"""
VIDEO_BYTES_PER_SIZE = 96
"""one chunk size: int64 and float64 arrays, Python list entries (loader, scalar kernel)"""
OBS_COPIES = 6
"""observation-sized float32 arrays per env: the state, the copy returned, the space's low
and high, ``obs_high`` and a step temporary"""
STATE_BYTES_PER_ENV = 512
"""a vector sub-env's state and step temporaries (about 40 float64 / int64 entries)"""


class TraceTable:
    """Flat, read-only arrays of a trace set for vectorised trace walks.

    For global sample index ``j`` of trace ``i`` (``offset[i] <= j <= last[i]``): ``time[j]`` is
    the local time, ``inv_rate[j]`` the inverse payload rate (s/B) of the interval ending at
    ``time[j]`` (0 where the rate is 0) and ``cum[j]`` the payload bytes from t = 0 to ``time[j]``.
    """

    def __init__(self, traces: TraceSet, payload_share: float) -> None:
        self.names = traces.names
        self.lengths = traces.lengths
        self.offset = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.last = self.offset + self.lengths - 1
        self.time = np.concatenate(traces.time_s)
        rate = np.concatenate(traces.mbps) * 1e6 / 8.0 * payload_share  # payload bytes/s
        seg_s = np.diff(self.time, prepend=0.0)
        seg_s[self.offset] = 0.0
        seg_bytes = rate * seg_s
        self.cum = np.empty_like(seg_bytes)
        for start, stop in zip(self.offset, self.last + 1, strict=False):
            self.cum[start:stop] = np.cumsum(seg_bytes[start:stop])
        self.inv_rate = np.divide(1.0, rate, out=np.zeros_like(rate), where=rate > 0)
        self.rate_bps = rate
        self.period_s = self.time[self.last].copy()
        self.period_bytes = self.cum[self.last].copy()
        if np.any(self.period_bytes <= 0):
            bad = self.names[int(np.argmin(self.period_bytes > 0))]
            raise ValueError(f"trace {bad}: bandwidth is zero everywhere, no chunk can finish")
        total = float(np.sum(self.period_bytes + 1.0))
        if total > MAX_TABLE_BYTES:
            raise ValueError(
                f"the {len(self.names)} traces deliver {total:.3g} payload bytes in one pass, "
                f"over the {MAX_TABLE_BYTES:.3g} that the trace table resolves to the byte: "
                "use fewer, shorter or slower traces"
            )
        # Per-trace key bases with a gap of 1 unit, so that one global array stays sorted.
        self.time_base = np.concatenate([[0.0], np.cumsum(self.period_s + 1.0)[:-1]])
        self.cum_base = np.concatenate([[0.0], np.cumsum(self.period_bytes + 1.0)[:-1]])
        self.time_key = self.time + np.repeat(self.time_base, self.lengths)
        self.cum_key = self.cum + np.repeat(self.cum_base, self.lengths)
        columns = [self.time, self.cum, self.rate_bps, self.inv_rate, self.time_key, self.cum_key]
        self.walk = np.vstack([np.stack(columns, 1), np.full((1, len(columns)), np.inf)])
        """(samples + 1, 6): the columns the compiled download reads (``kernel.TIME`` ...
        ``kernel.CUM_KEY``), one row per sample, then a row of +inf (it ends the last trace's
        search)"""
        for array in vars(self).values():
            if isinstance(array, np.ndarray):
                array.setflags(write=False)
        # Python lists for the scalar kernel (same values, no per-element numpy overhead).
        self.py = {
            name: getattr(self, name).tolist()
            for name in (
                "lengths",
                "offset",
                "last",
                "time",
                "cum",
                "inv_rate",
                "rate_bps",
                "period_s",
                "period_bytes",
                "time_base",
                "cum_base",
                "time_key",
                "cum_key",
            )
        }

    def __len__(self) -> int:
        return len(self.names)


@lru_cache(maxsize=16)
def _trace_table(traces: TraceSet, payload_share: float) -> TraceTable:
    return TraceTable(traces, payload_share)


@dataclass(frozen=True, eq=False)
class AbrModel:
    """Everything derived from ``AbrParams`` that the kernels read; shared and read-only."""

    params: AbrParams
    table: TraceTable
    video_sizes: np.ndarray
    """chunk sizes in bytes, (levels, lines) with lines >= n_chunks"""
    n_chunks: int
    utility: np.ndarray
    """per-level utility of the QoE"""
    next_rows: np.ndarray
    """(lines + 1, history_len) float32: row 4 of the observation after c chunks"""

    @property
    def n_levels(self) -> int:
        return self.video_sizes.shape[0]

    @classmethod
    def build(
        cls,
        params: AbrParams,
        trace_file_sizes: Sequence[int] = (),
        video_file_sizes: Sequence[int] = (),
    ) -> AbrModel:
        """Load or generate the traces and the video named by ``params``, after checking the
        memory they need (``check_before_loading``, then ``check_model`` with the exact sizes
        before the table is built)."""
        check_before_loading(params, trace_file_sizes, video_file_sizes)
        if params.traces == "synthetic":
            traces = trace_set(params.synthetic_traces)
        else:
            traces = load_traces(params.traces)
        if params.video == "synthetic":
            if params.n_chunks is not None and params.n_chunks != params.synthetic_video.n_chunks:
                spec = type(params.synthetic_video)(
                    **{**vars(params.synthetic_video), "n_chunks": params.n_chunks}
                )
            else:
                spec = params.synthetic_video
            sizes = synthetic_video(spec, params.ladder_kbps, params.chunk_s)
        else:
            sizes = load_video(params.video)
        levels, lines = sizes.shape
        check_model(params, int(traces.lengths.sum()), levels, lines)
        table = _trace_table(traces, params.payload_share)
        if levels != params.n_levels:
            raise ValueError(
                f"the video {params.video} has {levels} levels but ladder_kbps has "
                f"{params.n_levels}; pass a ladder_kbps with one bitrate per video level"
            )
        n_chunks = params.n_chunks if params.n_chunks is not None else lines - 1
        if n_chunks > lines:
            raise ValueError(
                f"n_chunks={n_chunks} but the video {params.video} has only "
                f"{lines} chunk sizes per level"
            )
        if isinstance(params.start, tuple):
            if len(params.start) != len(table):
                raise ValueError(
                    f"start has {len(params.start)} pointers but there are {len(table)} traces"
                )
            too_far = [
                (name, p, n)
                for name, p, n in zip(table.names, params.start, table.lengths, strict=False)
                if p >= n
            ]
            if too_far:
                name, pointer, length = too_far[0]
                raise ValueError(
                    f"start pointer {pointer} for trace {name} must be < its {length} samples"
                )
        next_rows = np.zeros((lines + 1, params.history_len), dtype=np.float32)
        next_rows[:lines, :levels] = (sizes.T / 1e6).astype(np.float32)
        utility = np.asarray(params.utilities(), dtype=np.float64)
        for array in (next_rows, utility):
            array.setflags(write=False)
        return cls(params, table, sizes, int(n_chunks), utility, next_rows)

    def obs_high(self) -> np.ndarray:
        """Upper bounds of the observation; they depend on the parameters, never on the data,
        so that agents trained on one trace set load on another.

        Rows 0 and 5 are fractions (<= 1) and row 1 is at most ``buffer_cap_s / 10``; rows 2-4
        (throughput, download time, chunk sizes) have no physical bound and get the largest
        float32, which keeps the Box finite.
        """
        p = self.params
        high = np.ones((OBS_ROWS, p.history_len), dtype=np.float32)
        # Slack of 0.1% on row 1: the float32 cast of buffer / 10 may round up past cap / 10.
        high[1] = np.float32(p.buffer_cap_s / BUFFER_NORM_S * 1.001)
        high[2:5] = np.finfo(np.float32).max
        return high


def build_model(params: AbrParams) -> AbrModel:
    """Cached ``AbrModel.build``: envs with equal params and unchanged data files share one
    model and its arrays (the cache key includes each data file's mtime and size)."""
    traces = () if params.traces == "synthetic" else file_stamps(trace_files(params.traces))
    video = () if params.video == "synthetic" else video_stamps(params.video)
    return _build_model(params, traces, video)


@lru_cache(maxsize=16)
def _build_model(params: AbrParams, trace_key: tuple, video_key: tuple) -> AbrModel:
    video_files = video_key[1] if video_key else ()
    return AbrModel.build(
        params, [stamp[2] for stamp in trace_key], [stamp[2] for stamp in video_files]
    )


# ---------------------------------------------------------------------------- memory estimates
def synthetic_samples(spec: SyntheticTraces | GenetTraces) -> float:
    """Samples per synthetic trace, ``floor(duration / interval) + 1``, as a float (an
    interval of 1e-300 s gives inf, which the budget refuses, instead of an overflow); for
    ``GenetTraces`` the most a trace can have (``GenetTraces.max_samples``)."""
    if isinstance(spec, GenetTraces):
        return float(spec.max_samples)
    ratio = spec.duration_s / spec.interval_s
    return math.floor(ratio) + 1.0 if math.isfinite(ratio) else math.inf


def bytes_per_env(params: AbrParams, n_chunks: int) -> float:
    """Bytes one env (scalar, or a vector sub-env) holds beyond the shared model: observation
    buffers and spaces, state, and one noise factor per chunk (held three times during a
    vector reset: the draws, their stack and the state)."""
    noise = 24.0 * n_chunks if params.noise is not None else 0.0
    return OBS_COPIES * OBS_ROWS * float(params.history_len) * 4 + STATE_BYTES_PER_ENV + noise


def synthetic_lines(params: AbrParams) -> int:
    """Chunk sizes per level of the synthetic video (``n_chunks + 1``)."""
    n_chunks = params.n_chunks if params.n_chunks is not None else params.synthetic_video.n_chunks
    return n_chunks + 1


def check_before_loading(
    params: AbrParams, trace_file_sizes: Sequence[int], video_file_sizes: Sequence[int]
) -> None:
    """Refuse a configuration whose traces, video or observation rows cannot fit the memory
    budget, before anything is generated or read (file sizes bound what reading costs).

    Raises:
        ValueError: over the budget; the message names the parameters and the estimate.
    """
    parts: dict[str, float] = {}
    if params.traces == "synthetic":
        spec = params.synthetic_traces
        per_trace = synthetic_samples(spec)
        if isinstance(spec, GenetTraces):  # the shortest gap bounds the samples
            interval = f"interval_low_s={spec.interval_low_s:g}"
        else:
            interval = f"interval_s={spec.interval_s:g}"
        name = (
            f"synthetic_traces: n_traces={format_count(spec.n_traces)} x "
            f"{format_count(per_trace)} samples (duration_s={spec.duration_s:g} / {interval})"
        )
        parts[name] = (
            spec.n_traces * per_trace * TABLE_BYTES_PER_SAMPLE
            + per_trace * GENERATOR_BYTES_PER_SAMPLE
            + 16 * getattr(spec, "n_states", 1)
        )
    elif trace_file_sizes:
        largest = max(trace_file_sizes)
        parts[f"parsing a {largest}-byte trace file"] = largest * PARSE_BYTES_PER_FILE_BYTE
    if params.video == "synthetic":
        lines = synthetic_lines(params)
        parts[f"video: {params.n_levels} levels x {format_count(lines)} chunk sizes"] = (
            params.n_levels * lines * VIDEO_BYTES_PER_SIZE
        )
    else:  # at most one size per 2 bytes ('1\n')
        lines = max(video_file_sizes, default=0) // 2
        parts[f"video files of {sum(video_file_sizes)} bytes"] = (
            sum(video_file_sizes) // 2 * VIDEO_BYTES_PER_SIZE
        )
    parts[f"history_len={format_count(params.history_len)}"] = _rows_bytes(params, lines)
    _check(parts)


def check_model(params: AbrParams, samples: int, levels: int, lines: int) -> None:
    """Refuse a model of ``samples`` trace samples and a ``levels`` x ``lines`` video that
    cannot fit the budget (exact sizes, once the data is read, before the table is built).

    Raises:
        ValueError: over the budget; the message names the sizes and the estimate.
    """
    _check(
        {
            f"{samples} trace samples": samples * TABLE_BYTES_PER_SAMPLE,
            f"{levels} levels x {lines} chunk sizes": levels * lines * VIDEO_BYTES_PER_SIZE,
            f"history_len={params.history_len}": _rows_bytes(params, lines),
        }
    )


def _rows_bytes(params: AbrParams, lines: int) -> float:
    """The next-chunk rows (lines + 1, history_len) float32 and one env's buffers."""
    return float(lines + 1) * params.history_len * 4 + bytes_per_env(params, lines)


def _check(parts: dict[str, float]) -> None:
    check_memory("AbrStreaming", sum(parts.values()), ", ".join(parts))
