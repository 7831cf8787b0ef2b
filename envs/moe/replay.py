"""Moved to ``.cache.replay``; this re-export keeps the old import path for one release."""

from .cache.replay import (
    KERNELS,
    ReplayPolicy,
    ReplayResult,
    belady_miss_positions,
    fifo_miss_positions,
    generic_miss_positions,
    lru_miss_positions,
    next_use_positions,
    replay,
    stall_timeline,
    victim_last_steps,
)

__all__ = [
    "KERNELS",
    "ReplayPolicy",
    "ReplayResult",
    "belady_miss_positions",
    "fifo_miss_positions",
    "generic_miss_positions",
    "lru_miss_positions",
    "next_use_positions",
    "replay",
    "stall_timeline",
    "victim_last_steps",
]
