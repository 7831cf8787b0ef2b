"""Frames of the MoE expert-cache env: ``rgb_array`` (numpy only) and ``ansi`` text.

The 640 x 272 frame shows the decision the env asks for: the expert that missed (to be
loaded), the cache slots with the expert each holds, its next use as far as the policy can see
(a bar that fills as the use comes nearer; empty when it is not visible), which slots are
pinned, and the last decision (the victim evicted and the expert loaded in its place). Below,
the upcoming accesses: resident experts green, missing ones grey, the miss red, and the
accesses beyond the visible lookahead faded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import draw

HEIGHT, WIDTH = 272, 640
RESIDENT = (60, 160, 90)
MISSING = (160, 160, 165)
MISS = (214, 39, 40)
PINNED = (120, 120, 200)
VICTIM = (255, 127, 14)
STRIP = 48
"""upcoming accesses drawn"""


def key_name(env: Any, key: int) -> str:
    """``e<expert>`` for whole-path keys, ``k<key>`` for (layer, expert) keys."""
    return f"e{key}" if env.unit == "path" else f"k{key}"


def draw_frame(env: Any, last: tuple[int, int, int, bool] | None) -> np.ndarray:
    """The ``(272, 640, 3)`` uint8 frame of ``env`` (a ``MoeExpertCacheEnv``) at its pending
    decision; ``last`` = (slot, victim key, loaded key, invalid) of the previous decision."""
    frame = draw.canvas(HEIGHT, WIDTH)
    end = draw.text(frame, 8, 6, "MoE expert cache", draw.INK, scale=2)
    draw.text(frame, end + 8, 12, "(netgym/MoeExpertCache-v0)")
    sim = env.sim
    if sim is None:
        draw.text(frame, 8, 40, "no episode yet: call reset()")
        return frame
    draw.text(
        frame,
        8,
        28,
        f"access {sim.position} of {sim.n_accesses} | hits {sim.hits}, misses {sim.misses} "
        f"(hit ratio {sim.hit_ratio:.2f}) | stall {sim.stall_ms:.1f} ms | Belady MIN "
        f"{env.belady_misses} misses",
    )
    unit = "expert path" if env.unit == "path" else "(layer, expert) slice"
    draw.text(frame, 8, 40, f"{env.capacity} slots, each holds one {unit}", draw.GREY_TEXT)
    if last is not None:
        slot, victim, loaded, invalid = last
        what = "evicted nothing" if victim < 0 else f"evicted {key_name(env, victim)}"
        note = " (asked slot was pinned: first allowed slot used)" if invalid else ""
        draw.text(
            frame,
            8,
            52,
            f"last decision: {what} from slot {slot}, loaded {key_name(env, loaded)}{note}",
            VICTIM if not invalid else MISS,
        )
    if sim.done:
        draw.text(frame, 8, 70, "episode over: every access served", draw.INK, scale=2)
        return frame

    incoming = int(sim.incoming)
    draw.fill(frame, 8, 72, 92, 128, (252, 228, 228))
    draw.box(frame, 8, 72, 92, 128, MISS, width=2)
    draw.text(frame, 50, 78, "MISS", MISS, align="center")
    draw.text(frame, 50, 92, key_name(env, incoming), MISS, scale=2, align="center")
    draw.text(frame, 50, 114, "evict a slot", MISS, align="center")

    position = sim.position
    visible_end = int(sim.visible_end[position])
    next_use = sim.key_next
    allowed = sim.pinned_mask()
    resident = sim.resident
    capacity = env.capacity
    x0, x1 = 104, WIDTH - 8
    slot_w = min((x1 - x0) // capacity, 90)
    for slot in range(capacity):
        left = x0 + slot * slot_w
        right = left + slot_w - 4
        key = int(resident[slot])
        draw.fill(frame, left, 72, right, 128, draw.WHITE)
        recent = last is not None and last[0] == slot
        draw.box(frame, left, 72, right, 128, VICTIM if recent else draw.GREY, 2 if recent else 1)
        centre = (left + right) // 2
        if slot_w >= 40:
            draw.text(frame, centre, 76, f"slot {slot}", draw.GREY_TEXT, align="center")
        name = key_name(env, key) if key >= 0 else "-"
        draw.text(frame, centre, 88, name, RESIDENT, scale=2 if slot_w >= 40 else 1, align="center")
        if key >= 0:
            distance = int(next_use[key]) - position
            seen = int(next_use[key]) < visible_end
            share = 1.0 - distance / max(env.window, 1) if seen else 0.0
            draw.fill(frame, left + 4, 108, right - 4, 112, draw.LIGHT)
            draw.fill(frame, left + 4, 108, left + 4 + share * (right - left - 8), 112, RESIDENT)
            if slot_w >= 60:
                label = f"next use +{distance}" if seen else "not visible"
                draw.text(frame, centre, 116, label, draw.GREY_TEXT, align="center")
        if not allowed[slot]:
            draw.fill(frame, left + 2, 130, right - 2, 138, PINNED)
            if slot_w >= 40:
                draw.text(frame, centre, 131, "pinned", draw.WHITE, align="center")
    draw.text(
        frame,
        104,
        144,
        "bar = how soon the slot's expert is used again (full = now, empty = not visible)",
        draw.GREY_TEXT,
    )
    _strip(frame, env, resident, visible_end)
    return frame


def _strip(frame: np.ndarray, env: Any, resident: np.ndarray, visible_end: int) -> None:
    """The next accesses as cells: resident green, missing grey, the miss red."""
    sim = env.sim
    position = sim.position
    keys = sim.stream.keys[position : position + STRIP]
    steps = sim.stream.step[position : position + STRIP]
    held = set(resident.tolist())
    y = 182
    draw.text(frame, 8, y - 18, f"upcoming accesses (lookahead window {env.window})")
    cell = (WIDTH - 16) // STRIP
    for index, key in enumerate(keys.tolist()):
        left = 8 + index * cell
        colour = MISS if index == 0 else RESIDENT if key in held else MISSING
        ink = draw.WHITE
        if position + index >= visible_end:
            colour = tuple(int(c * 0.35 + 255 * 0.65) for c in colour)
            ink = draw.GREY_TEXT
        draw.fill(frame, left, y, left + cell - 2, y + 22, colour)
        if index and steps[index] != steps[index - 1]:
            draw.fill(frame, left - 1, y - 3, left - 1, y + 25, draw.INK)
        label = str(key)
        if draw.text_width(label) <= cell - 2:
            draw.text(frame, left + (cell - 1) // 2, y + 7, label, ink, align="center")
    draw.legend(
        frame,
        8,
        y + 34,
        (
            ("the miss", MISS, "box"),
            ("resident", RESIDENT, "box"),
            ("not resident", MISSING, "box"),
            ("beyond the lookahead (not visible)", (210, 210, 212), "box"),
            ("| = next layer call", draw.INK, "line"),
        ),
    )
    draw.text(
        frame,
        8,
        y + 52,
        "numbers: expert ids" if env.unit == "path" else "numbers: keys (layer x E + expert)",
        draw.GREY_TEXT,
    )


def ansi(env: Any, last: tuple[int, int, int, bool] | None) -> str:
    """The cache and the pending miss as text."""
    sim = env.sim
    if sim is None:
        return "MoeExpertCache-v0: no episode yet (call reset())\n"
    lines = [
        f"MoeExpertCache-v0  access {sim.position}/{sim.n_accesses}  hits {sim.hits}  misses "
        f"{sim.misses}  stall {sim.stall_ms:.1f} ms  Belady {env.belady_misses} misses"
    ]
    if last is not None:
        slot, victim, loaded, _ = last
        lines.append(
            f"last decision: slot {slot}: {key_name(env, victim) if victim >= 0 else '-'} -> "
            f"{key_name(env, loaded)}"
        )
    if sim.done:
        return "\n".join(lines + ["episode over"]) + "\n"
    visible_end = int(sim.visible_end[sim.position])
    lines.append(f"miss: {key_name(env, int(sim.incoming))} (choose a slot to evict)")
    lines.append(" slot  holds  next_use  pinned")
    allowed = sim.pinned_mask()
    next_use = sim.key_next
    for slot, key in enumerate(sim.resident.tolist()):
        if key < 0:
            lines.append(f" {slot:4d}  -")
            continue
        seen = int(next_use[key]) < visible_end
        distance = f"+{int(next_use[key]) - sim.position}" if seen else "unseen"
        pinned = "" if allowed[slot] else "yes"
        lines.append(f" {slot:4d}  {key_name(env, key):>5}  {distance:>8}  {pinned}")
    upcoming = sim.stream.keys[sim.position : visible_end].tolist()
    lines.append("visible upcoming keys: " + " ".join(map(str, upcoming[:32])))
    return "\n".join(lines) + "\n"


__all__ = ["HEIGHT", "WIDTH", "ansi", "draw_frame", "key_name"]
