"""Numpy rasterisation for the envs' ``rgb_array`` frames: text, boxes, lines, legends, axes.

No matplotlib, no fonts on disk: text is a 5 x 7 pixel bitmap font (printable ASCII) drawn with
one boolean mask per string (cached), so a frame of a few hundred primitives costs about a
millisecond. Every function draws into an ``(H, W, 3)`` uint8 array in place and clips at its
edges; coordinates are pixels, ``x`` to the right and ``y`` down, ends inclusive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

Colour = Any
"""an RGB triple (a tuple or a (3,) array) of 0-255 values"""

# The classic 5 x 7 LCD font, column-major: one byte per column, bit 0 = the top row; the
# descenders of g, j, p, q and y use an eighth row (bit 7).
_COLUMNS = (
    "0000000000 00005f0000 0007000700 147f147f14 242a7f2a12 2313086462 3649552250 0005030000 "
    "001c224100 0041221c00 082a1c2a08 08083e0808 0050300000 0808080808 0060600000 2010080402 "
    "3e5149453e 00427f4000 4261514946 2141454b31 1814127f10 2745454539 3c4a494930 0171090503 "
    "3649494936 064949291e 0036360000 0056360000 0814224100 1414141414 0041221408 0201510906 "
    "324979413e 7e1111117e 7f49494936 3e41414122 7f4141221c 7f49494941 7f09090101 3e41415132 "
    "7f0808087f 00417f4100 2040413f01 7f08142241 7f40404040 7f0204027f 7f0408107f 3e4141413e "
    "7f09090906 3e4151215e 7f09192946 4649494931 01017f0101 3f4040403f 1f2040201f 7f2018207f "
    "6314081463 0304780403 6151494543 007f414100 0204081020 0041417f00 0402010204 4040404040 "
    "0001020400 2054545478 7f48444438 3844444420 384444487f 3854545418 087e090102 18a4a4a47c "
    "7f08040478 00447d4000 4080847d00 007f102844 00417f4000 7c04180478 7c08040478 3844444438 "
    "fc24242418 18242424fc 7c08040408 4854545420 043f444020 3c4040207c 1c2040201c 3c4030403c "
    "4428102844 1ca0a0a07c 4464544c44 0008364100 00007f0000 0041360800 0804081008"
)
GLYPH_W, GLYPH_H = 5, 8
ADVANCE = GLYPH_W + 1
"""pixels from one character to the next at scale 1"""
LINE_H = GLYPH_H + 2
"""pixels from one line of text to the next at scale 1"""


def _font() -> np.ndarray:
    glyphs = np.zeros((96, GLYPH_H, GLYPH_W), dtype=bool)  # index = code - 32; 95 = '?'
    for index, hex_columns in enumerate(_COLUMNS.split()):
        columns = bytes.fromhex(hex_columns)
        for col, bits in enumerate(columns):
            glyphs[index, :, col] = [(bits >> row) & 1 for row in range(GLYPH_H)]
    glyphs[95] = glyphs[ord("?") - 32]
    return glyphs


FONT = _font()
"""(96, 8, 5) bool glyphs of the characters 32..126 (the last one stands for anything else)"""

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
INK = (40, 40, 40)
GREY = (150, 150, 150)
LIGHT = (225, 225, 225)
BACKGROUND = (250, 250, 247)
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
        [188, 189, 34],
        [127, 127, 127],
    ],
    dtype=np.uint8,
)
"""ten distinguishable colours (matplotlib's tab10) for categories such as experts or demands"""
RED_TO_GREEN = ((0.0, (204, 40, 40)), (0.5, (240, 200, 40)), (1.0, (40, 160, 70)))
"""colour stops of a bad-to-good scale (``colormap``)"""


def canvas(height: int, width: int, colour: Colour = BACKGROUND) -> np.ndarray:
    """A new ``(height, width, 3)`` uint8 frame filled with ``colour``."""
    frame = np.empty((height, width, 3), dtype=np.uint8)
    set_colour(frame, colour)
    return frame


def set_colour(region: np.ndarray, colour: Colour) -> None:
    """Paint a whole ``(h, w, 3)`` region: its first row pixel by pixel, then the other rows as
    copies of it (numpy broadcasts a row 40 times faster than an RGB triple)."""
    if region.shape[0] == 0 or region.shape[1] == 0:
        return
    region[0] = colour
    region[1:] = region[0]


@lru_cache(maxsize=4096)
def text_mask(text: str, scale: int = 1) -> np.ndarray:
    """The pixels of ``text`` (read-only bool, ``(8 scale, (6 len - 1) scale)``)."""
    codes = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8).astype(np.int64) - 32
    codes[(codes < 0) | (codes > 94)] = 95
    cells = np.zeros((len(codes), GLYPH_H, ADVANCE), dtype=bool)
    cells[:, :, :GLYPH_W] = FONT[codes]
    mask = cells.transpose(1, 0, 2).reshape(GLYPH_H, -1)[:, : max(ADVANCE * len(codes) - 1, 0)]
    if scale > 1:
        mask = mask.repeat(scale, axis=0).repeat(scale, axis=1)
    mask.setflags(write=False)
    return mask


