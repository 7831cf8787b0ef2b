"""Line and point charts for the reports and ``netgym plot``: step-drawn performance profiles,
per-episode strip plots and learning curves with a band (conventions in ``svg``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from .svg import (
    INK,
    RefLine,
    Scale,
    edge_marker,
    entry_label,
    padded_domain,
    rows_needed,
    svg_open,
    text,
    value_label,
    vertical_lines,
    x_axis,
    y_axis,
)


@dataclass(frozen=True)
class Series:
    """One entry's values over shared x values (a performance profile)."""

    name: str
    values: Sequence[float]
    colour: str
    highlight: bool = False


def _legend(items: Sequence[tuple[str, str, bool]], x: float, y: float) -> str:
    """Colour swatches with names, one per row, from (x, y)."""
    parts = []
    for i, (name, colour, highlight) in enumerate(items):
        row_y = y + 15 * i
        stroke = f' stroke="{INK}" stroke-width="1.5"' if highlight else ""
        weight = ' font-weight="bold"' if highlight else ""
        parts.append(
            f'<rect x="{x:.1f}" y="{row_y:.1f}" width="11" height="11" fill="{colour}"{stroke}/>'
            f'<text x="{x + 16:.1f}" y="{row_y + 9.5:.1f}" font-size="11" fill="{INK}"{weight}>'
            f"{escape(entry_label(name, highlight))}</text>"
        )
    return "".join(parts)


def profile_chart(
    taus: Sequence[float],
    series: Sequence[Series],
    title: str,
    x_label: str = "normalised score threshold \u03c4",
    y_label: str = "fraction of runs with score > \u03c4",
    lines: Sequence[RefLine] = (),
    width: int = 680,
    height: int = 300,
) -> str:
    """Performance profiles drawn as steps (the fraction of runs above ``tau`` is a step
    function of ``tau``: it stays flat between two thresholds and drops at each)."""
    left, right, top, bottom = 52, 170, 26 + 11 * rows_needed(lines), 44
    sx = Scale((min(taus), max(taus)), (left, width - right))
    sy = Scale((0.0, 1.0), (height - bottom, top))
    parts = [
        svg_open(width, height, title),
        x_axis(sx, top, height - bottom, x_label),
        y_axis(sy, left, width - right, y_label),
        f'<rect x="{left}" y="{top}" width="{width - left - right}" '
        f'height="{height - top - bottom}" fill="none" stroke="#999"/>',
    ]
    for item in series:
        points = list(zip(taus, item.values, strict=True))
        path = f"M{sx(points[0][0]):.1f},{sy(points[0][1]):.1f}"
        for (_, previous), (tau, value) in zip(points, points[1:], strict=False):
            path += f" H{sx(tau):.1f}"
            if value != previous:
                path += f" V{sy(value):.1f}"
        width_px = 2.6 if item.highlight else 1.6
        parts.append(
            f'<path d="{path}" fill="none" stroke="{item.colour}" stroke-width="{width_px}">'
            f"<title>{escape(item.name)}</title></path>"
        )
    parts.append(vertical_lines(lines, sx, top, height - bottom))
    parts.append(
        _legend([(s.name, s.colour, s.highlight) for s in series], width - right + 12, top)
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Strip:
    """One entry's per-episode values."""

    label: str
    values: Sequence[float]
    colour: str
    highlight: bool = False


def strip_chart(
    strips: Sequence[Strip],
    title: str,
    axis_label: str,
    lines: Sequence[RefLine] = (),
    clip: tuple[float, float] | None = None,
    width: int = 680,
) -> str:
    """One row of dots per entry (each dot one episode, spread vertically in a fixed pattern
    so that equal values stay visible), a box from the first to the third quartile and a tick
    at the median. Values beyond the axis are counted at its edge."""
    row_h, left, right = 24, 170, 64
    top = 26 + 11 * rows_needed(lines)
    height = top + row_h * len(strips) + 40
    values = [v for strip in strips for v in strip.values]
    scale = Scale(
        padded_domain(values + [line.value for line in lines], clip), (left, width - right)
    )
    axis_y = top + row_h * len(strips)
    parts = [svg_open(width, height, title), x_axis(scale, top, axis_y, axis_label)]
    for i, strip in enumerate(strips):
        y = top + i * row_h
        middle = y + row_h / 2
        ordered = sorted(strip.values)
        q1, median, q3 = (_quantile(ordered, q) for q in (0.25, 0.5, 0.75))
        weight = ' font-weight="bold"' if strip.highlight else ""
        stroke = INK if strip.highlight else "#555"
        parts.append(
            f"<g><title>{escape(strip.label)}: {len(ordered)} episodes, median "
            f"{value_label(median)}, quartiles [{value_label(q1)}, {value_label(q3)}], range "
            f"[{value_label(ordered[0])}, {value_label(ordered[-1])}]</title>"
            f'<text x="{left - 6}" y="{middle + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{INK}"{weight}>{escape(entry_label(strip.label, strip.highlight))}</text>'
            f'<rect x="{scale(q1):.1f}" y="{y + 3}" width="{max(scale(q3) - scale(q1), 1):.1f}" '
            f'height="{row_h - 6}" fill="none" stroke="{stroke}"/>'
            f'<line x1="{scale(median):.1f}" y1="{y + 3}" x2="{scale(median):.1f}" '
            f'y2="{y + row_h - 3}" stroke="{stroke}" stroke-width="2"/>'
        )
        below = sum(scale.side(v) < 0 for v in strip.values)
        above = sum(scale.side(v) > 0 for v in strip.values)
        for j, value in enumerate(strip.values):
            if scale.side(value):
                continue
            offset = ((j * 7) % 11 - 5) * (row_h - 10) / 11
            parts.append(
                f'<circle cx="{scale(value):.1f}" cy="{middle + offset:.1f}" r="2.4" '
                f'fill="{strip.colour}" fill-opacity="0.75"/>'
            )
        for count, side in ((below, -1), (above, 1)):
            if count:
                x = scale.start if side < 0 else scale.stop
                parts.append(edge_marker(x, middle, side, strip.colour))
                anchor_x = x + 9 if side > 0 else x + 3
                parts.append(
                    text(anchor_x, middle - 5 if side < 0 else middle + 4, f"{count}", 9, "start")
                )
        parts.append("</g>")
    parts.append(
        f'<line x1="{scale.start}" y1="{axis_y}" x2="{scale.stop}" y2="{axis_y}" stroke="#999"/>'
    )
    parts.append(vertical_lines(lines, scale, top, axis_y))
    parts.append("</svg>")
    return "".join(parts)


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Curve:
    """A learning curve: the mean over seeds at each x and a band (the range over seeds)."""

    name: str
    xs: Sequence[float]
    mean: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]
    colour: str
    highlight: bool = False
    seeds: int = 1
    extra: dict[str, str] = field(default_factory=dict)


