"""Inline SVG charts for the reports and ``netgym plot`` (no matplotlib, no fonts, scripts or
anything else from a network): the shared parts and the bar chart.

Every chart follows the same rules, so that a reader learns them once:

* **one colour per entry** (``entry_colours``), the same in every chart of a page; the user's
  own entries are *highlighted*: a star before the name, a bold label and a dark outline;
* **rounded ticks** (1, 2, 2.5 or 5 times a power of ten, ``nice_ticks``);
* **labelled reference lines** (``RefLine``): the protocol's 0 and 1 anchors, the oracle, the
  bound, the random policy, each named at the top of its line;
* **clipped values are marked**: a bar or interval that leaves the axis stops at its edge with
  an arrowhead and its value written beside it, so one outlier cannot flatten every bar and
  nothing leaves the chart unseen (the tooltip has every exact value).

``svg_plots`` draws the step-drawn performance profiles, the per-episode strip plots and the
learning curves with these parts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7",
    "#9c755f", "#2f6690", "#d4a6c8", "#8cd17d", "#b6992d", "#499894", "#86bcb6", "#d37295",
    "#fabfd2", "#a0cbe8", "#ffbe7d", "#f1ce63",
)  # fmt: skip
"""Tableau 20 colours, darker ones first; consecutive entries get distinct colours"""
RANDOM_COLOUR = "#9d9d9d"
"""the random policy is grey in every chart"""
INK = "#222"
"""text, axes and the outline of highlighted entries"""
FONT = "font-family:sans-serif"
THIN_OUTLINE = f' stroke="{INK}" stroke-width="0.6"'


def entry_colours(names: Iterable[str]) -> dict[str, str]:
    """One colour per entry name, in order of first appearance; ``random`` is always grey."""
    colours: dict[str, str] = {}
    for name in names:
        if name in colours:
            continue
        if name == "random":
            colours[name] = RANDOM_COLOUR
        else:
            colours[name] = PALETTE[sum(c != RANDOM_COLOUR for c in colours.values()) % 20]
    return colours


# ---------------------------------------------------------------------------------- ticks
def nice_step(span: float, target: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``target`` ticks."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power * (1 + 1e-9):
            return factor * power
    return 10.0 * power


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values inside [low, high] (at least the two ends when nothing round fits)."""
    if not high > low:
        return [low]
    step = nice_step(high - low, target)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + 1e-9 * step:
        ticks.append(0.0 if abs(value) < step * 1e-9 else round(value, 12))
        value = first + len(ticks) * step
    return ticks or [low, high]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """``value`` with as many decimals as the tick step needs (``1``, ``0.25``, ``2.5k``)."""
    step = (ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    if max(abs(t) for t in ticks) >= 10_000 and step >= 1000:
        return "0" if value == 0 else f"{value / 1000:g}k"
    decimals = next(d for d in range(12) if abs(round(step, d) - step) <= 1e-9 * step or d == 11)
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def value_label(value: float) -> str:
    """A number for a label: four significant digits, never '-0'."""
    text = f"{value:.4g}"
    return "0" if float(text) == 0 else text


def padded_domain(values: Iterable[float], clip: tuple[float, float] | None) -> tuple[float, float]:
    """The axis range of ``values`` (finite ones), cut to ``clip`` and padded by 5%."""
    finite = [v for v in values if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if clip is not None:
        low, high = max(low, clip[0]), min(high, clip[1])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    pad = 0.05 * (high - low)
    return low - pad, high + pad


class Scale:
    """A linear map from ``domain`` to pixel ``span``, clamping what lies beyond."""

    def __init__(self, domain: tuple[float, float], span: tuple[float, float]) -> None:
        self.low, self.high = domain
        self.start, self.stop = span

    def __call__(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        fraction = (clamped - self.low) / ((self.high - self.low) or 1.0)
        return self.start + fraction * (self.stop - self.start)

    def side(self, value: float) -> int:
        """-1 below the domain, +1 above it, 0 inside."""
        return -1 if value < self.low else (1 if value > self.high else 0)


# ---------------------------------------------------------------------------------- parts
@dataclass(frozen=True)
class RefLine:
    """A labelled reference line (an anchor, the oracle, a bound, a baseline's score)."""

    value: float
    label: str
    colour: str = "#555"
    dash: str = "5 3"


def svg_open(width: float, height: float, title: str) -> str:
    """The ``<svg>`` element with its accessible title and a title text at the top."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'style="{FONT};background:#fff"><title>{escape(title)}</title>'
        f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" font-size="13" '
        f'font-weight="bold" fill="{INK}">{escape(title)}</text>'
    )


def text(
    x: float, y: float, content: str, size: int = 11, anchor: str = "start", **attrs: str
) -> str:
    """An SVG text element (``content`` is escaped)."""
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{attrs.get("fill", INK)}"{extra}>{escape(content)}</text>'
    )


def entry_label(name: str, highlight: bool) -> str:
    """The name shown for an entry: a star before the user's own entries."""
    return f"\u2605 {name}" if highlight else name


def x_axis(scale: Scale, y_top: float, y_axis: float, label: str, target: int = 6) -> str:
    """Vertical grid lines at round ticks, their labels below ``y_axis`` and the axis label."""
    ticks = nice_ticks(scale.low, scale.high, target)
    parts = []
    for tick in ticks:
        x = scale(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{y_top:.1f}" x2="{x:.1f}" y2="{y_axis:.1f}" stroke="#e4e4e4"/>'
            + text(x, y_axis + 13, tick_label(tick, ticks), 10, "middle")
        )
    middle = (scale.start + scale.stop) / 2
    parts.append(text(middle, y_axis + 28, label, 11, "middle"))
    return "".join(parts)


def y_axis(scale: Scale, x_left: float, x_right: float, label: str, target: int = 5) -> str:
    """Horizontal grid lines at round ticks, their labels left of ``x_left``, the axis label."""
    ticks = nice_ticks(min(scale.low, scale.high), max(scale.low, scale.high), target)
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(
            f'<line x1="{x_left:.1f}" y1="{y:.1f}" x2="{x_right:.1f}" y2="{y:.1f}" '
            'stroke="#e4e4e4"/>' + text(x_left - 4, y + 3.5, tick_label(tick, ticks), 10, "end")
        )
    middle = (scale.start + scale.stop) / 2
    parts.append(text(12, middle, label, 11, "middle", transform=f"rotate(-90 12 {middle:.1f})"))
    return "".join(parts)


def vertical_lines(lines: Sequence[RefLine], scale: Scale, y_top: float, y_bottom: float) -> str:
    """Dashed vertical reference lines, each labelled above the plot (labels that would touch
    move up a row); a line outside the axis is left out of the plot and named at its edge."""
    parts, placed = [], []
    for line in sorted(lines, key=lambda item: item.value):
        side = scale.side(line.value)
        x = scale(line.value)
        label = f"{line.label} {value_label(line.value)}" if side else line.label
        if side:
            label = ("\u25c2 " + label) if side < 0 else (label + " \u25b8")
        row = 0
        while any(
            abs(x - other) < 7 * max(len(label), 6) / 2 + 8 and r == row for other, r in placed
        ):
            row += 1
        placed.append((x, row))
        y_label = y_top - 4 - 11 * row
        if not side:
            parts.append(
                f'<line x1="{x:.1f}" y1="{y_label + 2:.1f}" x2="{x:.1f}" y2="{y_bottom:.1f}" '
                f'stroke="{line.colour}" stroke-width="1.2" stroke-dasharray="{line.dash}"/>'
            )
        anchor = "end" if side > 0 else ("start" if side < 0 else "middle")
        parts.append(text(x, y_label, label, 10, anchor, fill=line.colour))
    return "".join(parts)


def rows_needed(lines: Sequence[RefLine]) -> int:
    """Label rows that ``vertical_lines`` may need above the plot (a bound for the layout)."""
    return min(3, max(1, len(lines)))


def edge_marker(x: float, y: float, side: int, colour: str = INK) -> str:
    """An arrowhead at an axis edge pointing outwards (``side`` -1: left, +1: right)."""
    tip = x + 6 * side
    return (
        f'<path d="M{x:.1f},{y - 4:.1f} L{tip:.1f},{y:.1f} L{x:.1f},{y + 4:.1f} Z" '
        f'fill="{colour}"/>'
    )


# ---------------------------------------------------------------------------------- bars
@dataclass(frozen=True)
class Bar:
    """One bar: an entry's value with its 95% interval."""

    label: str
    value: float
    low: float
    high: float
    colour: str
    highlight: bool = False
    """the user's own entry"""
    note: str = ""
    """extra text for the tooltip"""


def bar_chart(
    bars: Sequence[Bar],
    title: str,
    axis_label: str,
    lines: Sequence[RefLine] = (),
    clip: tuple[float, float] | None = None,
    width: int = 680,
    points: bool = False,
) -> str:
    """Horizontal bars from the axis origin (0, or the nearest edge) with interval whiskers;
    with ``points``, a dot at each value instead of a bar (for raw scores, whose 0 means
    nothing in particular).

    The axis spans the bars, intervals and lines, cut to ``clip``; a bar or whisker beyond it
    ends at the edge with an arrowhead, and the bar's value is written there.
    """
    bar_h, left, right = 20, 170, 64
    label_rows = rows_needed(lines)
    top = 26 + 11 * label_rows
    height = top + bar_h * len(bars) + 40
    values = [v for bar in bars for v in (bar.value, bar.low, bar.high)]
    domain = padded_domain(values + [line.value for line in lines], clip)
    scale = Scale(domain, (left, width - right))
    axis_y = top + bar_h * len(bars)
    parts = [svg_open(width, height, title), x_axis(scale, top, axis_y, axis_label)]
    origin = scale(min(max(0.0, scale.low), scale.high))
    for i, bar in enumerate(bars):
        y = top + i * bar_h
        middle = y + bar_h / 2
        x_value = scale(bar.value)
        x0, x1 = sorted((origin, x_value))
        stroke = f' stroke="{INK}" stroke-width="2"' if bar.highlight else ""
        weight = ' font-weight="bold"' if bar.highlight else ""
        tip = (
            f"{bar.label}: {value_label(bar.value)} [{value_label(bar.low)}, "
            f"{value_label(bar.high)}]{(' ' + bar.note) if bar.note else ''}"
        )
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text x="{left - 6}" y="{middle + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{INK}"{weight}>{escape(entry_label(bar.label, bar.highlight))}</text>'
            f'<line x1="{scale(bar.low):.1f}" y1="{middle:.1f}" x2="{scale(bar.high):.1f}" '
            f'y2="{middle:.1f}" stroke="{INK}" stroke-width="1.5"/>'
            + (
                f'<circle cx="{x_value:.1f}" cy="{middle:.1f}" r="5.5" fill="{bar.colour}"'
                f"{stroke or THIN_OUTLINE}/>"
                if points
                else f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1.5):.1f}" '
                f'height="{bar_h - 8}" fill="{bar.colour}" fill-opacity="0.9"{stroke}/>'
            )
        )
        for end, side in ((bar.low, scale.side(bar.low)), (bar.high, scale.side(bar.high))):
            if side:
                parts.append(edge_marker(scale(end), middle, side))
            else:
                parts.append(
                    f'<line x1="{scale(end):.1f}" y1="{middle - 4:.1f}" x2="{scale(end):.1f}" '
                    f'y2="{middle + 4:.1f}" stroke="{INK}" stroke-width="1.2"/>'
                )
        side = scale.side(bar.value)
        if side:
            x_text = scale.stop + 9 if side > 0 else scale.start + 9
            parts.append(
                text(
                    x_text,
                    middle + 4,
                    value_label(bar.value),
                    10,
                    "start",
                    font_weight="bold",
                    stroke="#fff",
                    stroke_width="3",
                    paint_order="stroke",
                )
            )
        parts.append("</g>")
    parts.append(
        f'<line x1="{scale.start}" y1="{axis_y}" x2="{scale.stop}" y2="{axis_y}" stroke="#999"/>'
    )
    parts.append(vertical_lines(lines, scale, top, axis_y))
    parts.append("</svg>")
    return "".join(parts)


__all__ = [
    "FONT",
    "INK",
    "PALETTE",
    "RANDOM_COLOUR",
    "Bar",
    "RefLine",
    "Scale",
    "bar_chart",
    "edge_marker",
    "entry_colours",
    "entry_label",
    "nice_step",
    "nice_ticks",
    "padded_domain",
    "svg_open",
    "text",
    "tick_label",
    "value_label",
    "vertical_lines",
    "x_axis",
    "y_axis",
]
