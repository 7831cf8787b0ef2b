"""``rgb_array`` frames of ``netgym/WirelessVideoCell-v0`` (400 x 640, numpy only).

One row per user (up to 24 shown): persona and zone, a satisfaction bar coloured red to green
with the 0.5 mark, the playback buffer against the cap, the full-cell rate against the cell's
peak , the level of its current chunk, its
chunks done; a header with the time, the PRBs used, the reward vector and the bounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.draw import GREY, INK, LIGHT, canvas, colormap, fill, text
from .engine import AWAITING, DOWNLOADING, FINISHED, RTT

if TYPE_CHECKING:
    from .sim import CellSim

HEIGHT, WIDTH = 400, 640
MAX_ROWS = 24
PHASES = {DOWNLOADING: "dl", RTT: "rtt", 2: "sleep", FINISHED: "done", AWAITING: "wait"}
BLUE = (60, 110, 200)
TEAL = (40, 150, 150)


def draw_frame(sim: CellSim, env: int = 0) -> np.ndarray:
    """The frame of cell ``env`` of ``sim``."""
    frame = canvas(HEIGHT, WIDTH)
    p = sim.params
    vec = sim.reward_vec[env]
    text(frame, 8, 6, f"t = {sim.clock_ms[env] / 1000:.1f} s   PRBs used {sim.used[env]:.0%}")
    text(
        frame,
        8,
        18,
        f"satisfaction {vec[0]:.2f}  satisfied {vec[2]:.0%}  reward {sim.reward[env]:+.3f}"
        + (
            f"  bound {sim.upper_bound[env]:.2f}  count bound {sim.count_bound[env]:.0%}"
            if sim.params.bounds
            else ""
        ),
        GREY,
    )
    columns = (("user / persona / zone kbps", 8), ("satisfaction", 214), ("buffer", 330))
    columns += (("rate / peak", 430), ("level", 560), ("chunks", 600))
    for label, x in columns:
        text(frame, x, 36, label, GREY)
    rows = min(p.n_users, MAX_ROWS)
    pitch = (HEIGHT - 54) // max(rows, 1)
    height = max(min(pitch - 4, 10), 2)
    for u in range(rows):
        y = 50 + u * pitch
        persona = sim.persona_names[sim.persona[env, u]]
        zone = f"{sim.adequate_kbps[env, u]:.0f}-{sim.desired_kbps[env, u]:.0f}"
        label = f"{u:2d} {persona[:8]:<8} {zone} {PHASES[int(sim.phase[env, u])]}"
        text(frame, 8, y, label, INK)
        _bar(frame, 214, y, 100, height, sim.sat[env, u], colormap(sim.sat[env, u]))
        fill(frame, 264, y - 1, 264, y + height, INK)  # the 0.5 mark
        buffer = sim.buffer_ms[env, u] / (p.abr.buffer_cap_s * 1000.0)
        _bar(frame, 330, y, 90, height, buffer, BLUE)
        _bar(frame, 430, y, 110, height, sim.rate_mbps[env, u] / sim.max_rate_mbps, TEAL)
        text(frame, 560, y, f"{sim.ladder[sim.level[env, u]]:.0f}", INK)
        text(frame, 600, y, f"{sim.chunk[env, u]}/{sim.n_chunks}", INK)
    if p.n_users > rows:
        text(frame, 8, HEIGHT - 12, f"... and {p.n_users - rows} more users", GREY)
    return frame


def _bar(frame: np.ndarray, x: int, y: int, width: int, height: int, value: float, colour) -> None:
    fill(frame, x, y, x + width, y + height, LIGHT)
    filled = int(round(width * min(max(float(value), 0.0), 1.0)))
    if filled > 0:
        fill(frame, x, y, x + filled, y + height, colour)


__all__ = ["HEIGHT", "WIDTH", "draw_frame"]
