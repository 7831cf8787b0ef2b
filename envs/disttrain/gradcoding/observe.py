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

from .kernels import observe_envs
from .schemes import KINDS

if TYPE_CHECKING:
    from .sim import GradCodingSim

WINDOW = 8
"""rounds the observation looks back"""
BURST_BINS = 8
OBS_SIZE = 3 + BURST_BINS + 1 + WINDOW + len(KINDS) + 3


def observe(sim: GradCodingSim) -> np.ndarray:
    """(N, OBS_SIZE) observations of every env (the ``observe_envs`` kernel)."""
    out = np.empty((sim.num_envs, OBS_SIZE), dtype=np.float32)
    observe_envs(
        sim.per_worker,
        sim.recent,
        sim.counters,
        sim.times,
        sim.rules,
        sim.kinds,
        sim.episode,
        out,
    )
    return out


__all__ = ["OBS_SIZE", "WINDOW", "observe"]