def curve_chart(
    curves: Sequence[Curve],
    title: str,
    x_label: str,
    y_label: str,
    hlines: Sequence[RefLine] = (),
    width: int = 680,
    height: int = 320,
) -> str:
    """Mean lines with shaded bands, and dashed horizontal lines (the env's baselines)
    labelled at their right end (labels that would touch are moved apart)."""
    left, right, top, bottom = 60, 190, 28, 44
    xs = [x for curve in curves for x in curve.xs]
    ys = [y for curve in curves for y in (*curve.low, *curve.high)]
    ys += [line.value for line in hlines]
    x_domain = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_domain[1] <= x_domain[0]:
        x_domain = (x_domain[0], x_domain[0] + 1.0)
    sx = Scale(x_domain, (left, width - right))
    sy = Scale(padded_domain(ys, None), (height - bottom, top))
    parts = [
        svg_open(width, height, title),
        x_axis(sx, top, height - bottom, x_label),
        y_axis(sy, left, width - right, y_label),
        f'<rect x="{left}" y="{top}" width="{width - left - right}" '
        f'height="{height - top - bottom}" fill="none" stroke="#999"/>',
    ]
    for curve in curves:
        band = [f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(curve.xs, curve.high, strict=True)]
        band += [
            f"{sx(x):.1f},{sy(y):.1f}"
            for x, y in zip(reversed(curve.xs), reversed(curve.low), strict=True)
        ]
        line = " ".join(
            f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(curve.xs, curve.mean, strict=True)
        )
        width_px = 2.6 if curve.highlight else 1.8
        parts.append(
            f'<polygon points="{" ".join(band)}" fill="{curve.colour}" fill-opacity="0.2" '
            f'stroke="none"/><polyline points="{line}" fill="none" stroke="{curve.colour}" '
            f'stroke-width="{width_px}"><title>{escape(curve.name)} ({curve.seeds} seeds)'
            "</title></polyline>"
        )
    used: list[float] = []
    for line in sorted(hlines, key=lambda item: -item.value):
        y = sy(line.value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{line.colour}" stroke-width="1.2" stroke-dasharray="{line.dash}"/>'
        )
        label_y = y + 3.5
        while any(abs(label_y - other) < 11 for other in used):
            label_y += 11
        used.append(label_y)
        parts.append(
            text(
                width - right + 4,
                label_y,
                f"{line.label} {value_label(line.value)}",
                10,
                fill=line.colour,
            )
        )
    legend = [
        (f"{c.name} ({c.seeds} seed{'s' if c.seeds != 1 else ''})", c.colour, c.highlight)
        for c in curves
    ]
    legend_top = max(used, default=top) + 14 if used else top
    parts.append(_legend(legend, width - right + 4, legend_top))
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["Curve", "Series", "Strip", "curve_chart", "profile_chart", "strip_chart"]
