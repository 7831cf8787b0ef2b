"""The vector env's chunk download, compiled (numba, ``envs/core/compiled.py``): one loop over the
stepped envs that does Pensieve's ``get_video_chunk`` for each (``docs/performance.md``,
"Compiled kernels").

It is the only implementation of ``BatchSim.download`` (``sim.py``): the numpy version it
replaced made about 70 passes over N-value arrays per step (gathers, a forward-scan search, the
buffer, the QoE, the observation), each reading and writing every array once; this loop reads
each env's state once and keeps it in registers (about 1.8x faster at N = 4096, and at B = 256,
where numpy's per-call overhead dominated, the vector env runs twice as fast). It performs the IEEE
operations of the scalar kernel (``ScalarSim.download``) in the same order, so trajectories are
bit-identical to it and to the numpy version (``tests/test_abr_env.py``,
``tests/test_abr_kernels.py``, the golden hashes); ``max(x, 0.0)`` follows ``np.maximum``
(``_at_least_zero``: +0.0 for -0.0, NaN kept). No random numbers are drawn here: the episode
draws and the noise factors come from the envs' own generators in ``sim.py``.
"""

from __future__ import annotations

import numpy as np

from ..core.compiled import kernel
from .model import BUFFER_NORM_S

MIN_DELAY_MS = 1e-6
"""shortest download time, 1 ns: with ``rtt_s=0`` a tiny chunk on a fast link could otherwise
round to a zero (or, late in a long trace, a negative) delay and an infinite throughput"""
SCAN_STEPS = 8
"""entries a trace search walks forward from its hint before it bisects the rest (a download
or a sleep usually ends within a few segments of where it started)"""
TIME, CUM, RATE, INV_RATE, TIME_KEY, CUM_KEY = range(6)
"""the columns of ``TraceTable.walk``: the per-sample arrays the kernel reads, one row per
sample, so that a download's few rows come in one or two cache lines"""
CONSTANTS = ("chunk_ms", "cap_ms", "drain_ms", "rtt_ms", "mu", "smooth")
"""the order of the float constants in the kernel's ``constants`` argument"""


@kernel
def search_right(table: np.ndarray, column: int, value: float, hint: int, stop: int) -> int:
    """``np.searchsorted(table[:, column], value, side="right")`` for one value whose answer
    lies in ``[0, stop]`` (``table[stop, column] > value``) and usually a few rows at or after
    ``hint`` (1 <= hint <= stop): a forward scan of up to ``SCAN_STEPS`` rows, then a bisection
    (of the rows before the hint, for a wrap to the trace's start, or of those after the
    scan)."""
    if table[hint - 1, column] > value:  # the answer lies before the hint
        low, high = 0, hint - 1
    else:
        low = hint
        for _ in range(SCAN_STEPS):
            if table[low, column] > value:
                return low
            low += 1
        high = stop
    while low < high:
        middle = (low + high) // 2
        if table[middle, column] <= value:
            low = middle + 1
        else:
            high = middle
    return low


@kernel
def _at_least_zero(value: float) -> float:
    """``np.maximum(value, 0.0)``: the value if positive or NaN, else +0.0 (also for -0.0)."""
    if value > 0.0 or value != value:
        return value
    return 0.0


