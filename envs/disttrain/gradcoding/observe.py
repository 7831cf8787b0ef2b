"""Observations of ``netgym/SeqGradCoding-v0`` (27 values in [0, 1], float32), over the last
``WINDOW`` = 8 rounds (reference section 6, E2 "Observation"):

0. distinct workers that were late (slower than the wait) in the last 8 rounds, / n;
1. mean late workers per round over the last 8 rounds, / n;
2. persistence: the share of the previous round's late workers late again (0 if none);
3-10. the current late workers' burst lengths 1, 2, ..., 7, 8+ rounds, as shares of them;
11. the share of the last epoch's rounds whose stragglers conformed to the scheme;
12-19. the last 8 round durations d, newest first, as ``x / (1 + x)`` of
    ``x = d / (c_comp + median base delay)``;
20-23. the active scheme (no coding, GC, SR-SGC, M-SGC) one-hot (all 0 before the first);
24. its load over the menu's largest; 25. its decoding delay over the menu's longest;
26. the share of the jobs started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .schemes import KINDS

if TYPE_CHECKING:
    from .sim import GradCodingSim

WINDOW = 8
"""rounds the observation looks back"""
BURST_BINS = 8
OBS_SIZE = 3 + BURST_BINS + 1 + WINDOW + len(KINDS) + 3


def observe(sim: GradCodingSim) -> np.ndarray:
    """(N, OBS_SIZE) observations of every env."""
    n_envs, n = sim.num_envs, sim.params.n_workers
    out = np.zeros((n_envs, OBS_SIZE), dtype=np.float32)
    seen = sim.seen
    out[:, 0] = (seen != 0).sum(axis=1) / n
    rounds = np.minimum(sim.t, WINDOW)
    out[:, 1] = sim.recent_late.sum(axis=1) / np.maximum(rounds, 1) / n
    now = (seen & 1) != 0
    before = (seen & 2) != 0
    again = (now & before).sum(axis=1)
    out[:, 2] = again / np.maximum(before.sum(axis=1), 1)
    burst = np.minimum(sim.burst, BURST_BINS).astype(np.int64)
    late = burst > 0
    bins = BURST_BINS + 1
    flat = (np.arange(n_envs)[:, None] * bins + burst).ravel()
    counts = np.bincount(flat, minlength=n_envs * bins).reshape(n_envs, bins)
    out[:, 3 : 3 + BURST_BINS] = counts[:, 1:] / np.maximum(late.sum(axis=1), 1)[:, None]
    base = 3 + BURST_BINS
    out[:, base] = sim.epoch_conform
    scaled = sim.recent_duration / sim.norm[:, None]
    out[:, base + 1 : base + 1 + WINDOW] = scaled / (1.0 + scaled)
    base += 1 + WINDOW
    chosen = sim.arm >= 0
    arm = np.maximum(sim.arm, 0)
    table = sim.table
    out[np.flatnonzero(chosen), base + table.kind[arm[chosen]]] = 1.0
    base += len(KINDS)
    out[:, base] = np.where(chosen, table.load[arm] / table.load.max(), 0.0)
    out[:, base + 1] = np.where(chosen, table.delay[arm] / max(table.delay.max(), 1), 0.0)
    out[:, base + 2] = sim.jobs_started / sim.params.jobs
    return out


__all__ = ["OBS_SIZE", "WINDOW", "observe"]
