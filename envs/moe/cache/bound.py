"""Belady's MIN bound of one cache episode: its misses, and their stall on the episode's timeline.

``ExpertCacheSim`` computes it at every reset (``belady_miss_positions``, ``stall_of_misses``):
up to ``SCAN_CAPACITY`` slots the victims are found by a scan (``min_miss_positions``, faster than
``replay.belady_miss_positions``'s heap there, with the same misses), and the stall is
``replay.stall_timeline``'s arithmetic on the sim's precomputed per-access and per-step lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..cost import layer_stall_ms
from .replay import belady_miss_positions

SCAN_CAPACITY = 16
"""up to this capacity, Belady's victim is found by a scan (faster than a heap)"""


def min_miss_positions(
    keys: list[int], following: list[int], capacity: int, victims: list[int] | None = None
) -> np.ndarray:
    """Misses of Belady's MIN, as ``replay.belady_miss_positions`` gives them.

    ``following`` is ``next_use_positions(keys)``. Hits only update the resident key's next use;
    a miss on a full cache scans the residents for the farthest next use (O(capacity), faster
    than a heap for small caches); among keys never used again the smallest goes, as with the
    heap. With ``victims`` (a list), the key each miss evicts (-1: none) is appended to it.
    """
    next_of: dict[int, int] = {}  # resident key -> position of its next use
    missed: list[int] = []
    evicted = victims if victims is not None else []
    position = 0
    for key, upcoming in zip(keys, following, strict=True):
        if key not in next_of:
            missed.append(position)
            victim = -1
            if len(next_of) >= capacity:
                farthest = -1
                for resident, use in next_of.items():
                    if use > farthest or (use == farthest and resident < victim):
                        farthest, victim = use, resident
                del next_of[victim]
            evicted.append(victim)
        next_of[key] = upcoming
        position += 1
    return np.asarray(missed, dtype=np.int64)


def belady_misses(
    keys: list[int],
    following: list[int],
    stream_keys: np.ndarray,
    capacity: int,
    victims: list | None = None,
) -> np.ndarray:
    """Misses of Belady's MIN on a stream of ``keys`` (``following``: their next uses).

    With ``victims`` (a list), the keys the misses evict are appended to it (-1: none): ints
    below ``SCAN_CAPACITY`` slots, int64 arrays above (``np.concatenate`` takes both).
    """
    if capacity <= SCAN_CAPACITY:
        scanned: list[int] | None = [] if victims is not None else None
        misses = min_miss_positions(keys, following, capacity, scanned)
        if victims is not None:
            victims.append(np.asarray(scanned, dtype=np.int64))
        return misses
    return belady_miss_positions(stream_keys, capacity, victims)


def timeline_stall_ms(
    miss_positions: np.ndarray,
    victim_steps: np.ndarray | None,
    steps: Sequence[int],
    step_ms: Sequence[float],
    expert_ms: Sequence[float],
    prefix: Sequence[float],
    load_ms: float,
    prefetch: bool,
) -> float:
    """Total stall of a stream when exactly ``miss_positions`` (ascending) miss.

    The timeline and arithmetic of ``replay.stall_timeline`` (each step's copies through the
    serial queue, issued at the step's start or, with ``prefetch``, one step early where the
    evicted key, last used in step ``victim_steps[i]``, is done by then), on precomputed lists:
    the step of each access (``steps``), each step's compute time (``step_ms``), each access's
    expert compute time (``expert_ms``), the prefix sums of ``step_ms`` and one copy's time.
    """
    positions = np.asarray(miss_positions).tolist()
    if prefetch:
        if victim_steps is None:
            raise ValueError("ExpertCacheSim.stall_of_misses: prefetch needs victim_steps")
        victim_list = np.asarray(victim_steps, dtype=np.int64).tolist()
        if len(victim_list) != len(positions):
            raise ValueError(
                f"ExpertCacheSim.stall_of_misses: {len(victim_list)} victim steps for "
                f"{len(positions)} misses"
            )
    else:
        victim_list = [0] * len(positions)
    now = queue_free = total = last_start = start = previous_start = 0.0
    next_step, current = 0, -1
    ready: list[float] = []
    busy: list[float] = []
    for position, victim_step in zip(positions, victim_list, strict=True):
        step = steps[position]
        if step != current:
            if current >= 0:
                stall, now = layer_stall_ms(start, step_ms[current] - sum(busy), ready, busy)
                total += stall
                next_step, last_start = current + 1, start
            current, ready, busy = step, [], []
            start = now + (prefix[step] - prefix[next_step])
            if step - 1 >= next_step:
                previous_start = now + (prefix[step - 1] - prefix[next_step])
            else:
                previous_start = last_start
        issue = previous_start if prefetch and victim_step < step - 1 else start
        queue_free = max(queue_free, issue) + load_ms
        ready.append(queue_free)
        busy.append(expert_ms[position])
    if current >= 0:
        total += layer_stall_ms(start, step_ms[current] - sum(busy), ready, busy)[0]
    return total


__all__ = ["SCAN_CAPACITY", "belady_misses", "min_miss_positions", "timeline_stall_ms"]
