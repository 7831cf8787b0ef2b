"""The download engine of ``netgym/WirelessVideoCell-v0``: one scheduling epoch of every
user's chunk downloads, in continuous time.

Each user is in one phase: downloading a chunk, waiting one RTT after its last byte,
sleeping because its buffer is over the cap, or finished. Inside an epoch a user's rate is
piecewise constant (``share x full-cell rate``, per TTI in the exact mode, per epoch in the
fluid mode; per trace segment with ``channel='trace'``), so the moment a chunk's last byte
arrives is found exactly by inverting the cumulative delivered bytes. A completed chunk is
accounted as in Pensieve (``envs/abr/sim.py``): the delay is download time + RTT, the buffer
drains by it (the shortfall is rebuffering), gains one chunk, and the player sleeps in drain
quanta above the cap; its QoE is ``chunk_qoe``. With ``channel='trace'`` the trace runs on
Pensieve's clock (it advances while downloading and sleeping, not during the RTT).
"""

from __future__ import annotations

import numpy as np

from ..abr.model import TraceTable

DOWNLOADING, RTT, SLEEPING, FINISHED, AWAITING = 0, 1, 2, 3, 4
"""the phases; AWAITING (PettingZoo variant only): the chunk is done and the client agent has
not chosen the next level yet (the player sleeps out its drain time meanwhile, then idles)"""


