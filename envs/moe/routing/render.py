"""Frames of the MoE routing env: ``rgb_array`` (numpy only) and ``ansi`` text.

Bias and assign modes, a 640 x 400 frame of the last layer call: one bar per expert, its load
(blue, tokens processed) against the capacity C (dashed line), the slots dropped over capacity
stacked in red above it, the next batch's soft demand as a grey tick, experts grouped by
device (shaded bands, with each device's busy time), and in bias mode the biases the agent
added (the action) as bars around zero. Duo mode: the tokens' modules of the last layer (skip,
small, big) against the per-layer budgets and the loss each token still has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import draw

HEIGHT, WIDTH = 400, 640
LOAD = (31, 119, 180)
DROP = (214, 39, 40)
DEMAND = (90, 90, 90)
BIAS_UP = (44, 160, 44)
BIAS_DOWN = (148, 103, 189)
MODULES = ((200, 200, 200), (120, 170, 220), (31, 90, 180))
"""colours of skip, small, big"""


def _title(frame: np.ndarray) -> None:
    end = draw.text(frame, 8, 6, "MoE routing", draw.INK, scale=2)
    draw.text(frame, end + 8, 12, "(netgym/MoeRouting-v0)")


def draw_frame(env: Any, action: np.ndarray | None) -> np.ndarray:
    """The ``(400, 640, 3)`` uint8 frame of ``env`` (a ``MoeRoutingEnv``) after ``action``."""
    frame = draw.canvas(HEIGHT, WIDTH)
    _title(frame)
    if env.params.action_mode == "duo":
        _duo(frame, env)
    else:
        _experts(frame, env, action)
    return frame


def _experts(frame: np.ndarray, env: Any, action: np.ndarray | None) -> None:
    sim, params = env.sim, env.params
    loads, overflow = sim.loads[0], sim.overflow[0]
    capacity = params.capacity
    n_experts, n_devices = params.n_experts, params.n_devices
    slots = params.n_tokens * params.top_k
    draw.text(
        frame,
        8,
        28,
        f"step {int(sim.steps[0])} of {params.max_steps} | {params.n_tokens} tokens x top-"
        f"{params.top_k} -> {n_experts} experts on {n_devices} devices, capacity C = "
        f"{capacity if capacity is not None else 'none'}",
    )
    draw.text(
        frame,
        8,
        40,
        f"dropped {int(sim.drops[0])} of {slots} slots ({sim.drops[0] / slots:.1%}) | "
        f"imbalance {float(sim.imbalance[0]):.2f} | layer {float(sim.layer_ms[0]):.3f} ms "
        f"(balanced {sim.latency.reference_ms:.3f}) | reward {float(sim.reward[0]):.3f}",
    )
    draw.legend(
        frame,
        8,
        54,
        (
            ("load (tokens processed)", LOAD, "box"),
            ("dropped over capacity", DROP, "box"),
            ("capacity C", draw.INK, "line"),
            ("next batch's soft demand", DEMAND, "line"),
        ),
    )
    demand = params.top_k * env.router_probs.sum(axis=0)
    top = max(float((loads + overflow).max()), float(demand.max()), float(capacity or 0)) * 1.1
    bias_mode = params.action_mode == "bias"
    bottom_y = 300 if bias_mode else 352
    axes = draw.Axes((44, 84, WIDTH - 10, bottom_y), (0, n_experts), (0, draw.nice_ceiling(top)))
    axes.draw(frame, y_title="tokens", x_ticks=False)
    per_device = n_experts // n_devices
    width = (axes.x1 - axes.x0) / n_experts
    device_ms = sim.latency.device_ms(loads[None])[0]
    for device in range(n_devices):
        left = axes.px(device * per_device)
        right = axes.px((device + 1) * per_device)
        if device % 2:
            draw.shade(frame, left, axes.y0 + 1, right, axes.y1 - 1, (200, 200, 215), 0.35)
        label = f"dev {device}: {device_ms[device]:.2f} ms"
        if draw.text_width(label) < right - left - 4:
            draw.text(frame, (left + right) / 2, axes.y0 + 3, label, draw.GREY_TEXT, align="center")
    bar = max(width - 2, 1)
    for expert in range(n_experts):
        left = axes.x0 + expert * width + (width - bar) / 2
        load_top = axes.py(loads[expert])
        draw.fill(frame, left, load_top, left + bar - 1, axes.y1 - 1, LOAD)
        if overflow[expert]:
            drop_top = axes.py(loads[expert] + overflow[expert])
            draw.fill(frame, left, drop_top, left + bar - 1, load_top - 1, DROP)
        tick = axes.py(demand[expert])
        draw.fill(frame, left - 1, tick, left + bar, tick + 1, DEMAND)
    if capacity is not None:
        row = int(round(float(axes.py(capacity))))
        dashes = np.arange(axes.x0, axes.x1)
        frame[row, dashes[dashes % 8 < 5]] = draw.INK
        draw.text(frame, axes.x0 + 3, row - 10, f"C = {capacity}", draw.INK)
    step = max(1, n_experts // 16)
    for expert in range(0, n_experts, step):
        centre = axes.x0 + (expert + 0.5) * width
        draw.text(frame, centre, axes.y1 + 4, str(expert), draw.GREY_TEXT, align="center")
    draw.text(frame, axes.x1, axes.y1 + 14, "expert", draw.INK, align="right")
    if bias_mode:
        _biases(frame, env, action, axes, width, bar)


def _biases(
    frame: np.ndarray,
    env: Any,
    action: np.ndarray | None,
    axes: draw.Axes,
    width: float,
    bar: float,
) -> None:
    """The biases of the last action, as bars around a zero line."""
    y0, y1 = 336, 388
    mid = (y0 + y1) // 2
    limit = env.params.bias_max
    draw.text(frame, 8, y0 - 10, f"router bias added by the action (+-{limit:g})")
    draw.fill(frame, axes.x0, mid, axes.x1, mid, draw.GREY)
    if action is None:
        draw.text(frame, axes.x0 + 4, mid + 4, "no action yet", draw.GREY_TEXT)
        return
    shown = np.clip(np.asarray(action, dtype=float) / limit, -1.0, 1.0)
    half = (y1 - y0) // 2
    for expert, value in enumerate(shown):
        left = axes.x0 + expert * width + (width - bar) / 2
        end = mid - value * half
        colour = BIAS_UP if value >= 0 else BIAS_DOWN
        draw.fill(frame, left, min(mid, end), left + bar - 1, max(mid, end), colour)


def _duo(frame: np.ndarray, env: Any) -> None:
    sim, params = env.sim, env.params
    modules = sim.modules[0]
    counts = np.bincount(modules, minlength=3)
    draw.text(
        frame,
        8,
        28,
        f"duo mode: step {int(sim.steps[0])} of {params.max_steps} | layer {int(sim.layer[0])} "
        f"of {params.duo_layers} | {params.n_tokens} tokens | reward {float(sim.reward[0]):.3f}",
    )
    draw.text(
        frame,
        8,
        40,
        f"last layer: skip {counts[0]}, small {counts[1]} (budget {sim.small_capacity}), big "
        f"{counts[2]} (budget {sim.big_capacity}); over budget {int(sim.over_budget[0])}",
    )
    draw.legend(
        frame,
        8,
        54,
        (
            ("skip", MODULES[0], "box"),
            ("small module", MODULES[1], "box"),
            ("big module", MODULES[2], "box"),
        ),
    )
    remaining = sim.remaining[0] / np.maximum(sim.difficulty[0], 1e-12)
    axes = draw.Axes((44, 84, WIDTH - 10, 352), (0, params.n_tokens), (0, 1))
    axes.draw(frame, y_title="share of loss left", x_ticks=False)
    width = (axes.x1 - axes.x0) / params.n_tokens
    for token in range(params.n_tokens):
        left = axes.x0 + token * width
        top = axes.py(remaining[token])
        draw.fill(
            frame, left, top, left + max(width - 1, 1) - 1, axes.y1 - 1, MODULES[modules[token]]
        )
    draw.text(frame, axes.x1, axes.y1 + 6, "token", draw.INK, align="right")


def ansi(env: Any, action: np.ndarray | None) -> str:
    """Loads, drops and capacity (or the duo modules) of the last layer call as text."""
    sim, params = env.sim, env.params
    if params.action_mode == "duo":
        counts = np.bincount(sim.modules[0], minlength=3)
        return (
            f"MoeRouting-v0 (duo)  step {int(sim.steps[0])}  layer {int(sim.layer[0])}/"
            f"{params.duo_layers}  skip {counts[0]}  small {counts[1]}/{sim.small_capacity}  big "
            f"{counts[2]}/{sim.big_capacity}  reward {float(sim.reward[0]):.4f}\n"
        )
    lines = [
        f"MoeRouting-v0  step {int(sim.steps[0])}/{params.max_steps}  capacity "
        f"{params.capacity}  drops {int(sim.drops[0])}  imbalance {float(sim.imbalance[0]):.3f}  "
        f"layer {float(sim.layer_ms[0]):.3f} ms  reward {float(sim.reward[0]):.4f}",
        " expert  load  dropped"
        + ("  bias" if action is not None and params.action_mode == "bias" else ""),
    ]
    for expert in range(params.n_experts):
        line = f" {expert:6d}  {int(sim.loads[0, expert]):4d}  {int(sim.overflow[0, expert]):7d}"
        if action is not None and params.action_mode == "bias":
            line += f"  {float(action[expert]):+.3f}"
        lines.append(line)
    return "\n".join(lines) + "\n"


__all__ = ["HEIGHT", "WIDTH", "ansi", "draw_frame"]
