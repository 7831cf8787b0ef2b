"""Frames of the repeater-chain env: ``rgb_array`` (numpy only) and ``ansi`` text.

The 640 x 320 frame shows chain ``env`` of a ``ChainSim`` after a step: the nodes in a row
(end nodes dark), each node's memories (k per side, filled when they hold a link), every stored
link as an arc between its two nodes coloured by its fidelity (red 0.5 or less, yellow, green 1)
with its age as a bar at the top of the arc (full at the cutoff, or at max_steps without one),
and under each node the action it took in the step. A header gives the step, the deliveries
and the reward; a legend explains the colours and marks ``f_target`` on the fidelity scale.
"""

from __future__ import annotations

import numpy as np

from ...core import draw
from .observations import age_scale
from .params import ChainParams

HEIGHT, WIDTH = 320, 640
NODE_Y = 226
"""row of the nodes' centres"""
MARGIN = 60
F_LOW = 0.5
"""fidelity drawn red (and anything below it); 1 is green"""
WORDS = ("wait", "swap", "purify L", "purify R", "discard L", "discard R")
CODES = ("-", "S", "PL", "PR", "DL", "DR")
END_WORDS = ("wait", "discard")
END_CODES = ("-", "D")
NODE = (60, 60, 70)
REPEATER = (235, 235, 240)
ACTIVE = (31, 90, 180)
INVALID = (214, 39, 40)


def fidelity_colour(fidelity: np.ndarray) -> np.ndarray:
    """Colours of fidelities on the frame's scale (``F_LOW`` red, 1 green)."""
    return draw.colormap((np.asarray(fidelity) - F_LOW) / (1.0 - F_LOW))


def action_names(params: ChainParams, actions: np.ndarray | None, compact: bool) -> list[str]:
    """One label per node for the node actions of the last step ('' before the first)."""
    n = params.n_nodes
    if actions is None:
        return [""] * n
    labels = []
    for node, action in enumerate(np.asarray(actions).reshape(-1)[:n]):
        end = node in (0, n - 1)
        words = (END_CODES if compact else END_WORDS) if end else (CODES if compact else WORDS)
        labels.append(words[int(action)])
    return labels


def _links(sim, env: int) -> list[tuple[int, int, int, float, int]]:
    """(left node, right node, lane, fidelity, age) of every link stored in chain ``env``."""
    right = sim.right[env]
    nodes, lanes = np.nonzero(right >= 0)
    return [
        (int(i), int(right[i, s]), int(s), float(sim.bds[env, i, s, 0]), int(sim.age[env, i, s]))
        for i, s in zip(nodes, lanes, strict=True)
    ]


def draw_frame(sim, env: int = 0, actions: np.ndarray | None = None) -> np.ndarray:
    """The ``(320, 640, 3)`` uint8 frame of chain ``env`` of ``sim``, with ``actions`` the (n,)
    node actions of the last step (None at reset)."""
    params: ChainParams = sim.params
    n, lanes = sim.n_nodes, sim.lanes
    frame = draw.canvas(HEIGHT, WIDTH)
    draw.text(frame, 8, 6, "Repeater chain (netgym/RepeaterChain-v0)", draw.INK, scale=2)
    steps = int(sim.steps[env])
    header = (
        f"step {steps} of {params.max_steps} | deliveries {int(sim.deliveries[env])} | "
        f"reward {float(sim.reward[env]):.3g} | invalid node actions {int(sim.invalid[env])}"
    )
    draw.text(frame, 8, 26, header)
    if sim.delivered[env] > 0:
        message = (
            f"delivered {int(sim.delivered[env])} end-to-end link(s), "
            f"F = {float(sim.delivered_fidelity[env]):.3f}"
        )
        draw.fill(frame, 6, 37, 12 + draw.text_width(message), 47, (210, 240, 215))
        draw.text(frame, 9, 39, message, (20, 110, 40))
    _legend(frame, params)

    xs = np.linspace(MARGIN, WIDTH - MARGIN, n)
    spacing = (xs[1] - xs[0]) if n > 1 else WIDTH
    mem_w = int(np.clip(spacing / (4 * lanes + 2), 3, 7))
    scale = age_scale(params)
    top_h = NODE_Y - 12 - 100  # the height of the longest link's arc
    for left, right, lane, fidelity, age in _links(sim, env):
        x0 = xs[left] + 12 + lane * (mem_w + 1) + mem_w / 2
        x1 = xs[right] - 12 - lane * (mem_w + 1) - mem_w / 2
        span = (right - left - 1) / max(n - 2, 1)
        height = 16 + lane * 24 + span * (top_h - 16 - 24 * (lanes - 1))
        t = np.linspace(0.0, np.pi, 33)
        arc_x = (x0 + x1) / 2 - np.cos(t) * (x1 - x0) / 2
        arc_y = NODE_Y - 12 - np.sin(t) * height
        colour = fidelity_colour(fidelity)
        draw.polyline(frame, arc_x, arc_y, colour, width=3)
        apex_x, apex_y = (x0 + x1) / 2, NODE_Y - 12 - height
        bar_w = 22
        draw.fill(
            frame, apex_x - bar_w / 2 - 1, apex_y - 9, apex_x + bar_w / 2, apex_y - 4, draw.INK
        )
        share = min(age / scale, 1.0)
        draw.fill(
            frame, apex_x - bar_w / 2, apex_y - 8, apex_x + bar_w / 2 - 1, apex_y - 5, draw.WHITE
        )
        if share > 0:
            draw.fill(
                frame,
                apex_x - bar_w / 2,
                apex_y - 8,
                apex_x - bar_w / 2 + share * (bar_w - 1),
                apex_y - 5,
                (120, 120, 130),
            )
        if lanes == 1 or spacing >= 100 or right - left > 1:
            draw.text(frame, apex_x, apex_y - 19, f"{fidelity:.2f}", draw.GREY_TEXT, align="center")

    compact = spacing < 60
    labels = action_names(params, actions, compact)
    held = sim.right[env] >= 0
    held_left = sim.left[env] >= 0
    fid = sim.bds[env, :, :, 0]
    for node, x in enumerate(xs):
        end = node in (0, n - 1)
        draw.disc(frame, x, NODE_Y, 11, NODE)
        if not end:
            draw.disc(frame, x, NODE_Y, 9, REPEATER)
        draw.text(frame, x, NODE_Y - 3, str(node), draw.WHITE if end else draw.INK, align="center")
        for lane in range(lanes):  # memories: left side, right side
            for side, holds in ((-1, held_left[node, lane]), (1, held[node, lane])):
                if (side < 0 and node == 0) or (side > 0 and node == n - 1):
                    continue
                mx = x + side * (13 + lane * (mem_w + 1))
                box = (mx - (mem_w if side < 0 else 0), NODE_Y - 4, mx + (0 if side < 0 else mem_w))
                if holds:
                    owner = (
                        fid[node, lane] if side > 0 else fid[int(sim.left[env, node, lane]), lane]
                    )
                    draw.fill(frame, box[0], box[1], box[2], NODE_Y + 4, fidelity_colour(owner))
                draw.box(frame, box[0], box[1], box[2], NODE_Y + 4, draw.GREY)
        label = labels[node]
        if label:
            colour = draw.GREY_TEXT if label in ("wait", "-") else ACTIVE
            draw.text(frame, x, NODE_Y + 20, label, colour, align="center")
    draw.text(frame, 8, NODE_Y + 34, "action taken in the step (under each node)", draw.GREY_TEXT)
    if compact:
        draw.text(
            frame,
            8,
            NODE_Y + 46,
            "- wait  S swap  PL/PR purify left/right  DL/DR (D) discard left/right",
            draw.GREY_TEXT,
        )
    draw.text(
        frame,
        8,
        NODE_Y + 58,
        f"{params.scheme} scheme, {n} nodes (end nodes dark), {lanes} memories per side "
        "(squares, filled when holding a link)",
    )
    return frame


