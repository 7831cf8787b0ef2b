"""``rgb_array`` frames of the UAV env, drawn with numpy only (no fonts, no matplotlib).

A 400 x 400 map (y up): a light tint where some UAV gives SINR >= threshold (computed on an
80 x 80 grid of ground points with the env's own channel, upsampled, with a 1-pixel contour),
the terrestrial BSs as dark triangles, users as dots coloured by their UAV (grey = BS only),
UAV trails and the UAVs as bordered squares. A status strip on top shows the step progress
(grey bar), A_t / upper bound (green bar) and "A/bound" and the step in 3 x 5 pixel digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .sim import UavSim

SIZE = 400
COVERAGE_GRID = 80
STATUS_H = 16
BACKGROUND = np.array([245, 245, 240], dtype=np.uint8)
COVER_TINT = np.array([222, 234, 247], dtype=np.uint8)
CONTOUR = np.array([90, 120, 170], dtype=np.uint8)
BS_ONLY = np.array([150, 150, 150], dtype=np.uint8)
PALETTE = np.array(
    [
        [31, 119, 180],
        [255, 127, 14],
        [44, 160, 44],
        [214, 39, 40],
        [148, 103, 189],
        [140, 86, 75],
        [227, 119, 194],
        [23, 190, 207],
    ],
    dtype=np.uint8,
)
_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    "/": "001001010100100",
    "t": "010111010010011",
    " ": "000000000000000",
}
_FONT = {
    c: np.array([int(b) for b in bits], dtype=bool).reshape(5, 3) for c, bits in _GLYPHS.items()
}


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


def _digits(canvas: np.ndarray, text: str, row: int, col: int, scale: int = 2) -> int:
    """Write ``text`` in 3 x 5 pixel glyphs; returns the column after it."""
    for char in text:
        glyph = _FONT.get(char, _FONT[" "])
        big = np.kron(glyph, np.ones((scale, scale), dtype=bool))
        h, w = big.shape
        region = canvas[row : row + h, col : col + w]
        region[big[: region.shape[0], : region.shape[1]]] = 0
        col += w + scale
    return col


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

    # Status strip: step progress and association against the upper bound.
    canvas[:STATUS_H] = 255
    canvas[STATUS_H - 1] = 200
    steps = int(sim.steps[env])
    n_assoc = int(sim.n_assoc[env])
    bound = params.upper_bound
    progress = int(round(120 * min(steps / params.max_steps, 1.0)))
    canvas[3:7, 4 : 4 + progress] = [160, 160, 160]
    filled = int(round(120 * n_assoc / bound))
    canvas[9:13, 4 : 4 + filled] = [60, 170, 60]
    col = _digits(canvas, f"{n_assoc}/{bound}", 3, 140)
    _digits(canvas, f"t{steps}", 3, col + 10)
    return canvas
