"""Pensieve chunk-download dynamics, batched over N environments (no gymnasium).

The dynamics are those of ``get_video_chunk`` in hongzimao/pensieve ``sim/env.py``
(reference/abr.md 1.2): a chunk of ``size`` bytes is downloaded over the trace at
``payload_share`` of the link rate, the trace wraps to t = 0 at its end, the RTT is added once,
the delay is optionally multiplied by U(low, high) noise (and kept above ``MIN_DELAY_MS``), the
buffer drains by the delay and gains one chunk, and when it exceeds the cap the player sleeps in
``drain_s`` quanta while the trace clock keeps running. The trace walk is a search over the
tables of ``model.py``.

Two kernels share those tables and the QoE formula ``chunk_qoe``: ``BatchSim`` (N envs, the
``BatchSim`` protocol of ``core/sim.py``, used by the vector env and the oracle), whose download
is the compiled loop of ``kernel.py``, and ``ScalarSim`` (Python floats for one env, used by the
scalar env, where any per-call overhead would dominate). They perform the same IEEE operations
in the same order and produce identical trajectories; ``tests/test_abr_env.py`` checks it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

import numpy as np

from .kernel import CONSTANTS, MIN_DELAY_MS, download_chunks
from .model import BUFFER_NORM_S, OBS_ROWS, AbrModel
from .params import AbrParams


def as_trace_indices(value: Any, count: int | None) -> Any:
    """Validate the reset option ``trace_index``: one integer (``count=None``) or one per env."""
    array = np.asarray(value)
    if array.dtype.kind not in "iu" or (count is None and array.ndim != 0):
        raise ValueError(f"reset option trace_index must be an integer, got {value!r}")
    if count is None:
        return int(array)
    try:
        return np.broadcast_to(array.astype(np.int64), (count,))
    except ValueError:
        raise ValueError(
            f"reset option trace_index must be one integer or {count} of them, got {value!r}"
        ) from None


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
    traces = None if trace_index is None else [trace_index]
    trace, pointer, noise = draw_episodes([rng], model, traces)
    return trace[0], pointer[0], None if noise is None else noise[0]


def draw_episodes(
    rngs: Sequence[np.random.Generator | None],
    model: AbrModel,
    traces: Sequence[int] | None,
) -> tuple[list[int], list[int], list[np.ndarray] | None]:
    """``draw_episode`` for several envs, env ``j`` drawing from ``rngs[j]`` (with
    ``traces[j]`` when given): one loop with the parameters looked up once, the same draws in
    the same order per env. Returns the traces, pointers and noise rows (None without noise)."""
    p = model.params
    n_traces = len(model.table)
    lengths = model.table.py["lengths"]
    random_start = p.start == "random"
    low, high = p.noise if p.noise is not None else (0.0, 0.0)
    trace_out: list[int] = []
    pointer_out: list[int] = []
    noise_out: list[np.ndarray] | None = [] if p.noise is not None else None
    for j, rng in enumerate(rngs):
        if traces is None:
            trace = int(rng.integers(n_traces))
        else:
            trace = int(traces[j])
            if not 0 <= trace < n_traces:
                raise ValueError(f"trace_index must be in [0, {n_traces - 1}], got {trace}")
        if random_start:
            pointer = int(rng.integers(1, lengths[trace]))  # Pensieve: randint(1, len)
        elif p.start == "beginning":
            pointer = 1
        else:
            pointer = p.start[trace]
        trace_out.append(trace)
        pointer_out.append(pointer)
        if noise_out is not None:
            noise_out.append(rng.uniform(low, high, model.n_chunks))
    return trace_out, pointer_out, noise_out


def chunk_qoe(utility: Any, prev_utility: Any, rebuf_ms: Any, mu: float, smooth: float) -> Any:
    """QoE of a chunk (reference/abr.md 1.3): ``q(R_t) - mu rebuffer_s - smooth |q(R_t) -
    q(R_{t-1})|``, for Python floats (scalar kernel) and numpy arrays (batched kernel) alike."""
    return utility - mu * (rebuf_ms / 1000.0) - smooth * abs(utility - prev_utility)


class _Kernel:
    """The constants both kernels read, in the units they compute in (ms)."""

    def _set_constants(self, p: AbrParams) -> None:
        self._chunk_ms = p.chunk_s * 1000.0
        self._cap_ms = p.buffer_cap_s * 1000.0
        self._drain_ms = p.drain_s * 1000.0
        self._rtt_ms = p.rtt_s * 1000.0
        self._mu = p.rebuffer_penalty_value
        self._smooth = p.smooth_penalty


class BatchSim(_Kernel):
    """State of N environments as arrays (env axis first) and the numpy kernel.

    ``reset(idx, rngs, options)`` draws each episode (``draw_episode``, trace order
    ``params.trace_order``; option ``trace_index``: one trace per env) and downloads its first
    chunk; ``step(idx, levels, rngs)`` downloads the next chunk. ``start`` and ``download`` are
    the same without the draws, for oracles that set the state arrays themselves.
    """

    def __init__(self, model: AbrModel, n_envs: int) -> None:
        self.model = model
        self.n_envs = self.num_envs = n_envs
        p = model.params
        self.next_trace = np.arange(n_envs, dtype=np.int64)
        """sequential order: the next trace of each env (env i plays i, i + N, ...)"""
        self._needs_rng = p.trace_order == "random" or p.start == "random" or p.noise is not None
        self._truncated = np.zeros(n_envs, dtype=bool)
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
        self._ladder_kbps = np.asarray(p.ladder_kbps)
        self._ladder_norm = self._ladder_kbps / max(p.ladder_kbps)
        self._no_noise = np.zeros(0)
        self._set_constants(p)
        self._constants = np.array([getattr(self, f"_{name}") for name in CONSTANTS])
        """the kernel's float constants, in the order of ``kernel.CONSTANTS``"""

    def _rows(self, idx: slice | np.ndarray) -> np.ndarray:
        return self._all[idx] if isinstance(idx, slice) else idx

    # ------------------------------------------------------------------ BatchSim protocol
    def reset(
        self, idx: np.ndarray, rngs: list[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """Draw new episodes for envs ``idx`` and download their first chunk."""
        traces = options.get("trace_index")
        if traces is not None:
            traces = as_trace_indices(traces, self.num_envs)[idx]
        table_size = len(self.model.table)
        params = self.model.params
        if traces is None and params.trace_order == "sequential":
            traces = self.next_trace[idx] % table_size
            self.next_trace[idx] += self.num_envs
        if self._needs_rng:
            trace, pointer, noise = draw_episodes(
                [rngs[i] for i in idx.tolist()],
                self.model,
                None if traces is None else traces.tolist(),
            )
            trace = np.array(trace, dtype=np.int64)
            pointer = np.array(pointer, dtype=np.int64)
            noise = None if noise is None else np.array(noise)
        else:
            trace = traces.astype(np.int64)
            if trace.size and (trace.min() < 0 or trace.max() >= table_size):
                raise ValueError(f"trace_index must be in [0, {table_size - 1}]")
            pointer = np.ones(len(idx), dtype=np.int64)
            if isinstance(params.start, tuple):
                pointer = np.asarray(params.start, dtype=np.int64)[trace]
            noise = None
        self.start(idx, trace, pointer, noise)

    def step(self, idx: slice | np.ndarray, levels: np.ndarray, rngs: Any = None) -> None:
        """Download the next chunk of envs ``idx`` at ``levels`` (no randomness is drawn)."""
        self.download(idx, levels)

    @property
    def terminated(self) -> np.ndarray:
        """(N,) the last chunk is downloaded."""
        return self.chunk >= self.model.n_chunks

    @property
    def truncated(self) -> np.ndarray:
        """(N,) always False: episodes end with the video."""
        return self._truncated

    def observation(self) -> np.ndarray:
        """(N, 6, history_len) Pensieve states, a copy."""
        return self.obs.copy()

    def info(self) -> dict[str, np.ndarray]:
        """The chunk just downloaded by each env (see the vector env's docstring)."""
        delay_s = self.delay_ms / 1000.0
        return {
            "bitrate_kbps": self._ladder_kbps[self.last_q],
            "quality": self.last_q.copy(),
            "rebuffer_s": self.rebuf_s.copy(),
            "buffer_s": self.buffer_ms / 1000.0,
            "download_time_s": delay_s,
            "chunk_bytes": self.size_b.copy(),
            "throughput_mbps": self.size_b * 8.0 / delay_s / 1e6,
            "sleep_s": self.sleep_ms / 1000.0,
            "chunk_index": self.chunk - 1,
            "qoe": self.reward.copy(),
            "trace_index": self.trace.copy(),
        }

    # ------------------------------------------------------------------ kernels
    def start(
        self, idx: np.ndarray, trace: np.ndarray, pointer: np.ndarray, noise: np.ndarray | None
    ) -> None:
        """Start new episodes in envs ``idx`` (given trace, pointer and noise) and download
        their first chunk."""
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
        quality = np.full(len(idx), self.model.params.default_quality, dtype=np.int64)
        # every env (a sorted index array covering them all): the in-place path
        self.download(slice(None) if len(idx) == self.n_envs else idx, quality)

    def download(self, idx: slice | np.ndarray, quality: np.ndarray) -> None:
        """Download the next chunk of envs ``idx`` (a slice: every env) at levels ``quality``
        and update their state arrays in place: the compiled loop of ``kernel.py``, with the
        noise factors of the chunks (when the params have noise) gathered here."""
        m = self.model
        t = m.table
        rows = self._rows(idx)
        quality = np.asarray(quality, dtype=np.int64)
        noise = self._no_noise
        if self.noise is not None:
            noise = self.noise[rows, np.minimum(self.chunk[rows], m.n_chunks - 1)]
        download_chunks(
            rows,
            quality,
            noise,
            self.trace,
            self.ptr,
            self.pos_s,
            self.buffer_ms,
            self.chunk,
            self.last_q,
            self.delay_ms,
            self.sleep_ms,
            self.rebuf_s,
            self.size_b,
            self.reward,
            self.obs.reshape(len(self.obs), -1),
            self._sizes_f,
            t.walk,
            t.time_base,
            t.cum_base,
            t.last,
            t.period_s,
            t.period_bytes,
            m.utility,
            self._ladder_norm,
            m.next_rows,
            self._constants,
            m.n_chunks,
        )


class ScalarSim(_Kernel):
    """One environment with Python-float state: the same formulas as ``BatchSim.download``
    (``kernel.download_chunks``)."""

    def __init__(self, model: AbrModel) -> None:
        self.model = model
        p = model.params
        self._t = model.table.py
        self._sizes = model.video_sizes.astype(np.float64).tolist()
        self._utility = model.utility.tolist()
        self._ladder_norm = (np.asarray(p.ladder_kbps) / max(p.ladder_kbps)).tolist()
        self._set_constants(p)
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
        if delay_ms < MIN_DELAY_MS:
            delay_ms = MIN_DELAY_MS
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
        utilities = self._utility
        reward = chunk_qoe(
            utilities[quality], utilities[self.last_q], rebuf_ms, self._mu, self._smooth
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
