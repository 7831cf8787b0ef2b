"""Pensieve chunk-download dynamics, batched over N environments (pure numpy, no gymnasium).

The dynamics are those of ``get_video_chunk`` in hongzimao/pensieve ``sim/env.py``
(reference/abr.md 1.2): a chunk of ``size`` bytes is downloaded over the trace at
``payload_share`` of the link rate, the trace wraps to t = 0 at its end, the RTT is added once,
the delay is optionally multiplied by U(low, high) noise, the buffer drains by the delay and gains
one chunk, and when it exceeds the cap the player sleeps in ``drain_s`` quanta while the trace
clock keeps running.

Instead of walking the trace sample by sample, each trace is stored as cumulative payload bytes
at its sample times; a download is one ``searchsorted`` on bytes (wrap-around is a whole number
of trace periods) and a sleep is one ``searchsorted`` on time. All traces live in flat arrays
with per-trace offsets; a per-trace base added to the keys keeps one global sorted array, so one
``searchsorted`` call serves every environment at once. The arrays are shared by all sub-envs.

Two kernels share these tables and formulas: ``BatchSim`` (numpy over N envs, used by the vector
env) and ``ScalarSim`` (Python floats for one env, used by the scalar env, where numpy's per-call
overhead would dominate). They perform the same IEEE operations in the same order and produce
identical trajectories; ``tests/test_abr_env.py`` checks it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .params import AbrParams
from .traces import TraceSet, file_stamps, load_traces, synthetic_traces, trace_files
from .video import load_video, synthetic_video, video_stamps

BUFFER_NORM_S = 10.0  # Pensieve BUFFER_NORM_FACTOR
OBS_ROWS = 6


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
        # Per-trace key bases with a gap of 1 unit, so that one global array stays sorted.
        self.time_base = np.concatenate([[0.0], np.cumsum(self.period_s + 1.0)[:-1]])
        self.cum_base = np.concatenate([[0.0], np.cumsum(self.period_bytes + 1.0)[:-1]])
        self.time_key = self.time + np.repeat(self.time_base, self.lengths)
        self.cum_key = self.cum + np.repeat(self.cum_base, self.lengths)
        for array in vars(self).values():
            if isinstance(array, np.ndarray):
                array.setflags(write=False)
        # Python lists for the scalar kernel (same values, no per-element numpy overhead).
        self.py = {
            name: getattr(self, name).tolist()
            for name in (
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
    def build(cls, params: AbrParams) -> AbrModel:
        """Load or generate the traces and the video named by ``params``."""
        if params.traces == "synthetic":
            traces = synthetic_traces(params.synthetic_traces)
        else:
            traces = load_traces(params.traces)
        table = _trace_table(traces, params.payload_share)
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
    return AbrModel.build(params)


def draw_episode(
    rng: np.random.Generator | None,
    model: AbrModel,
    trace_index: int | None,
) -> tuple[int, int, np.ndarray | None]:
    """Choose the trace, the start pointer and the per-chunk noise of one episode.

    The draws are made in a fixed order (trace, start, noise) from the env's own generator, so
    a vector sub-env seeded ``s + i`` and a scalar env seeded ``s + i`` draw the same episodes.
    ``trace_index`` (already chosen, e.g. sequential order) skips the trace draw.
    """
    p = model.params
    table = model.table
    if trace_index is None:
        trace_index = int(rng.integers(len(table)))
    elif not 0 <= trace_index < len(table):
        raise ValueError(f"trace_index must be in [0, {len(table) - 1}], got {trace_index}")
    if p.start == "beginning":
        pointer = 1
    elif p.start == "random":
        pointer = int(rng.integers(1, table.lengths[trace_index]))  # Pensieve: randint(1, len)
    else:
        pointer = p.start[trace_index]
    noise = None
    if p.noise is not None:
        noise = rng.uniform(p.noise[0], p.noise[1], model.n_chunks)
    return trace_index, pointer, noise


class BatchSim:
    """State of N environments as arrays (env axis first) and the numpy kernel."""

    def __init__(self, model: AbrModel, n_envs: int) -> None:
        self.model = model
        self.n_envs = n_envs
        p = model.params
        self.trace = np.zeros(n_envs, dtype=np.int64)
        self.ptr = np.ones(n_envs, dtype=np.int64)
        self.pos_s = np.zeros(n_envs, dtype=np.float64)
        self.buffer_ms = np.zeros(n_envs, dtype=np.float64)
        self.chunk = np.zeros(n_envs, dtype=np.int64)
        self.last_q = np.full(n_envs, p.default_quality, dtype=np.int64)
        self.noise = np.ones((n_envs, model.n_chunks), dtype=np.float64) if p.noise else None
        self.obs = np.zeros((n_envs, OBS_ROWS, p.history_len), dtype=np.float32)
        # Outputs of the last download, for info.
        self.delay_ms = np.zeros(n_envs)
        self.sleep_ms = np.zeros(n_envs)
        self.rebuf_s = np.zeros(n_envs)
        self.size_b = np.zeros(n_envs)
        self.reward = np.zeros(n_envs)
        self._all = np.arange(n_envs)
        self._sizes_f = model.video_sizes.astype(np.float64)
        self._ladder_norm = np.asarray(p.ladder_kbps) / max(p.ladder_kbps)
        self._chunk_ms = p.chunk_s * 1000.0
        self._cap_ms = p.buffer_cap_s * 1000.0
        self._drain_ms = p.drain_s * 1000.0
        self._rtt_ms = p.rtt_s * 1000.0
        self._mu = p.rebuffer_penalty_value
        self._smooth = p.smooth_penalty

    def _rows(self, idx: slice | np.ndarray) -> np.ndarray:
        return self._all[idx] if isinstance(idx, slice) else idx

    def reset(
        self, idx: np.ndarray, trace: np.ndarray, pointer: np.ndarray, noise: np.ndarray | None
    ) -> None:
        """Start new episodes in envs ``idx`` and download their first chunk."""
        t = self.model.table
        self.trace[idx] = trace
        self.ptr[idx] = t.offset[trace] + pointer
        self.pos_s[idx] = t.time[self.ptr[idx] - 1]  # Pensieve: last_mahimahi_time = t[ptr-1]
        self.buffer_ms[idx] = 0.0
        self.chunk[idx] = 0
        self.last_q[idx] = self.model.params.default_quality
        self.obs[idx] = 0.0
        if self.noise is not None:
            self.noise[idx] = noise
        self.download(idx, np.full(len(idx), self.model.params.default_quality, dtype=np.int64))

    def download(self, idx: slice | np.ndarray, quality: np.ndarray) -> None:
        """Download the next chunk of envs ``idx`` at levels ``quality``; update everything."""
        m = self.model
        t = m.table
        trace = self.trace[idx]
        ptr = self.ptr[idx]
        pos = self.pos_s[idx]
        chunk = np.minimum(self.chunk[idx], m.n_chunks - 1)
        size = self._sizes_f[quality, chunk]
        # Walk the trace: bytes already delivered in this period + size -> end position.
        period_b = t.period_bytes[trace]
        period_s = t.period_s[trace]
        target = t.cum[ptr - 1] + (pos - t.time[ptr - 1]) * t.rate_bps[ptr] + size
        wraps = np.floor(target / period_b)
        rem = np.maximum(target - wraps * period_b, 0.0)
        k = np.minimum(
            np.searchsorted(t.cum_key, t.cum_base[trace] + rem, side="right"), t.last[trace]
        )
        end = t.time[k - 1] + (rem - t.cum[k - 1]) * t.inv_rate[k]
        delay_ms = (wraps * period_s + end - pos) * 1000.0 + self._rtt_ms
        if self.noise is not None:
            delay_ms *= self.noise[self._rows(idx), chunk]
        # Buffer, rebuffering and the drain sleep (ms, as Pensieve).
        buffer_ms = self.buffer_ms[idx]
        rebuf_ms = np.maximum(delay_ms - buffer_ms, 0.0)
        buffer_ms = np.maximum(buffer_ms - delay_ms, 0.0) + self._chunk_ms
        sleep_ms = (
            np.maximum(np.ceil((buffer_ms - self._cap_ms) / self._drain_ms), 0.0) * self._drain_ms
        )
        buffer_ms = buffer_ms - sleep_ms
        # The trace clock runs on during the sleep (only sleeping envs need a time search;
        # the others stay in segment k, where their download ended).
        pos = end
        ptr = k
        sleeping = np.flatnonzero(sleep_ms > 0.0)
        if sleeping.size:
            trace_s = trace[sleeping]
            period_sleep = period_s[sleeping]
            moved = end[sleeping] + sleep_ms[sleeping] / 1000.0
            moved = np.maximum(moved - np.floor(moved / period_sleep) * period_sleep, 0.0)
            pos[sleeping] = moved
            ptr[sleeping] = np.minimum(
                np.searchsorted(t.time_key, t.time_base[trace_s] + moved, side="right"),
                t.last[trace_s],
            )
        # QoE of this chunk.
        utility = m.utility[quality]
        reward = (
            utility
            - self._mu * (rebuf_ms / 1000.0)
            - self._smooth * np.abs(utility - m.utility[self.last_q[idx]])
        )
        chunk_done = self.chunk[idx] + 1
        # Write the state back.
        self.ptr[idx] = ptr
        self.pos_s[idx] = pos
        self.buffer_ms[idx] = buffer_ms
        self.chunk[idx] = chunk_done
        self.last_q[idx] = quality
        self.delay_ms[idx] = delay_ms
        self.sleep_ms[idx] = sleep_ms
        self.rebuf_s[idx] = rebuf_ms / 1000.0
        self.size_b[idx] = size
        self.reward[idx] = reward
        # Observation (reference/abr.md 1.4): shift the history, write the newest column.
        if isinstance(idx, slice):
            obs = self.obs
            obs[:, :, :-1] = obs[:, :, 1:]
        else:
            obs = self.obs[idx]
            obs[:, :, :-1] = obs[:, :, 1:].copy()
        obs[:, 0, -1] = self._ladder_norm[quality]
        obs[:, 1, -1] = buffer_ms / 1000.0 / BUFFER_NORM_S
        obs[:, 2, -1] = size / delay_ms / 1000.0
        obs[:, 3, -1] = delay_ms / 1000.0 / BUFFER_NORM_S
        obs[:, 4, :] = m.next_rows[chunk_done]
        obs[:, 5, -1] = (m.n_chunks - chunk_done) / m.n_chunks
        if not isinstance(idx, slice):
            self.obs[idx] = obs


class ScalarSim:
    """One environment with Python-float state: the same formulas as ``BatchSim.download``."""

    def __init__(self, model: AbrModel) -> None:
        self.model = model
        p = model.params
        self._t = model.table.py
        self._sizes = model.video_sizes.astype(np.float64).tolist()
        self._utility = model.utility.tolist()
        self._ladder_norm = (np.asarray(p.ladder_kbps) / max(p.ladder_kbps)).tolist()
        self._chunk_ms = p.chunk_s * 1000.0
        self._cap_ms = p.buffer_cap_s * 1000.0
        self._drain_ms = p.drain_s * 1000.0
        self._rtt_ms = p.rtt_s * 1000.0
        self._mu = p.rebuffer_penalty_value
        self._smooth = p.smooth_penalty
        self.obs = np.zeros((OBS_ROWS, p.history_len), dtype=np.float32)
        self.trace = 0
        self.ptr = 1
        self.pos_s = 0.0
        self.buffer_ms = 0.0
        self.chunk = 0
        self.last_q = p.default_quality
        self.noise: list[float] | None = None
        self.delay_ms = self.sleep_ms = self.rebuf_s = self.size_b = self.reward = 0.0

    def reset(self, trace: int, pointer: int, noise: np.ndarray | None) -> None:
        """Start a new episode and download the first chunk at the default quality."""
        t = self._t
        self.trace = trace
        self.ptr = t["offset"][trace] + pointer
        self.pos_s = t["time"][self.ptr - 1]
        self.buffer_ms = 0.0
        self.chunk = 0
        self.last_q = self.model.params.default_quality
        self.noise = None if noise is None else noise.tolist()
        self.obs[:] = 0.0
        self.download(self.model.params.default_quality)

    def download(self, quality: int) -> None:
        """Download the next chunk at level ``quality`` (see ``BatchSim.download``)."""
        t = self._t
        trace = self.trace
        ptr = self.ptr
        pos = self.pos_s
        chunk = min(self.chunk, self.model.n_chunks - 1)
        size = self._sizes[quality][chunk]
        period_b = t["period_bytes"][trace]
        period_s = t["period_s"][trace]
        target = t["cum"][ptr - 1] + (pos - t["time"][ptr - 1]) * t["rate_bps"][ptr] + size
        wraps = float(math.floor(target / period_b))
        rem = max(target - wraps * period_b, 0.0)
        last = t["last"][trace]
        k = min(
            bisect_right(t["cum_key"], t["cum_base"][trace] + rem, t["offset"][trace], last + 1),
            last,
        )
        end = t["time"][k - 1] + (rem - t["cum"][k - 1]) * t["inv_rate"][k]
        delay_ms = (wraps * period_s + end - pos) * 1000.0 + self._rtt_ms
        if self.noise is not None:
            delay_ms *= self.noise[chunk]
        buffer_ms = self.buffer_ms
        rebuf_ms = max(delay_ms - buffer_ms, 0.0)
        buffer_ms = max(buffer_ms - delay_ms, 0.0) + self._chunk_ms
        sleep_ms = (
            max(float(math.ceil((buffer_ms - self._cap_ms) / self._drain_ms)), 0.0) * self._drain_ms
        )
        buffer_ms = buffer_ms - sleep_ms
        pos = end
        ptr = k
        if sleep_ms > 0.0:
            pos = end + sleep_ms / 1000.0
            pos = max(pos - float(math.floor(pos / period_s)) * period_s, 0.0)
            ptr = min(
                bisect_right(
                    t["time_key"], t["time_base"][trace] + pos, t["offset"][trace], last + 1
                ),
                last,
            )
        utility = self._utility[quality]
        reward = (
            utility
            - self._mu * (rebuf_ms / 1000.0)
            - self._smooth * abs(utility - self._utility[self.last_q])
        )
        chunk_done = self.chunk + 1
        self.ptr = ptr
        self.pos_s = pos
        self.buffer_ms = buffer_ms
        self.chunk = chunk_done
        self.last_q = quality
        self.delay_ms = delay_ms
        self.sleep_ms = sleep_ms
        self.rebuf_s = rebuf_ms / 1000.0
        self.size_b = size
        self.reward = reward
        obs = self.obs
        obs[:, :-1] = obs[:, 1:]
        obs[0, -1] = self._ladder_norm[quality]
        obs[1, -1] = buffer_ms / 1000.0 / BUFFER_NORM_S
        obs[2, -1] = size / delay_ms / 1000.0
        obs[3, -1] = delay_ms / 1000.0 / BUFFER_NORM_S
        obs[4] = self.model.next_rows[chunk_done]
        obs[5, -1] = (self.model.n_chunks - chunk_done) / self.model.n_chunks
