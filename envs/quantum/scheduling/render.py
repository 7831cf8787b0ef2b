"""Frames of the quantum-network scheduling env: ``rgb_array`` (numpy only) and ``ansi`` text.

The 640 x 400 frame shows, left, the topology (end nodes dark and named, repeaters light) with
the path of every running execution in its demand's colour and, on each link, a square for a
stored pair coloured by its fidelity; right, the demands (the most urgent first): endpoints,
F_min and period, what the demand is doing (served on which path, waiting, idle) and a bar of
the time left to its oldest job's deadline. A header gives the slot, the job counts and the
action of the last step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import draw

HEIGHT, WIDTH = 400, 640
MAP = (16, 92, 300, 372)
"""(x0, y0, x1, y1) of the topology drawing"""
LIST_X = 318
ROW_H = 24
EDGE = (170, 170, 175)
END_NODE = (60, 60, 70)
REPEATER = (225, 225, 232)
F_LOW = 0.5


def layout(topology: Any) -> np.ndarray:
    """(n, 2) node positions in [0, 1]^2 (drawn once per topology and cached by the env)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(topology.n_nodes))
    graph.add_edges_from(map(tuple, np.asarray(topology.edges).tolist()))
    if topology.n_nodes <= 2:
        positions = {node: (float(node), 0.5) for node in range(topology.n_nodes)}
    elif topology.n_nodes <= 60 and nx.is_connected(graph):
        positions = nx.kamada_kawai_layout(graph)
    else:
        positions = nx.spring_layout(graph, seed=0, iterations=50)
    xy = np.array([positions[node] for node in range(topology.n_nodes)], dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    return (xy - low) / np.where(high > low, high - low, 1.0)


def _demand_colour(index: int) -> np.ndarray:
    return draw.PALETTE[index % len(draw.PALETTE)]


def describe_action(env: Any, action: int | None) -> str:
    """The last action in words."""
    if action is None:
        return "none yet"
    if action == 0:
        return "idle"
    demand, path, depth = env.decode_action(action)
    return f"serve d{demand} on path {path} with {depth} pumping round(s)"


def draw_frame(env: Any, positions: np.ndarray, action: int | None) -> np.ndarray:
    """The ``(400, 640, 3)`` uint8 frame of the scheduling env ``env`` after ``action``."""
    sim, params, topology = env.sim, env.params, env.topology
    frame = draw.canvas(HEIGHT, WIDTH)
    end = draw.text(frame, 8, 6, "Quantum network scheduling", draw.INK, scale=2)
    draw.text(frame, end + 8, 12, "(netgym/QuantumNetworkScheduling-v0)")
    pending = int(sim.pending_count.sum())
    draw.text(
        frame,
        8,
        28,
        f"slot {sim.t} of {params.horizon_slots} ({sim.t * params.slot_s:.2f} s) | jobs "
        f"completed {sim.n_completed}, missed {int(sim.missed.sum())}, pending {pending}",
    )
    draw.text(frame, 8, 40, f"last action: {describe_action(env, action)}")
    draw.legend(
        frame,
        8,
        56,
        (
            ("end node", END_NODE, "dot"),
            ("repeater", (150, 150, 160), "dot"),
            ("path being served (demand colour)", draw.PALETTE[0], "line"),
        ),
    )
    x = draw.text(frame, 8, 70, "square on a link = stored pair, fidelity") + 6
    draw.text(frame, x, 70, f"{F_LOW:g}", draw.GREY_TEXT)
    x += draw.text_width(f"{F_LOW:g}") + 4
    frame[71:77, x : x + 80] = draw.colormap(np.linspace(0.0, 1.0, 80))[None]
    x = draw.text(frame, x + 84, 70, "1", draw.GREY_TEXT)
    draw.text(frame, x + 16, 70, "| bar: time to the deadline / period")

    x0, y0, x1, y1 = MAP
    px = x0 + 12 + positions[:, 0] * (x1 - x0 - 24)
    py = y0 + 12 + positions[:, 1] * (y1 - y0 - 24)
    draw.box(frame, x0, y0, x1, y1, draw.LIGHT)
    edges = np.asarray(topology.edges)
    for a, b in edges:
        draw.line(frame, px[a], py[a], px[b], py[b], EDGE, width=1)
    for ex in sim.executions:
        colour = _demand_colour(ex.protocol.demand)
        for edge in ex.edges:
            a, b = edges[edge]
            draw.line(frame, px[a], py[a], px[b], py[b], colour, width=4)
    for ex in sim.executions:
        for edge, held, fidelity in zip(ex.edges, ex.has_pair, ex.fidelity, strict=True):
            if held:
                a, b = edges[edge]
                mx, my = (px[a] + px[b]) / 2, (py[a] + py[b]) / 2
                draw.fill(frame, mx - 5, my - 5, mx + 5, my + 5, draw.INK)
                colour = draw.colormap((fidelity - F_LOW) / (1 - F_LOW))
                draw.fill(frame, mx - 4, my - 4, mx + 4, my + 4, colour)
    ends = set(topology.end_nodes)
    radius = 7 if topology.n_nodes <= 40 else 4
    for node in range(topology.n_nodes):
        end = node in ends
        draw.disc(frame, px[node], py[node], radius, END_NODE if end else (120, 120, 130))
        if not end:
            draw.disc(frame, px[node], py[node], radius - 2, REPEATER)
        if topology.n_nodes <= 30:
            draw.text(frame, px[node] + radius + 2, py[node] - radius - 6, topology.nodes[node])
    _demands(frame, env)
    return frame


def _demands(frame: np.ndarray, env: Any) -> None:
    """The demand list, most urgent first: in service, then by the slack of the oldest job."""
    sim = env.sim
    nodes = env.topology.nodes
    serving = {ex.protocol.demand: ex for ex in sim.executions}
    slack = np.where(sim.pending_count > 0, sim.head_deadline - sim.t, np.iinfo(np.int64).max)
    order = np.lexsort((slack, ~sim.in_service))
    rows = (HEIGHT - 106 - 12) // ROW_H
    draw.text(frame, LIST_X, 92, "demands, most urgent first")
    y = 106
    for count, d in enumerate(order[:rows]):
        demand = sim.demands[d]
        colour = _demand_colour(int(d))
        draw.fill(frame, LIST_X, y + 1, LIST_X + 7, y + 8, colour)
        draw.text(
            frame,
            LIST_X + 12,
            y,
            f"d{d} {nodes[demand.source]}-{nodes[demand.destination]} F>={demand.fidelity_min:.2f}"
            f" every {int(sim.periods[d])} slots",
        )
        if d in serving:
            ex = serving[d]
            ready = int((ex.has_pair & (ex.pumps >= ex.protocol.depth)).sum())
            status = f"serving: {ready}/{len(ex.edges)} hops ready, depth {ex.protocol.depth}"
            status_colour = colour
        elif sim.pending_count[d] > 0:
            status, status_colour = f"waiting, {int(sim.pending_count[d])} job(s)", draw.INK
        else:
            status, status_colour = "idle (no pending job)", draw.GREY_TEXT
        draw.text(frame, LIST_X + 12, y + 11, status, status_colour)
        if sim.pending_count[d] > 0:
            left = max(int(sim.head_deadline[d]) - sim.t, 0)
            share = min(left / max(int(sim.periods[d]), 1), 1.0)
            bx = WIDTH - 70
            draw.fill(frame, bx, y + 2, bx + 60, y + 7, draw.LIGHT)
            bar = (214, 39, 40) if share < 0.25 else (90, 90, 100)
            draw.fill(frame, bx, y + 2, bx + int(round(share * 60)), y + 7, bar)
            draw.text(frame, bx + 30, y + 11, f"{left} slots", draw.GREY_TEXT, align="center")
        y += ROW_H
        if count == rows - 1 and len(order) > rows:
            draw.text(frame, LIST_X, y, f"... and {len(order) - rows} more demands", draw.GREY_TEXT)


def ansi(env: Any, action: int | None) -> str:
    """The slot, the last action and every demand's state as text."""
    sim, params = env.sim, env.params
    nodes = env.topology.nodes
    lines = [
        f"QuantumNetworkScheduling-v0  slot {sim.t}/{params.horizon_slots}  completed "
        f"{sim.n_completed}  missed {int(sim.missed.sum())}  last action: "
        f"{describe_action(env, action)}",
        " demand  nodes      F_min  period  pending  deadline_in  state",
    ]
    serving = {ex.protocol.demand: ex for ex in sim.executions}
    for d, demand in enumerate(sim.demands):
        pending = int(sim.pending_count[d])
        left = f"{int(sim.head_deadline[d]) - sim.t}" if pending else "-"
        if d in serving:
            ex = serving[d]
            state = "serving path " + "-".join(nodes[n] for n in ex.protocol.path)
        else:
            state = "waiting" if pending else "idle"
        pair = f"{nodes[demand.source]}-{nodes[demand.destination]}"
        lines.append(
            f" d{d:<6d} {pair:<9}  {demand.fidelity_min:5.2f}  {int(sim.periods[d]):6d}  "
            f"{pending:7d}  {left:>11}  {state}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["HEIGHT", "WIDTH", "ansi", "describe_action", "draw_frame", "layout"]