class FadingCurve:
    """Cumulative bytes of users whose full-cell rate is piecewise constant over TTIs."""

    def __init__(self, rate: np.ndarray, tti_ms: float) -> None:
        """``rate``: (U, T) full-cell bytes per ms of each user in each TTI."""
        self.rate = rate
        self.tti_ms = tti_ms
        self.cum = np.zeros((rate.shape[0], rate.shape[1] + 1))
        np.cumsum(rate * tti_ms, axis=1, out=self.cum[:, 1:])

    def at(self, users: np.ndarray, pos_ms: np.ndarray) -> np.ndarray:
        """Bytes of the full cell from the epoch start to ``pos_ms``."""
        last = self.rate.shape[1] - 1
        i = np.minimum((pos_ms / self.tti_ms).astype(np.int64), last)
        return self.cum[users, i] + (pos_ms - i * self.tti_ms) * self.rate[users, i]

    def time_of(self, users: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Earliest time (ms) at which the full cell has delivered ``target`` bytes."""
        cum = self.cum[users]
        width = cum.shape[1]
        base = np.cumsum(cum[:, -1] + 1.0) - (cum[:, -1] + 1.0)
        keys = (cum + base[:, None]).ravel()
        j = np.searchsorted(keys, base + target, side="left") - np.arange(len(users)) * width - 1
        j = np.clip(j, 0, width - 2)
        rate = self.rate[users, j]
        return j * self.tti_ms + (target - cum[np.arange(len(users)), j]) / np.where(
            rate > 0, rate, np.inf
        )


class TraceCurve:
    """Cumulative payload bytes of ABR traces on each user's link clock (seconds, unwrapped),
    the walk of ``envs/abr/sim.py`` on the ``TraceTable`` arrays."""

    def __init__(self, table: TraceTable) -> None:
        self.t = table

    def at(self, trace: np.ndarray, link_s: np.ndarray) -> np.ndarray:
        """Payload bytes from trace time 0 to ``link_s`` (wraps included)."""
        t = self.t
        period = t.period_s[trace]
        wraps = np.floor(link_s / period)
        pos = link_s - wraps * period
        ptr = np.searchsorted(t.time_key, t.time_base[trace] + pos, side="right")
        ptr = np.clip(ptr, t.offset[trace] + 1, t.last[trace])
        local = t.cum[ptr - 1] + (pos - t.time[ptr - 1]) * t.rate_bps[ptr]
        return wraps * t.period_bytes[trace] + local

    def time_of(self, trace: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Link time (s, unwrapped) at which ``target`` payload bytes are delivered."""
        t = self.t
        period_b = t.period_bytes[trace]
        wraps = np.floor(target / period_b)
        rem = np.maximum(target - wraps * period_b, 0.0)
        k = np.minimum(
            np.searchsorted(t.cum_key, t.cum_base[trace] + rem, side="right"), t.last[trace]
        )
        end = t.time[k - 1] + (rem - t.cum[k - 1]) * t.inv_rate[k]
        return wraps * t.period_s[trace] + end


def advance_waits(
    state: dict[str, np.ndarray], live: np.ndarray, epoch_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """Advance the waiting users in ``live`` to the end of their wait or of the epoch.

    Returns:
        the users whose RTT ended (their chunk is complete) and those whose sleep ended.
    """
    phase = state["phase"]
    w = live[(phase[live] == RTT) | (phase[live] == SLEEPING)]
    if not w.size:
        return w, w
    left = epoch_ms - state["pos"][w]
    wait = state["wait"][w]
    done = wait <= left
    step = np.where(done, wait, left)
    sleeping = phase[w] == SLEEPING
    state["link"][w[sleeping]] += step[sleeping] / 1000.0
    state["wait"][w] = wait - step
    state["pos"][w] = np.where(done, state["pos"][w] + wait, epoch_ms)
    ended = w[done]
    rtt_done = ended[phase[ended] == RTT]
    sleep_done = ended[phase[ended] == SLEEPING]
    phase[sleep_done] = DOWNLOADING
    return rtt_done, sleep_done


def advance_awaiting(state: dict[str, np.ndarray], live: np.ndarray, epoch_ms: float) -> None:
    """Advance the users in ``live`` that await their client's decision to the epoch's end:
    their drain sleep runs out first (the trace clock runs), the time after it counts into the
    next chunk's delay (the buffer drains while nothing is requested)."""
    a = live[state["phase"][live] == AWAITING]
    if not a.size:
        return
    left = epoch_ms - state["pos"][a]
    sleep = np.minimum(state["wait"][a], left)
    state["wait"][a] -= sleep
    state["link"][a] += sleep / 1000.0
    state["dl_ms"][a] += left - sleep
    state["pos"][a] = epoch_ms


def advance_downloads(
    state: dict[str, np.ndarray],
    live: np.ndarray,
    share: np.ndarray,
    curve: FadingCurve | TraceCurve,
    epoch_ms: float,
    rtt_ms: float,
) -> np.ndarray:
    """Advance the downloading users in ``live`` until their chunk's last byte or the epoch end.

    Returns:
        the users whose last byte arrived (now waiting one RTT).
    """
    phase = state["phase"]
    d = live[phase[live] == DOWNLOADING]
    if not d.size:
        return d
    pos = state["pos"][d]
    rem = state["rem"][d]
    s = share[d]
    trace_mode = isinstance(curve, TraceCurve)
    if trace_mode:
        key = state["trace"][d]
        link = state["link"][d]
        start = curve.at(key, link)
        end = curve.at(key, link + (epoch_ms - pos) / 1000.0)
    else:
        key = d
        start = curve.at(d, pos)
        end = curve.at(d, np.full(d.size, epoch_ms))
    avail = s * (end - start)
    done = (s > 0) & (avail >= rem)
    x = np.full(d.size, 0.0)
    if done.any():
        target = start[done] + rem[done] / s[done]
        if trace_mode:
            t_end = curve.time_of(key[done], target)
            x[done] = np.maximum(t_end - link[done], 0.0) * 1000.0
        else:
            x[done] = np.maximum(curve.time_of(key[done], target) - pos[done], 0.0)
    left = ~done
    x[left] = epoch_ms - pos[left]
    moved = np.where(done, rem, avail)
    state["delivered"][d] += np.where(s > 0, moved, 0.0)
    state["busy"][d] += np.where(s > 0, x, 0.0) * s
    state["dl_ms"][d] += x
    state["link"][d] += x / 1000.0
    state["rem"][d] = np.where(done, 0.0, rem - avail)
    state["pos"][d] = np.where(done, np.minimum(pos + x, epoch_ms), epoch_ms)
    finished = d[done]
    phase[finished] = RTT
    state["wait"][finished] = rtt_ms
    return finished


def sleep_quanta(buffer_ms: np.ndarray, cap_ms: float, drain_ms: float) -> np.ndarray:
    """Pensieve's sleep above the buffer cap: whole drain quanta, ms."""
    return np.maximum(np.ceil((buffer_ms - cap_ms) / drain_ms), 0.0) * drain_ms


__all__ = [
    "AWAITING",
    "DOWNLOADING",
    "FINISHED",
    "RTT",
    "SLEEPING",
    "FadingCurve",
    "TraceCurve",
    "advance_awaiting",
    "advance_downloads",
    "advance_waits",
    "sleep_quanta",
]