@kernel
def download_chunks(
    rows,
    quality,
    noise_factor,
    trace,
    ptr,
    pos_s,
    buffer_ms,
    chunk,
    last_q,
    delay_ms,
    sleep_ms,
    rebuf_s,
    size_b,
    reward,
    obs,
    sizes,
    walk,
    time_base,
    cum_base,
    last,
    period_s,
    period_bytes,
    utility,
    ladder_norm,
    next_rows,
    constants,
    n_chunks,
):  # pragma: no cover  (compiled; its Python body runs only under NUMBA_DISABLE_JIT)
    """Download the next chunk of envs ``rows`` at levels ``quality`` (``quality[j]`` for env
    ``rows[j]``) and update their state arrays, outputs and observations in place.

    ``noise_factor[j]`` multiplies env ``rows[j]``'s delay (an empty array: no noise); the
    arrays from ``sizes`` to ``next_rows`` are the model's (``TraceTable`` and video, read
    only); ``constants`` holds the floats named by ``CONSTANTS``."""
    chunk_ms, cap_ms, drain_ms, rtt_ms, mu, smooth = (
        constants[0],
        constants[1],
        constants[2],
        constants[3],
        constants[4],
        constants[5],
    )
    noisy = noise_factor.shape[0] > 0
    history = next_rows.shape[1]
    width = obs.shape[1]
    newest = history - 1
    for j in range(rows.shape[0]):
        i = rows[j]
        done = chunk[i] + 1
        if done >= next_rows.shape[0]:
            raise IndexError("an ABR env downloaded past the video's last chunk: reset it first")
        level = quality[j]
        tr = trace[i]
        p = ptr[i]
        pos = pos_s[i]
        index = min(chunk[i], n_chunks - 1)
        size = sizes[level, index]
        # Walk the trace: bytes already delivered in this period + size -> end position.
        period_b = period_bytes[tr]
        period = period_s[tr]
        target = walk[p - 1, CUM] + (pos - walk[p - 1, TIME]) * walk[p, RATE] + size
        wraps = np.floor(target / period_b)
        rem = _at_least_zero(target - wraps * period_b)
        end_row = last[tr]
        k = min(search_right(walk, CUM_KEY, cum_base[tr] + rem, p, end_row + 1), end_row)
        end = walk[k - 1, TIME] + (rem - walk[k - 1, CUM]) * walk[k, INV_RATE]
        delay = (wraps * period + end - pos) * 1000.0 + rtt_ms
        if noisy:
            delay *= noise_factor[j]
        if not (delay > MIN_DELAY_MS or delay != delay):
            delay = MIN_DELAY_MS
        # Buffer, rebuffering and the drain sleep (ms, as Pensieve).
        buffer = buffer_ms[i]
        rebuf = _at_least_zero(delay - buffer)
        buffer = _at_least_zero(buffer - delay) + chunk_ms
        sleep = _at_least_zero(np.ceil((buffer - cap_ms) / drain_ms)) * drain_ms
        buffer = buffer - sleep
        # The trace clock runs on during the sleep.
        if sleep > 0.0:
            moved = end + sleep / 1000.0
            pos = _at_least_zero(moved - np.floor(moved / period) * period)
            p = min(search_right(walk, TIME_KEY, time_base[tr] + pos, k, end_row + 1), end_row)
        else:
            pos = end
            p = k
        # QoE of this chunk (``sim.chunk_qoe``).
        utility_now = utility[level]
        qoe = utility_now - mu * (rebuf / 1000.0) - smooth * abs(utility_now - utility[last_q[i]])
        ptr[i] = p
        pos_s[i] = pos
        buffer_ms[i] = buffer
        chunk[i] = done
        last_q[i] = level
        delay_ms[i] = delay
        sleep_ms[i] = sleep
        rebuf_s[i] = rebuf / 1000.0
        size_b[i] = size
        reward[i] = qoe
        # Observation (reference/abr.md 1.4): shift the history, write the newest column (each
        # value computed in float64 and rounded once into the float32 observation). ``obs`` is
        # (N, 6 x history): one shift of an env's whole row by one entry is each history's
        # shift (an entry that crosses into a history's last column, or into the next-chunk
        # sizes, is overwritten just below).
        for column in range(width - 1):
            obs[i, column] = obs[i, column + 1]
        obs[i, newest] = ladder_norm[level]
        obs[i, history + newest] = buffer / 1000.0 / BUFFER_NORM_S
        obs[i, 2 * history + newest] = size / delay / 1000.0
        obs[i, 3 * history + newest] = delay / 1000.0 / BUFFER_NORM_S
        for column in range(history):
            obs[i, 4 * history + column] = next_rows[done, column]
        obs[i, 5 * history + newest] = (n_chunks - done) / n_chunks
