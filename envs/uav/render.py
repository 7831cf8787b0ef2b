"""``rgb_array`` frames of the UAV env, drawn with numpy only (``core/draw.py``'s bitmap font).

A 400 x 400 map (y up): a light tint where some UAV gives SINR >= threshold (computed on an
80 x 80 grid of ground points with the env's own channel, upsampled, with a 1-pixel contour),
the terrestrial BSs as dark triangles, users as dots coloured by their UAV (grey = BS only),
UAV trails and the UAVs as bordered squares. A status strip on top shows the step (grey bar and
number) and the users the UAVs serve against the upper bound (green bar and numbers); a legend
line at the bottom says what the marks and colours mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import draw as pen
from .sim import UavSim

SIZE = 400
COVERAGE_GRID = 80
STATUS_H = 16
LEGEND_H = 13
BACKGROUND = np.array([245, 245, 240], dtype=np.uint8)
COVER_TINT = np.array([222, 234, 247], dtype=np.uint8)
CONTOUR = np.array([90, 120, 170], dtype=np.uint8)
BS_ONLY = np.array([150, 150, 150], dtype=np.uint8)
PALETTE = pen.PALETTE[:8]
"""the first eight of the shared palette, one colour per UAV (cycled beyond eight)"""


def _to_pixels(xy: np.ndarray, area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map metres to (row, col) pixels of the map (y up)."""
    scaled = xy / area * (SIZE - 1)
    col = np.clip(np.rint(scaled[..., 0]).astype(np.int64), 0, SIZE - 1)
    row = np.clip(np.rint((SIZE - 1) - scaled[..., 1]).astype(np.int64), 0, SIZE - 1)
    return row, col


