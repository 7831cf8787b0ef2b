"""Per-trace timelines of a protocol's reference policy, drawn in the report.

A protocols module registers a *timeline collector* for a protocol with ``register_timeline``;
the leaderboard calls it once per run (``collect_timelines``) and the report draws what it
returns. The ABR protocols (``protocols_abr``) register ``abr_timelines``: robustMPC (the
reference) plays the protocol's first evaluation seed block, chunk by chunk; the report shows
four of its traces (the best, the median, the one at the first quartile and the worst by
score): the measured throughput of each chunk, the bitrate chosen, the buffer and the stalls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .protocols import Protocol
from .svg import INK, Scale, svg_open, text, value_label, x_axis, y_axis

logger = logging.getLogger(__name__)

Collector = Callable[[Protocol, "Path | None"], list[dict[str, Any]]]
"""(protocol, data folder) -> timelines (JSON data)"""
TIMELINES: dict[str, Collector] = {}
"""protocol name -> its collector (quick variants use the collector of their protocol)"""
SHOWN = 4
"""traces kept per protocol"""


def register_timeline(name: str, collector: Collector) -> None:
    """Register ``collector`` for the protocol ``name`` (and its quick variant)."""
    TIMELINES[name] = collector


def collect_timelines(
    protocols: list[Protocol], data_dir: str | Path | None
) -> dict[str, list[dict[str, Any]]]:
    """protocol label -> its timelines, for the protocols that have a collector."""
    out = {}
    for protocol in protocols:
        collector = TIMELINES.get(protocol.name.removesuffix("-quick"))
        if collector is None:
            continue
        folder = protocol.require_data(data_dir)
        out[protocol.label] = collector(protocol, folder)
    return out


def abr_timelines(protocol: Protocol, data_dir: Path | None) -> list[dict[str, Any]]:
    """The reference policy's chunks on the protocol's first seed block (module docstring)."""
    import gymnasium as gym
    import netgym.envs  # noqa: F401  (registers the ids)
    from netgym.baselines import make_policy

    seed = protocol.eval_seeds[0]
    env = gym.make(protocol.env_id, **protocol.env_kwargs(data_dir))
    policy = make_policy(protocol.env_id, protocol.anchors.reference, seed=seed)
    traces = []
    try:
        for episode in range(protocol.episodes):
            obs, info = env.reset(seed=seed if episode == 0 else None)
            policy.reset(env)
            chunks: dict[str, list[float]] = {
                "bitrate_mbps": [],
                "throughput_mbps": [],
                "buffer_s": [],
                "rebuffer_s": [],
            }
            rewards = []
            while True:
                obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
                rewards.append(float(reward))
                chunks["bitrate_mbps"].append(float(info["bitrate_kbps"]) / 1000.0)
                chunks["throughput_mbps"].append(float(info["throughput_mbps"]))
                chunks["buffer_s"].append(float(info["buffer_s"]))
                chunks["rebuffer_s"].append(float(info["rebuffer_s"]))
                if terminated or truncated:
                    break
            traces.append(
                {
                    "trace": str(info.get("trace", episode)),
                    "score": float(np.mean(rewards)),
                    "policy": protocol.anchors.reference,
                    **chunks,
                }
            )
    finally:
        env.close()
    order = sorted(range(len(traces)), key=lambda i: traces[i]["score"])
    picks = [order[-1], order[len(order) // 2], order[len(order) // 4], order[0]]
    names = ["best", "median", "first quartile", "worst"]
    shown = []
    for name, index in zip(names, picks, strict=True):
        if any(item["index"] == index for item in shown):
            continue
        shown.append({**traces[index], "index": index, "rank": name})
    return shown[:SHOWN]


def timeline_chart(timeline: dict[str, Any], width: int = 520, height: int = 210) -> str:
    """One trace: throughput and bitrate (Mbps) above, the buffer (s) below, stalls in red."""
    n = len(timeline["bitrate_mbps"])
    left, right, top, gap = 56, 12, 30, 18
    panel = (height - top - gap - 40) / 2
    sx = Scale((0.0, float(n)), (left, width - right))
    rates = timeline["throughput_mbps"] + timeline["bitrate_mbps"]
    top_scale = Scale((0.0, max(rates) * 1.08 or 1.0), (top + panel, top))
    buffer_top = top + panel + gap
    buffers = timeline["buffer_s"]
    bottom_scale = Scale((0.0, max(buffers) * 1.1 or 1.0), (buffer_top + panel, buffer_top))
    title = (
        f"{timeline['policy']} on {timeline['trace']} ({timeline['rank']} trace, score "
        f"{value_label(timeline['score'])})"
    )
    parts = [svg_open(width, height, title)]
    parts.append(y_axis(top_scale, left, width - right, "Mbps", 3))
    throughput = " ".join(
        f"{sx(i):.1f},{top_scale(v):.1f} {sx(i + 1):.1f},{top_scale(v):.1f}"
        for i, v in enumerate(timeline["throughput_mbps"])
    )
    parts.append(
        f'<polyline points="{throughput}" fill="none" stroke="#9d9d9d" stroke-width="1.2"/>'
    )
    bitrate = " ".join(
        f"{sx(i):.1f},{top_scale(v):.1f} {sx(i + 1):.1f},{top_scale(v):.1f}"
        for i, v in enumerate(timeline["bitrate_mbps"])
    )
    parts.append(f'<polyline points="{bitrate}" fill="none" stroke="#4e79a7" stroke-width="2"/>')
    parts.append(y_axis(bottom_scale, left, width - right, "buffer s", 2))
    buffer_line = " ".join(
        f"{sx(i + 1):.1f},{bottom_scale(v):.1f}" for i, v in enumerate(timeline["buffer_s"])
    )
    parts.append(
        f'<polyline points="{buffer_line}" fill="none" stroke="{INK}" stroke-width="1.2"/>'
    )
    stalls = [(i, v) for i, v in enumerate(timeline["rebuffer_s"]) if v > 0]
    for i, seconds in stalls:
        x = sx(i + 0.5)
        parts.append(
            f'<line x1="{x:.1f}" y1="{buffer_top:.1f}" x2="{x:.1f}" y2="{buffer_top + panel:.1f}" '
            f'stroke="#e15759" stroke-width="3" stroke-opacity="0.7"><title>stall '
            f"{seconds:.2f} s at chunk {i}</title></line>"
        )
    parts.append(x_axis(sx, buffer_top + panel, buffer_top + panel, "chunk", 6))
    legend_y = top - 4
    parts.append(
        text(left, legend_y, "\u2014 bitrate chosen", 10, fill="#4e79a7")
        + text(left + 110, legend_y, "\u2014 throughput measured", 10, fill="#777")
        + text(left + 250, legend_y, f"| stall ({len(stalls)})", 10, fill="#e15759")
    )
    parts.append("</svg>")
    return "".join(parts)


__all__ = [
    "SHOWN",
    "TIMELINES",
    "abr_timelines",
    "collect_timelines",
    "register_timeline",
    "timeline_chart",
]