def text_width(text: str, scale: int = 1) -> int:
    """Width in pixels of ``text`` drawn at ``scale``."""
    return max(ADVANCE * len(text) - 1, 0) * scale


def text(
    frame: np.ndarray,
    x: int,
    y: int,
    string: str,
    colour: Colour = INK,
    scale: int = 1,
    align: str = "left",
) -> int:
    """Draw ``string`` with its top at ``y``; ``x`` is its left end, centre or right end
    (``align``). Returns the x just after its right end."""
    mask = text_mask(string, scale)
    x, y = int(round(x)), int(round(y))
    height, width = mask.shape
    if align == "right":
        x -= width
    elif align == "center":
        x -= width // 2
    _paint(frame, x, y, mask, colour)
    return x + width


def _paint(frame: np.ndarray, x: int, y: int, mask: np.ndarray, colour: Colour) -> None:
    """Set the pixels of ``mask`` placed with its top-left corner at (x, y), clipped."""
    height, width = mask.shape
    top, left = max(y, 0), max(x, 0)
    bottom, right = min(y + height, frame.shape[0]), min(x + width, frame.shape[1])
    if bottom <= top or right <= left:
        return
    _masked(frame[top:bottom, left:right], mask[top - y : bottom - y, left - x : right - x], colour)


def fill(frame: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour: Colour) -> None:
    """Fill the rectangle between the corners (x0, y0) and (x1, y1), ends included."""
    left, right = sorted((int(round(x0)), int(round(x1))))
    top, bottom = sorted((int(round(y0)), int(round(y1))))
    set_colour(frame[max(top, 0) : max(bottom + 1, 0), max(left, 0) : max(right + 1, 0)], colour)


def box(
    frame: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour: Colour, width: int = 1
) -> None:
    """The outline of a rectangle, ``width`` pixels inside its corners."""
    x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
    fill(frame, x0, y0, x1, y0 + width - 1, colour)
    fill(frame, x0, y1 - width + 1, x1, y1, colour)
    fill(frame, x0, y0, x0 + width - 1, y1, colour)
    fill(frame, x1 - width + 1, y0, x1, y1, colour)


