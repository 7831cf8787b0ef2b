"""The observation and the info arrays of ``CellSim`` (see the env's docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .engine import DOWNLOADING

if TYPE_CHECKING:
    from .sim import CellSim

FEATURES = 10
"""observation columns per user (see the env's docstring)"""


def cell_observation(sim: CellSim) -> np.ndarray:
    """(N, n_users * 10 + 2) float32 observations of every cell of ``sim``."""
    p = sim.params
    top = sim.ladder[-1]
    b = sim.num_envs
    out = np.zeros((b, p.n_users * FEATURES + 2), dtype=np.float32)
    f = out[:, :-2].reshape(b, p.n_users, FEATURES)
    f[..., 0] = np.minimum(sim.rate_mbps / sim.max_rate_mbps, 1.0)
    f[..., 1] = np.minimum(sim.buffer_ms / (p.abr.buffer_cap_s * 1000.0), 1.0)
    f[..., 2] = np.minimum(sim.rem / sim.sizes.max(), 1.0)
    f[..., 3] = sim.level / max(sim.n_levels - 1, 1)
    f[..., 4] = sim.phase == DOWNLOADING
    f[..., 5] = sim.chunk / sim.n_chunks
    if p.personalization == "known":
        f[..., 6] = np.minimum(sim.adequate_kbps / top, 2.0)
        f[..., 7] = np.minimum(sim.desired_kbps / top, 2.0)
    f[..., 8] = sim.sat
    f[..., 9] = np.minimum(sim.avg_mbps / (top / 1000.0), 100.0)
    out[:, -2] = sim.used
    out[:, -1] = np.minimum(sim.steps / p.max_epochs, 1.0)
    return out


def cell_info(sim: CellSim) -> dict[str, np.ndarray]:
    """Per-env arrays: the reward vector, satisfaction, the users' state, and the bounds when
    ``params.bounds`` asks for them (without it the keys are absent, never stale)."""
    info = {
        "reward_vec": sim.reward_vec.copy(),
        "satisfaction": sim.sat.copy(),
        "n_satisfied": (sim.sat >= 0.5).sum(axis=1),
        "prb_used": sim.used.copy(),
        "upper_bound": sim.upper_bound.copy(),
        "count_bound": sim.count_bound.copy(),
        "rate_mbps": sim.rate_mbps.copy(),
        "avg_mbps": sim.avg_mbps.copy(),
        "downloading": sim.phase == DOWNLOADING,
        "level": sim.level.copy(),
        "buffer_s": sim.buffer_ms / 1000.0,
        "chunks": sim.chunk.copy(),
        "mean_qoe": sim.total_qoe / np.maximum(sim.chunk, 1),
        "total_rebuffer_s": sim.total_rebuf_s.copy(),
        "adequate_kbps": sim.adequate_kbps.copy(),
        "desired_kbps": sim.desired_kbps.copy(),
        "persona": sim.persona.copy(),
    }
    if not sim.params.bounds:
        del info["upper_bound"], info["count_bound"]
    return info


__all__ = ["FEATURES", "cell_info", "cell_observation"]
