"""Frames of the MoE batching env: ``rgb_array`` (numpy only) and ``ansi`` text.

The 640 x 400 frame shows the visible queue (oldest first) as boxes coloured by each
request's layer-0 expert, with its kind (P = prefill of n prompt tokens, D = one decode token)
and its wait, the requests of the last batch outlined in blue; below, the last batch's experts:
a layer x expert map of the tokens each expert processed (darker = more), with the unique
experts per layer that set the iteration's time. A header gives the clock, the iteration time
and the latency so far.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import draw

HEIGHT, WIDTH = 400, 640
BATCHED = (31, 90, 180)
QUEUE_Y = 86
PER_ROW = 16


def expert_colour(expert: np.ndarray | int) -> np.ndarray:
    """The colour of an expert id (ten colours, repeated)."""
    return draw.PALETTE[np.asarray(expert) % len(draw.PALETTE)]


def draw_frame(env: Any, last: dict[str, Any] | None) -> np.ndarray:
    """The ``(400, 640, 3)`` uint8 frame of ``env`` (a ``MoeBatchingEnv``); ``last`` holds the
    previous iteration's ``batch`` (request ids), ``tokens`` and ``loads`` (layers, experts)."""
    sim, params = env.sim, env.params
    frame = draw.canvas(HEIGHT, WIDTH)
    end = draw.text(frame, 8, 6, "MoE batching", draw.INK, scale=2)
    draw.text(frame, end + 8, 12, "(netgym/MoeBatching-v0)")
    if not hasattr(sim, "generated"):
        draw.text(frame, 8, 40, "no episode yet: call reset()")
        return frame
    latency = sim.normalised_latency_ms()
    done = int(np.sum(sim.generated >= sim.output))
    mean = f"{latency.mean():.1f} ms/token" if len(latency) else "-"
    draw.text(
        frame,
        8,
        28,
        f"clock {sim.clock_s:.3f} s | iteration {sim.iterations}, {sim.last_iteration_ms:.1f} ms "
        f"| finished {done} of {params.n_requests} requests | mean latency {mean}",
    )
    view = sim.slots()
    queued = len(sim.queued())
    draw.text(
        frame,
        8,
        42,
        f"queue: {queued} requests waiting, the oldest {len(view.requests)} visible "
        f"(of {params.n_slots} slots); token budget {params.max_batch_tokens} per batch",
    )
    batch = set() if last is None else set(last["batch"].tolist())
    draw.fill(frame, 8, 60, 18, 62, BATCHED)
    x = draw.text(frame, 22, 56, "in the last batch | fill = layer-0 expert") + 6
    for expert in range(min(sim.n_experts, 10)):
        draw.fill(frame, x, 55, x + 10, 64, expert_colour(expert))
        draw.text(frame, x + 6, 56, str(expert), draw.WHITE, align="center")
        x += 13
    draw.text(
        frame,
        8,
        68,
        "in each box: request, P n = prefill of n prompt tokens or D = decode, wait (s)",
    )
    cell_w = (WIDTH - 16) // PER_ROW
    rows = max(1, min((params.n_slots + PER_ROW - 1) // PER_ROW, 4))
    for index in range(min(len(view.requests), rows * PER_ROW)):
        left = 8 + (index % PER_ROW) * cell_w
        top = QUEUE_Y + (index // PER_ROW) * 34
        request = int(view.requests[index])
        colour = expert_colour(int(view.primary_expert[index]))
        draw.fill(frame, left, top, left + cell_w - 4, top + 30, colour)
        if request in batch:
            draw.fill(frame, left, top + 31, left + cell_w - 4, top + 33, BATCHED)
        kind = f"P{int(view.tokens[index])}" if view.is_prefill[index] else "D"
        wait = sim.clock_s - float(view.arrival_s[index])
        centre = left + (cell_w - 4) // 2
        draw.text(frame, centre, top + 3, f"r{request}", draw.WHITE, align="center")
        draw.text(frame, centre, top + 12, kind, draw.WHITE, align="center")
        draw.text(frame, centre, top + 21, f"{wait:.1f}", draw.WHITE, align="center")
    if len(view.requests) > rows * PER_ROW:
        extra = len(view.requests) - rows * PER_ROW
        draw.text(frame, 8, QUEUE_Y + rows * 34, f"... {extra} more visible", draw.GREY_TEXT)
    _batch(frame, env, last, QUEUE_Y + rows * 34 + 16)
    return frame


def _batch(frame: np.ndarray, env: Any, last: dict[str, Any] | None, y: int) -> None:
    """The last batch: its members and the layer x expert map of its tokens."""
    if last is None:
        draw.text(frame, 8, y, "no batch yet (the first step runs one)", draw.GREY_TEXT)
        return
    loads = last["loads"]
    layers, experts = loads.shape
    unique = (loads > 0).sum(axis=1)
    draw.text(
        frame,
        8,
        y,
        f"last batch: {len(last['batch'])} request(s), {last['tokens']} tokens; experts used "
        f"per layer: mean {unique.mean():.1f} of {experts} (each costs a weight read)",
    )
    cell_w = int(np.clip(300 // experts, 3, 24))
    cell_h = int(np.clip((HEIGHT - y - 56) // layers, 2, 10))
    x0, y0 = 48, y + 28
    shade = np.log1p(loads) / np.log1p(max(loads.max(), 1.0))
    colours = draw.colormap(shade, ((0.0, (255, 255, 255)), (1.0, (20, 50, 120))))
    colours[loads == 0] = (244, 244, 244)
    grid = np.repeat(np.repeat(colours, cell_h, axis=0), cell_w, axis=1)
    height, width = grid.shape[:2]
    frame[y0 : y0 + height, x0 : x0 + width] = grid
    draw.box(frame, x0 - 1, y0 - 1, x0 + width, y0 + height, draw.GREY)
    draw.text(frame, x0, y0 - 12, f"expert 0..{experts - 1} ->", draw.GREY_TEXT)
    draw.text(frame, x0 - 4, y0, "layer", draw.GREY_TEXT, align="right")
    draw.text(frame, x0 - 4, y0 + 10, "0", draw.GREY_TEXT, align="right")
    draw.text(frame, x0 - 4, y0 + height - 8, f"{layers - 1}", draw.GREY_TEXT, align="right")
    legend_x = x0 + width + 24
    draw.text(frame, legend_x, y0, "tokens per expert and layer:")
    ramp = draw.colormap(np.linspace(0, 1, 80), ((0.0, (255, 255, 255)), (1.0, (20, 50, 120))))
    frame[y0 + 12 : y0 + 18, legend_x : legend_x + 80] = ramp[None]
    draw.text(frame, legend_x, y0 + 22, "1", draw.GREY_TEXT)
    draw.text(frame, legend_x + 80, y0 + 22, f"{int(loads.max())}", draw.GREY_TEXT, align="right")
    draw.text(frame, legend_x, y0 + 36, "light grey: expert not used (no weight read)")
    members = ", ".join(f"r{r}" for r in last["batch"][:12].tolist())
    more = " ..." if len(last["batch"]) > 12 else ""
    draw.text(frame, legend_x, y0 + 50, f"members: {members}{more}")
    draw.text(frame, legend_x, y0 + 64, f"iteration time {env.sim.last_iteration_ms:.2f} ms")


def ansi(env: Any, last: dict[str, Any] | None) -> str:
    """The queue and the last batch as text."""
    sim = env.sim
    if not hasattr(sim, "generated"):
        return "MoeBatching-v0: no episode yet (call reset())\n"
    view = sim.slots()
    lines = [
        f"MoeBatching-v0  clock {sim.clock_s:.3f} s  iteration {sim.iterations} "
        f"({sim.last_iteration_ms:.2f} ms)  finished {int(np.sum(sim.generated >= sim.output))}"
        f"/{env.params.n_requests}"
    ]
    if last is not None:
        unique = (last["loads"] > 0).sum(axis=1).mean()
        lines.append(
            f"last batch: {' '.join(f'r{r}' for r in last['batch'].tolist())} "
            f"({last['tokens']} tokens, {unique:.1f} experts per layer)"
        )
    lines.append(" slot  request  kind      tokens  wait_s  expert")
    for index, request in enumerate(view.requests.tolist()):
        kind = "prefill" if view.is_prefill[index] else "decode"
        lines.append(
            f" {index:4d}  {request:7d}  {kind:8s}  {int(view.tokens[index]):6d}  "
            f"{sim.clock_s - float(view.arrival_s[index]):6.2f}  {int(view.primary_expert[index])}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["HEIGHT", "WIDTH", "ansi", "draw_frame", "expert_colour"]
