"""Frames of the ABR env: ``rgb_array`` (numpy only) and ``ansi`` text.

The 640 x 400 frame plots the episode against session time (seconds since the first request):

* top, in Mbps: the trace's throughput available to the player (grey area) and the bitrate of
  the chunk being downloaded (blue steps, one per chunk);
* bottom, in seconds: the playback buffer (orange), draining while a chunk downloads, jumping by
  ``chunk_s`` when it arrives and draining further while the player sleeps at the cap;
* stalls (rebuffering) shaded red in both panels, the start-up delay shaded pink;
* a header with the trace, the chunk count and the last chunk's numbers, and a legend.

The env keeps a ``Timeline`` of its chunks only when it has a render mode, so rendering never
costs a step without one, and reads nothing but the sim's state (trajectories are unchanged).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import draw
from .model import AbrModel

HEIGHT, WIDTH = 400, 640
TRACE_FILL = (215, 215, 215)
TRACE_EDGE = (140, 140, 140)
BITRATE = (31, 90, 180)
BUFFER = (245, 121, 0)
STALL = (214, 39, 40)
STARTUP = (110, 110, 200)
SHADE = 0.3
"""opacity of the stall and start-up spans"""
LEGEND = (
    ("trace throughput", TRACE_FILL, "box"),
    ("bitrate of the chunk", BITRATE, "line"),
    ("buffer", BUFFER, "line"),
    ("stall", (243, 190, 190), "box"),
    ("start-up delay", (211, 211, 238), "box"),
)
TOP_BOX = (52, 80, 626, 214)
BOTTOM_BOX = (52, 252, 626, 356)


class Timeline:
    """What the frame shows of an episode: one row per chunk downloaded (the first at reset).

    Args:
        model: the env's traces and video.
        trace: index of the episode's trace.
        start_s: position in the trace (s) where the first request was sent.
    """

    def __init__(self, model: AbrModel, trace: int, start_s: float) -> None:
        self.model = model
        self.trace = trace
        self.start_s = start_s
        self.rows: list[tuple[float, ...]] = []
        """(start_s, delay_s, sleep_s, rebuffer_s, buffer_after_s, level, qoe, trace_pos_s)"""

    @classmethod
    def at_reset(cls, model: AbrModel, trace: int, pointer: int, sim: Any) -> Timeline:
        """The timeline of an episode that ``sim`` just started (first chunk downloaded) from
        sample ``pointer`` of ``trace``."""
        table = model.table
        timeline = cls(model, trace, float(table.time[table.offset[trace] + pointer - 1]))
        timeline.add(sim)
        return timeline

    def add(self, sim: Any) -> None:
        """Record the chunk ``sim`` just downloaded (its ``delay_ms``, ``sleep_ms``, ...)."""
        start = self.now_s
        self.rows.append(
            (
                start,
                sim.delay_ms / 1000.0,
                sim.sleep_ms / 1000.0,
                sim.rebuf_s,
                sim.buffer_ms / 1000.0,
                float(sim.last_q),
                sim.reward,
                sim.pos_s,
            )
        )

    @property
    def now_s(self) -> float:
        """Session time after the last chunk (its download and any sleep)."""
        if not self.rows:
            return 0.0
        start, delay, sleep = self.rows[-1][:3]
        return start + delay + sleep

    def trace_mbps(self, session_s: np.ndarray) -> np.ndarray:
        """Payload throughput (Mbps) of the trace at the given session times."""
        table = self.model.table
        first, last = int(table.offset[self.trace]), int(table.last[self.trace])
        period = float(table.period_s[self.trace])
        knots_t = [0.0]
        knots_p = [self.start_s]
        for start, delay, sleep, *_, position in self.rows:
            knots_t.append(start + delay + sleep)
            knots_p.append(knots_p[-1] + (position - knots_p[-1]) % period)
        position = np.interp(session_s, knots_t, knots_p, right=np.nan)
        beyond = np.isnan(position)  # after the last chunk: the trace goes on in real time
        position[beyond] = knots_p[-1] + (session_s[beyond] - knots_t[-1])
        local = np.mod(position, period)
        index = np.searchsorted(table.time[first : last + 1], local, side="left")
        index = np.clip(first + index, first + 1, last)
        return table.rate_bps[index] * 8.0 / 1e6


def draw_frame(timeline: Timeline | None, env: Any) -> np.ndarray:
    """The ``(400, 640, 3)`` uint8 frame of the episode so far (``env`` gives names and
    parameters)."""
    frame = draw.canvas(HEIGHT, WIDTH)
    params = env.params
    ladder = np.asarray(params.ladder_kbps, dtype=float) / 1000.0
    draw.text(frame, 8, 6, "ABR streaming (netgym/AbrStreaming-v0)", draw.INK, scale=2)
    if timeline is None or not timeline.rows:
        draw.text(frame, 8, 40, "no episode yet: call reset()")
        return frame
    rows = np.array(timeline.rows)
    start, delay, sleep, rebuffer, buffer_after, level, qoe = rows[:, :7].T
    n_done = len(rows)
    name = env.model.table.names[timeline.trace]
    draw.text(
        frame,
        8,
        26,
        f"trace {name} | chunk {n_done} of {env.n_chunks} | session {timeline.now_s:.1f} s",
    )
    last = int(level[-1])
    draw.text(
        frame,
        8,
        38,
        f"last chunk: level {last} = {params.ladder_kbps[last]:g} kbps, download "
        f"{delay[-1]:.2f} s, stall {rebuffer[-1]:.2f} s, buffer {buffer_after[-1]:.1f} s, "
        f"QoE {qoe[-1]:.2f}",
    )
    draw.legend(frame, 8, 52, LEGEND)

    span = min(draw.nice_ceiling(env.n_chunks * params.chunk_s * 1.2), 600.0)
    x_high = max(span, timeline.now_s)  # the last ``span`` seconds
    x_low = x_high - span
    left, right = TOP_BOX[0], TOP_BOX[2]
    columns = np.arange(left, right + 1)
    session = x_low + (columns - left) / (right - left) * (x_high - x_low)
    shown = session <= timeline.now_s
    mbps = timeline.trace_mbps(session[shown])
    top_mbps = max(ladder.max() * 1.15, min(float(mbps.max(initial=0.0)), 3.0 * ladder.max()))
    top = draw.Axes(TOP_BOX, (x_low, x_high), (0, draw.nice_ceiling(top_mbps)))
    cap = params.buffer_cap_s + params.chunk_s
    bottom = draw.Axes(BOTTOM_BOX, (x_low, x_high), (0, draw.nice_ceiling(cap)))
    top.draw(frame, y_title="Mbps", x_ticks=False)
    bottom.draw(frame, x_title="session time (s)", y_title="buffer (s)")

    # trace throughput: one filled column per pixel
    rows_px = np.rint(top.py(mbps)).astype(int)
    draw.fill_under(frame, columns[shown], rows_px, top.y1 - 1, TRACE_FILL)
    draw.polyline(frame, columns[shown], rows_px, TRACE_EDGE)

    # stalls and start-up, shaded in both panels
    buffer_before = np.concatenate([[0.0], buffer_after[:-1]])
    stall_from = start + np.minimum(buffer_before, delay)
    stall_to = start + delay
    stalled = rebuffer > 0
    stalled[0] = False
    for colour, spans in ((STARTUP, [0] if rebuffer[0] > 0 else []), (STALL, stalled)):
        covered = np.zeros(len(columns), dtype=bool)
        for index in np.flatnonzero(spans) if len(spans) else ():
            covered |= (session >= stall_from[index]) & (session <= stall_to[index])
        for axes in (top, bottom):
            draw.shade_columns(frame, columns[covered], axes.y0 + 1, axes.y1 - 1, colour, SHADE)
    for index in np.flatnonzero(stalled & (stall_to > x_low)):
        left, right = bottom.px([stall_from[index], stall_to[index]])
        draw.fill(frame, left, bottom.y1 - 3, max(right, left + 1), bottom.y1 - 1, STALL)

    # bitrate of each chunk over its download (and sleep), as steps
    ends = np.append(start[1:], timeline.now_s)
    visible = ends > x_low
    xs = np.stack([start, ends], axis=1)[visible].ravel()
    ys = np.repeat(ladder[level.astype(int)], 2)[np.repeat(visible, 2)]
    draw.polyline(frame, top.px(xs), top.py(ys), BITRATE, width=2)

    # buffer: drains during the download (to 0 in a stall), +chunk_s, drains while sleeping
    after_download = buffer_after + sleep
    drained = np.maximum(buffer_before - delay, 0.0)
    bx = np.stack([start, stall_from, start + delay, start + delay, ends], axis=1)
    by = np.stack([buffer_before, drained, drained, after_download, buffer_after], axis=1)
    bx, by = bx[visible].ravel(), by[visible].ravel()
    draw.polyline(frame, bottom.px(bx), bottom.py(by), BUFFER, width=2)
    cap_row = int(bottom.py(params.buffer_cap_s))
    dashes = np.arange(bottom.x0 + 2, bottom.x1)
    frame[cap_row, dashes[dashes % 8 < 4]] = TRACE_EDGE
    draw.text(frame, bottom.x1 - 4, cap_row - 10, "buffer cap", draw.GREY_TEXT, align="right")
    return frame


def ansi(timeline: Timeline | None, env: Any) -> str:
    """The episode as text: a header and the last ``history_len`` chunks, oldest first."""
    if timeline is None or not timeline.rows:
        return "AbrStreaming-v0: no episode yet (call reset())\n"
    params = env.params
    name = env.model.table.names[timeline.trace]
    lines = [
        f"AbrStreaming-v0  trace {name}  chunk {len(timeline.rows)}/{env.n_chunks}  "
        f"session {timeline.now_s:.1f} s  ladder {'/'.join(f'{k:g}' for k in params.ladder_kbps)}"
        " kbps",
        " chunk  level   kbps  download_s  stall_s  buffer_s    qoe",
    ]
    first = max(len(timeline.rows) - params.history_len, 0)
    for index, row in enumerate(timeline.rows[first:], start=first):
        _, delay, _, rebuffer, buffer_after, level, qoe, _ = row
        stall = "start" if index == 0 and rebuffer > 0 else f"{rebuffer:7.2f}"
        lines.append(
            f"{index:6d}  {int(level):5d}  {params.ladder_kbps[int(level)]:5g}  {delay:10.2f}  "
            f"{stall:>7}  {buffer_after:8.1f}  {qoe:5.2f}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["HEIGHT", "WIDTH", "Timeline", "ansi", "draw_frame"]