def _stamp(canvas: np.ndarray, row: np.ndarray, col: np.ndarray, mask: np.ndarray, colour: Any):
    """Paint ``mask`` (h, w) centred at each (row, col); ``colour`` (3,) or one per point."""
    h, w = mask.shape
    dy, dx = np.nonzero(mask)
    rows = np.clip(row[:, None] + dy[None] - h // 2, 0, SIZE - 1)
    cols = np.clip(col[:, None] + dx[None] - w // 2, 0, SIZE - 1)
    colour = np.asarray(colour, dtype=np.uint8)
    if colour.ndim == 2:
        colour = np.repeat(colour[:, None], len(dy), axis=1)
    canvas[rows, cols] = colour


def coverage_mask(sim: UavSim, env: int) -> np.ndarray:
    """(SIZE, SIZE) bool: ground points (outdoor) where some UAV's SINR >= threshold."""
    area = sim.area
    g = COVERAGE_GRID
    centres = (np.arange(g) + 0.5) / g
    gx, gy = np.meshgrid(centres * area[0], (1.0 - centres) * area[1])  # row 0 = top (y max)
    points = np.stack([gx.ravel(), gy.ravel()], axis=-1)[None]
    rx_mw = sim.rx_mw(sim.uav_xy[env : env + 1], points)
    bs = sim._bs_rx_mw(points, np.zeros(points.shape[:2])) if sim.params.bs_interference else 0.0
    sinr_db = sim._sinr_db(rx_mw, bs)
    covered = (sinr_db.max(axis=-1) >= sim.params.sinr_threshold_db).reshape(g, g)
    # Nearest-neighbour upsampling to the frame (SIZE need not be a multiple of the grid).
    index = np.arange(SIZE) * g // SIZE
    return covered[index][:, index]


def draw(
    sim: UavSim, env: int = 0, trail: list[np.ndarray] | None = None, cache: dict | None = None
) -> np.ndarray:
    """The frame of env ``env`` of ``sim``: uint8 (400, 400, 3).

    Args:
        sim: the simulator.
        env: which of its envs.
        trail: past UAV positions, oldest first, each (K, 2).
        cache: a dict kept by the caller; the coverage mask is recomputed only when the UAVs
            moved.
    """
    params = sim.params
    area = sim.area
    cache = {} if cache is None else cache
    key = sim.uav_xy[env].tobytes()
    if cache.get("key") != key:
        covered = coverage_mask(sim, env)
        inner = covered.copy()
        inner[1:] &= covered[:-1]
        inner[:-1] &= covered[1:]
        inner[:, 1:] &= covered[:, :-1]
        inner[:, :-1] &= covered[:, 1:]
        # Palette lookup: 0 = background, 1 = covered, 2 = contour.
        layer = covered.astype(np.uint8) + (covered & ~inner)
        cache.update(key=key, base=np.stack([BACKGROUND, COVER_TINT, CONTOUR])[layer])
    canvas = cache["base"].copy()

    if len(sim.bs_xy):
        row, col = _to_pixels(sim.bs_xy, area)
        triangle = np.tri(9, 9, dtype=bool) & np.tri(9, 9, dtype=bool)[:, ::-1]
        triangle = np.vstack([triangle[4::-1], triangle[5:]])[::-1][:5]
        triangle = np.kron(triangle, np.ones((2, 1), dtype=bool))
        _stamp(canvas, row, col, triangle, [60, 60, 60])

    n_uavs = params.n_uavs
    colours = PALETTE[np.arange(n_uavs) % len(PALETTE)]
    if trail and len(trail) > 1:
        path = np.stack(trail)  # (T, K, 2)
        fractions = np.linspace(0.0, 1.0, 8, endpoint=False)[:, None, None, None]
        points = path[:-1][None] + fractions * (path[1:] - path[:-1])[None]  # (8, T-1, K, 2)
        row, col = _to_pixels(points.reshape(-1, 2), area)
        faded = ((colours.astype(int) + 2 * BACKGROUND.astype(int)) // 3).astype(np.uint8)
        per_point = np.broadcast_to(faded, points.shape[:-1] + (3,)).reshape(-1, 3)
        canvas[row, col] = per_point

    users = sim.user_xy[env]
    server = sim.association[env]
    user_colours = np.where(server[:, None] >= 0, colours[np.maximum(server, 0)], BS_ONLY)
    row, col = _to_pixels(users, area)
    _stamp(canvas, row, col, np.ones((3, 3), dtype=bool), user_colours)

    row, col = _to_pixels(sim.uav_xy[env], area)
    _stamp(canvas, row, col, np.ones((11, 11), dtype=bool), np.zeros((n_uavs, 3), np.uint8))
    _stamp(canvas, row, col, np.ones((7, 7), dtype=bool), colours)

    # Status strip: step progress and association against the upper bound, then the legend.
    canvas[:STATUS_H] = 255
    canvas[STATUS_H - 1] = 200
    steps = int(sim.steps[env])
    n_assoc = int(sim.n_assoc[env])
    bound = params.upper_bound
    col = pen.text(canvas, 4, 4, f"step {steps}/{params.max_steps}") + 10
    filled = int(round(50 * n_assoc / max(bound, 1)))
    canvas[10, col : col + 50] = [200, 200, 200]
    canvas[4:10, col : col + filled] = [60, 170, 60]
    pen.text(canvas, col + 56, 4, f"{n_assoc} users on UAVs (bound {bound})")
    _legend(canvas, params.sinr_threshold_db)
    return canvas


def _legend(canvas: np.ndarray, threshold_db: float) -> None:
    """One line at the bottom, on a light band: what the marks and colours mean."""
    top = SIZE - LEGEND_H
    pen.shade(canvas, 0, top, SIZE - 1, SIZE - 1, (255, 255, 255), 0.8)
    canvas[top] = 200
    x = 4
    pen.fill(canvas, x, top + 3, x + 6, top + 9, (0, 0, 0))
    pen.fill(canvas, x + 1, top + 4, x + 5, top + 8, PALETTE[0])
    x = pen.text(canvas, x + 10, top + 3, "UAV, users by UAV") + 8
    pen.fill(canvas, x, top + 5, x + 2, top + 7, BS_ONLY)
    x = pen.text(canvas, x + 6, top + 3, "BS-only user") + 8
    for row in range(4):  # a small downward triangle, as on the map
        pen.fill(canvas, x + row, top + 4 + row, x + 6 - row, top + 4 + row, (60, 60, 60))
    x = pen.text(canvas, x + 10, top + 3, "BS") + 8
    pen.fill(canvas, x, top + 3, x + 8, top + 9, COVER_TINT)
    pen.box(canvas, x, top + 3, x + 8, top + 9, CONTOUR)
    pen.text(canvas, x + 12, top + 3, f"SINR >= {threshold_db:g} dB")
