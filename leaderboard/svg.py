"""Inline SVG charts for the HTML report (no matplotlib, no fonts or scripts from a network)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
"""Tableau 10 colours, cycled"""


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1.0
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    title: str,
    reference_lines: Sequence[tuple[float, str]] = ((0.0, "random"), (1.0, "reference")),
    width: int = 640,
    clip: tuple[float, float] = (-2.0, 3.0),
) -> str:
    """Horizontal bars with 95% interval whiskers, one per label, plus dashed reference lines.

    The axis spans the data but at most ``clip``; what lies beyond is drawn at the edge (the
    tooltip of each bar gives the exact values), so one outlier cannot flatten every bar.
    """
    bar_h, left, right, top = 18, 150, 20, 30
    height = top + bar_h * len(labels) + 40
    everything = list(values) + list(lows) + list(highs) + [v for v, _ in reference_lines]
    lo, hi = max(min(everything), clip[0]), min(max(everything), clip[1])
    pad = 0.05 * (hi - lo or 1.0)
    lo, hi = lo - pad, hi + pad
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + (min(max(value, lo), hi) - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    axis_y = top + bar_h * len(labels)
    for tick in _ticks(lo, hi):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{axis_y}" '
            'stroke="#ddd"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 14}" text-anchor="middle" '
            f'font-size="10">{tick:.2f}</text>'
        )
    for value, name in reference_lines:
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{top}" x2="{x(value):.1f}" y2="{axis_y}" '
            f'stroke="#333" stroke-dasharray="4 3"><title>{escape(name)}</title></line>'
        )
    zero = x(max(lo, min(0.0, hi)))
    for i, (label, value, low, high) in enumerate(zip(labels, values, lows, highs, strict=True)):
        y = top + i * bar_h
        x0, x1 = sorted((zero, x(value)))
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="11">'
            f"{escape(label)}</text>"
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{bar_h - 6}" '
            f'fill="{colour}"><title>{escape(label)}: {value:.4f} '
            f"[{low:.4f}, {high:.4f}]</title></rect>"
            f'<line x1="{x(low):.1f}" y1="{y + bar_h / 2}" x2="{x(high):.1f}" '
            f'y2="{y + bar_h / 2}" stroke="#000" stroke-width="1.5"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    xs: Sequence[float],
    series: dict[str, Sequence[float]],
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 320,
) -> str:
    """One polyline per series over the shared ``xs``, y in [0, 1], with a legend."""
    left, right, top, bottom = 50, 150, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    x_lo, x_hi = min(xs), max(xs)

    def px(value: float) -> float:
        return left + (value - x_lo) / ((x_hi - x_lo) or 1.0) * plot_w

    def py(value: float) -> float:
        return top + (1.0 - value) * plot_h

    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left + plot_w / 2:.0f}" y="18" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" '
        f'font-size="11">{escape(x_label)}</text>',
        f'<text x="12" y="{top + plot_h / 2:.0f}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">{escape(y_label)}</text>',
    ]
    for tick in _ticks(x_lo, x_hi):
        parts.append(
            f'<text x="{px(tick):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'font-size="10">{tick:.2f}</text>'
        )
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{left - 4}" y="{py(tick) + 3:.1f}" text-anchor="end" font-size="10">'
            f"{tick:.2f}</text>"
        )
    for i, (name, ys) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(xs, ys, strict=True))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5">'
            f"<title>{escape(name)}</title></polyline>"
            f'<rect x="{left + plot_w + 10}" y="{top + 14 * i}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 24}" y="{top + 14 * i + 9}" '
            f'font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["PALETTE", "bar_chart", "line_chart"]
