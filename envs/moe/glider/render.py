"""Frames of ``netgym/MoeGliderRouting-v0``: ``rgb_array`` (numpy only) and ``ansi`` text.

The 320 x 640 frame shows the last routed batch, one row per query (the first
``ROWS``): its task and split, a bar of its success probability (green: held-in, blue:
held-out) with the pair bound's accuracy marked in black, and the routing it got (``G100 k2``:
the global signal at scale 100, two experts; ``L k1``: local only, one expert; ``A``: assigned
experts). A header gives the pool, the step and the batch's reward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import draw

HEIGHT, WIDTH = 320, 640
ROWS = 16
HELD_IN, HELD_OUT = (44, 160, 44), (31, 119, 180)
BAR_X, BAR_W, ROW_H, TOP_Y = 150, 330, 16, 52


def routing_label(last: dict[str, Any], query: int) -> str:
    """``G<scale> k<k>``, ``L k<k>`` or ``A <experts>`` for ``query`` of the last batch."""
    if last["assigned"]:
        first, second = last["experts"][query]
        return f"A {first}" if first == second else f"A {first}+{second}"
    if last["global"][query]:
        return f"G{last['scale'][query]:g} k{last['k'][query]}"
    return f"L k{last['k'][query]}"


def draw_frame(env: Any) -> np.ndarray:
    """The ``(320, 640, 3)`` uint8 frame of ``env`` (a ``MoeGliderRoutingEnv``)."""
    frame = draw.canvas(HEIGHT, WIDTH)
    end = draw.text(frame, 8, 6, "MoE Glider routing", draw.INK, scale=2)
    draw.text(frame, end + 8, 12, "(netgym/MoeGliderRouting-v0)")
    last, pool = env.last_batch, env.pool
    header = f"pool {env.params.pool} ({pool.n_experts} experts)   step {env.steps}"
    if last is None:
        draw.text(frame, 8, 30, header + "   no batch routed yet")
        return frame
    draw.text(frame, 8, 30, header + f"   reward {last['reward']:.4f}")
    for row, task in enumerate(last["tasks"][:ROWS]):
        y = TOP_Y + row * ROW_H
        held_in = task < pool.n_held_in
        draw.text(frame, 8, y + 3, f"t{task:<3d} {'in ' if held_in else 'out'}")
        draw.box(frame, BAR_X, y, BAR_X + BAR_W, y + ROW_H - 4, draw.LIGHT)
        width = BAR_W * float(last["accuracy"][row])
        draw.fill(frame, BAR_X, y, BAR_X + width, y + ROW_H - 4, HELD_IN if held_in else HELD_OUT)
        mark = BAR_X + BAR_W * float(last["bound_accuracy"][row])
        draw.fill(frame, mark - 1, y - 1, mark + 1, y + ROW_H - 3, draw.BLACK)
        draw.text(frame, BAR_X + BAR_W + 10, y + 3, routing_label(last, row))
    return frame


def ansi(env: Any) -> str:
    """The last batch as text: task, split, routing, success probability, bound."""
    last = env.last_batch
    lines = [f"MoeGliderRouting pool={env.params.pool} step={env.steps}"]
    if last is None:
        return lines[0] + "  (no batch routed yet)\n"
    lines[0] += f" reward={last['reward']:.4f}"
    lines.append("task  split     routing     accuracy  bound")
    for query, task in enumerate(last["tasks"]):
        split = "held-in " if task < env.pool.n_held_in else "held-out"
        lines.append(
            f"{task:4d}  {split}  {routing_label(last, query):<10s}  "
            f"{last['accuracy'][query]:.4f}    {last['bound_accuracy'][query]:.4f}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["ansi", "draw_frame"]