def polyline(
    frame: np.ndarray,
    xs: Sequence[float] | np.ndarray,
    ys: Sequence[float] | np.ndarray,
    colour: Colour,
    width: int = 1,
) -> None:
    """Straight segments through the points (xs[i], ys[i]), ``width`` pixels thick."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    if len(xs) == 0:
        return
    if len(xs) == 1:
        px, py = xs, ys
    else:
        dx, dy = np.diff(xs), np.diff(ys)
        steps = np.maximum(np.ceil(np.maximum(np.abs(dx), np.abs(dy))), 1).astype(np.int64)
        seg = np.repeat(np.arange(len(dx)), steps)
        offsets = np.arange(len(seg)) - np.repeat(np.cumsum(steps) - steps, steps)
        t = offsets / steps[seg]
        px = np.concatenate([xs[:-1][seg] + t * dx[seg], xs[-1:]])
        py = np.concatenate([ys[:-1][seg] + t * dy[seg], ys[-1:]])
    px, py = np.rint(px).astype(np.int64), np.rint(py).astype(np.int64)
    height, width_px = frame.shape[:2]
    for shift in range(width):
        offset = shift - (width - 1) // 2
        # thicken across the line's main direction (good enough for frames)
        for qx, qy in ((px + offset, py), (px, py + offset)):
            keep = (qx >= 0) & (qx < width_px) & (qy >= 0) & (qy < height)
            frame[qy[keep], qx[keep]] = colour


def line(
    frame: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour: Colour, width: int = 1
) -> None:
    """One straight segment."""
    polyline(frame, [x0, x1], [y0, y1], colour, width)


def disc(frame: np.ndarray, cx: float, cy: float, radius: float, colour: Colour) -> None:
    """A filled circle."""
    r = int(math.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    mask = xx * xx + yy * yy <= radius * radius + 0.5
    _paint(frame, int(round(cx)) - r, int(round(cy)) - r, mask, colour)


def shade(
    frame: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: Colour, alpha: float
) -> None:
    """Blend ``colour`` over a rectangle with opacity ``alpha``."""
    x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
    region = frame[max(y0, 0) : max(y1 + 1, 0), max(x0, 0) : max(x1 + 1, 0)]
    weight = int(round(alpha * 256))
    tint = np.asarray(colour, dtype=np.uint16) * weight
    region[:] = ((region * np.uint16(256 - weight) + tint) >> 8).astype(np.uint8)


def shade_columns(
    frame: np.ndarray, columns: np.ndarray, y0: int, y1: int, colour: Colour, alpha: float
) -> None:
    """Blend ``colour`` with opacity ``alpha`` over rows ``y0..y1`` of the given pixel
    columns (e.g. the time spans of events on a time axis), in one operation."""
    if len(columns) == 0:
        return
    region = frame[y0 : y1 + 1, columns]
    weight = int(round(alpha * 256))
    tint = np.asarray(colour, dtype=np.uint16) * weight
    frame[y0 : y1 + 1, columns] = (region * np.uint16(256 - weight) + tint) >> 8


def fill_under(
    frame: np.ndarray, columns: np.ndarray, rows: np.ndarray, bottom: int, colour: Colour
) -> None:
    """Fill each pixel column ``columns[i]`` (consecutive, left to right) from ``rows[i]`` down
    to ``bottom``: the area under a curve."""
    if len(columns) == 0:
        return
    top = int(max(min(rows.min(), bottom), 0))
    region = frame[top : bottom + 1, int(columns[0]) : int(columns[-1]) + 1]
    under = np.arange(top, bottom + 1)[:, None] >= rows[None, :]
    _masked(region, under, colour)


def _masked(region: np.ndarray, mask: np.ndarray, colour: Colour) -> None:
    """Set the pixels of ``region`` where ``mask``, one channel at a time (a scalar per channel
    is numpy's fast path)."""
    for channel in range(3):
        region[..., channel][mask] = colour[channel]


def colormap(values: Any, stops: Sequence[tuple[float, Colour]] = RED_TO_GREEN) -> np.ndarray:
    """(..., 3) uint8 colours of ``values`` in [0, 1] (clipped), linear between ``stops``."""
    values = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    where = np.array([point for point, _ in stops])
    colours = np.array([colour for _, colour in stops], dtype=float)
    channels = [np.interp(values, where, colours[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def legend(
    frame: np.ndarray,
    x: int,
    y: int,
    items: Sequence[tuple[str, Colour, str]],
    max_x: int | None = None,
) -> int:
    """A row of legend entries ``(label, colour, kind)``, kind 'box', 'line' or 'dot'; wraps at
    ``max_x`` (default: the frame's right edge). Returns the y below the last row."""
    max_x = frame.shape[1] - 4 if max_x is None else max_x
    left = x
    for label, colour, kind in items:
        width = 14 + text_width(label)
        if x + width > max_x and x > left:
            x, y = left, y + LINE_H + 2
        if kind == "line":
            fill(frame, x, y + 3, x + 9, y + 4, colour)
        elif kind == "dot":
            disc(frame, x + 4, y + 3, 3, colour)
        else:
            fill(frame, x, y, x + 9, y + 6, colour)
        text(frame, x + 13, y, label)
        x += width + 12
    return y + LINE_H


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) inside [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return np.array([low])
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = power * min((m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw), default=10.0)
    first = math.ceil(low / step - 1e-9) * step
    ticks = np.arange(first, high + step * 1e-9, step)
    return np.round(ticks, 10)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 times a power of ten >= ``value``."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for mult in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if mult * power >= value * (1 - 1e-9):
            return mult * power
    return 10.0 * power


def tick_label(value: float) -> str:
    """A short label: no trailing zeros, thousands as 'k'."""
    if abs(value) >= 10000:
        return f"{value / 1000:g}k"
    return f"{value:.6g}"


class Axes:
    """A plot area ``(x0, y0, x1, y1)`` in pixels that maps data ranges onto it.

    ``draw`` paints the grid, the tick labels and the axis titles; ``px`` / ``py`` map data
    values to pixels (values outside the ranges are clipped to the area's edge).
    """

    def __init__(
        self,
        box_px: tuple[int, int, int, int],
        x_range: tuple[float, float],
        y_range: tuple[float, float],
    ) -> None:
        self.x0, self.y0, self.x1, self.y1 = box_px
        self.x_range = (float(x_range[0]), float(max(x_range[1], x_range[0] + 1e-9)))
        self.y_range = (float(y_range[0]), float(max(y_range[1], y_range[0] + 1e-9)))

    def px(self, x: Any) -> Any:
        """Pixel columns of data x values."""
        low, high = self.x_range
        share = np.clip((np.asarray(x, dtype=float) - low) / (high - low), 0.0, 1.0)
        return self.x0 + share * (self.x1 - self.x0)

    def py(self, y: Any) -> Any:
        """Pixel rows of data y values (up is larger)."""
        low, high = self.y_range
        share = np.clip((np.asarray(y, dtype=float) - low) / (high - low), 0.0, 1.0)
        return self.y1 - share * (self.y1 - self.y0)

    def draw(
        self,
        frame: np.ndarray,
        x_title: str | None = None,
        y_title: str | None = None,
        x_ticks: bool = True,
        y_count: int = 4,
    ) -> None:
        """Background grid, tick labels (y on the left, x below) and titles."""
        fill(frame, self.x0, self.y0, self.x1, self.y1, WHITE)
        for value in nice_ticks(*self.y_range, y_count):
            row = int(round(float(self.py(value))))
            fill(frame, self.x0, row, self.x1, row, LIGHT)
            text(frame, self.x0 - 4, row - 3, tick_label(value), GREY_TEXT, align="right")
        if x_ticks:
            for value in nice_ticks(*self.x_range, max(2, (self.x1 - self.x0) // 70)):
                col = int(round(float(self.px(value))))
                fill(frame, col, self.y0, col, self.y1, LIGHT)
                fill(frame, col, self.y1 + 1, col, self.y1 + 3, GREY)
                text(frame, col, self.y1 + 5, tick_label(value), GREY_TEXT, align="center")
        box(frame, self.x0, self.y0, self.x1, self.y1, GREY)
        if y_title:
            text(frame, max(self.x0 - 40, 2), self.y0 - LINE_H - 4, y_title, INK)
        if x_title:
            text(frame, self.x1, self.y1 + 5 + LINE_H, x_title, INK, align="right")


GREY_TEXT = (90, 90, 90)

__all__ = [
    "ADVANCE",
    "BACKGROUND",
    "FONT",
    "LINE_H",
    "PALETTE",
    "RED_TO_GREEN",
    "Axes",
    "box",
    "canvas",
    "colormap",
    "disc",
    "fill",
    "fill_under",
    "legend",
    "line",
    "nice_ceiling",
    "nice_ticks",
    "polyline",
    "set_colour",
    "shade",
    "shade_columns",
    "text",
    "text_mask",
    "text_width",
    "tick_label",
]