def _legend(frame: np.ndarray, params: ChainParams) -> None:
    """Fidelity colour scale with f_target, and the age bar."""
    x0, x1, y = 8, 168, 62
    ramp = fidelity_colour(np.linspace(0.4, 1.0, x1 - x0 + 1))
    frame[y : y + 7, x0 : x1 + 1] = ramp[None]
    draw.text(frame, x1 + 6, y, "link fidelity F")
    for value in (0.5, 0.75, 1.0):
        col = int(x0 + (value - 0.4) / 0.6 * (x1 - x0))
        draw.fill(frame, col, y + 7, col, y + 9, draw.INK)
        draw.text(frame, col, y + 11, f"{value:g}", draw.GREY_TEXT, align="center")
    if params.f_target > 0.4:
        col = int(x0 + (params.f_target - 0.4) / 0.6 * (x1 - x0))
        draw.fill(frame, col, y - 2, col + 1, y + 8, draw.INK)
        draw.text(frame, col, y - 11, f"f_target {params.f_target:g}", align="center")
    bx = 290
    draw.fill(frame, bx, y, bx + 22, y + 5, draw.INK)
    draw.fill(frame, bx + 1, y + 1, bx + 21, y + 4, draw.WHITE)
    draw.fill(frame, bx + 1, y + 1, bx + 11, y + 4, (120, 120, 130))
    what = f"cutoff {params.cutoff}" if params.cutoff is not None else f"{params.max_steps} steps"
    draw.text(frame, bx + 28, y - 1, f"link age (full bar = {what}); number = F")


def ansi(sim, env: int = 0, actions: np.ndarray | None = None) -> str:
    """The chain as text: header, per-node actions and the stored links."""
    params: ChainParams = sim.params
    lines = [
        f"RepeaterChain-v0  step {int(sim.steps[env])}/{params.max_steps}  deliveries "
        f"{int(sim.deliveries[env])}  reward {float(sim.reward[env]):.4g}"
        + (
            f"  delivered F={float(sim.delivered_fidelity[env]):.3f}"
            if sim.delivered[env] > 0
            else ""
        )
    ]
    labels = action_names(params, actions, compact=False)
    width = max(9, *(len(label) + 1 for label in labels))
    lines.append("node    " + "".join(f"{node:<{width}}" for node in range(sim.n_nodes)))
    if actions is not None:
        lines.append("action  " + "".join(f"{label:<{width}}" for label in labels))
    links = _links(sim, env)
    scale = age_scale(params)
    lines.append(f"links ({len(links)}; age / {scale:g}):")
    for left, right, lane, fidelity, age in links:
        lines.append(f"  {left}-{right} lane {lane}  F={fidelity:.3f}  age {age}")
    return "\n".join(lines) + "\n"


__all__ = ["HEIGHT", "WIDTH", "action_names", "ansi", "draw_frame", "fidelity_colour"]
