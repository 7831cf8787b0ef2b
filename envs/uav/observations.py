"""Observations of the multi-UAV env, read from the state arrays of ``UavSim``.

``UavObservations`` is a base class of ``UavSim``: each method builds one observation of the envs
``idx`` (``slice(None)`` = all) from the sim's arrays, as a fresh float32 (or int64 cell) array:
the central observation of each ``obs_mode`` (``observation``: lattice cells, the global
``state`` vector, or the ``image_state`` planes) and the per-agent ones of the PettingZoo env
(``agent_observations``: own cell, ``vector_obs`` or ``image_obs``).
"""

from __future__ import annotations

import numpy as np

from ..core.sim import Rows
from .params import UavParams


class UavObservations:
    """Observation builders over the (B, ...) state arrays below (set by ``UavSim``)."""

    params: UavParams
    area: np.ndarray
    """(2,) width and height of the area, metres"""
    lattice_shape: tuple[int, int]
    uav_xy: np.ndarray
    user_xy: np.ndarray
    association: np.ndarray
    load: np.ndarray
    n_assoc: np.ndarray
    steps: np.ndarray
    _cells: np.ndarray
    """(B, K) lattice cells of the UAVs as of the last reset or step (discrete mode)"""

    def observation(self) -> np.ndarray:
        """The central observation of every env for ``params.obs_mode``, a fresh array: lattice
        cells (B, K), the global ``state`` (B, 3K + 2 + G^2) or ``image_state`` (B, 1 + K, G, G).
        """
        mode = self.params.obs_mode
        if mode == "tabular":
            return self.last_cells().copy()
        if mode == "vector":
            return self.state()
        return self.image_state()

    def agent_observations(self, env: int = 0) -> np.ndarray:
        """Per-agent observations of env ``env``: (K,) cells or (K, ...) arrays."""
        mode = self.params.obs_mode
        idx = slice(env, env + 1)
        if mode == "tabular":
            return self.last_cells(idx)[0]
        if mode == "vector":
            return self.vector_obs(idx)[0]
        return self.image_obs(idx)[0]

    def cells(self, idx: Rows = slice(None)) -> np.ndarray:
        """Index of the lattice point nearest each UAV, (B, K): ``iy * nx + ix``."""
        nx, ny = self.lattice_shape
        grid = np.rint(self.uav_xy[idx] / self.params.grid_cell_m).astype(np.int64)
        ix = np.clip(grid[..., 0], 0, nx - 1)
        iy = np.clip(grid[..., 1], 0, ny - 1)
        return iy * nx + ix

    def last_cells(self, idx: Rows = slice(None)) -> np.ndarray:
        """``cells(idx)`` as of the last reset or step (cached there in discrete mode), (B, K)."""
        if self.params.continuous:
            return self.cells(idx)
        return self._cells[idx]

    def heatmap(self, idx: Rows = slice(None)) -> np.ndarray:
        """Users not served by a UAV per coarse cell, (B, G, G) [row = y, col = x], in units of
        one UAV's capacity and capped at 1."""
        size = self.params.heatmap_size
        users = self.user_xy[idx]
        n_envs = users.shape[0]
        coarse = np.minimum((users / self.area * size).astype(np.int64), size - 1)
        flat = np.arange(n_envs)[:, None] * size * size + coarse[..., 1] * size + coarse[..., 0]
        unserved = (self.association[idx] < 0).astype(float)
        counts = np.bincount(flat.ravel(), unserved.ravel(), minlength=n_envs * size * size)
        return np.minimum(counts.reshape(n_envs, size, size) / self.params.capacity, 1.0)

    def _common(self, idx: Rows) -> tuple[np.ndarray, ...]:
        params = self.params
        xy = self.uav_xy[idx] / self.area
        load = self.load[idx] / params.capacity
        coverage = self.n_assoc[idx] / params.n_users
        time = self.steps[idx] / params.max_steps
        return xy, load, coverage, time

    def vector_obs(self, idx: Rows = slice(None)) -> np.ndarray:
        """Per-agent vector observations in [0, 1], (B, K, 5 + 2 (K - 1) + G^2): own (x, y) /
        area, the others' relative positions ((dx / W + 1) / 2, sorted by id), own load /
        capacity, n_assoc / N, t / max_steps and the unserved-user heatmap."""
        xy, load, coverage, time = self._common(idx)
        n_envs, n_uavs = xy.shape[:2]
        keep = ~np.eye(n_uavs, dtype=bool)
        relative = (xy[:, None, :, :] - xy[:, :, None, :] + 1.0) / 2.0  # [b, me, other]
        others = relative[:, keep].reshape(n_envs, n_uavs, 2 * (n_uavs - 1))
        shared = np.concatenate(
            [coverage[:, None], time[:, None], self.heatmap(idx).reshape(n_envs, -1)], axis=1
        )
        return np.concatenate(
            [xy, others, load[..., None], np.repeat(shared[:, None], n_uavs, axis=1)], axis=2
        ).astype(np.float32)

    def state(self, idx: Rows = slice(None)) -> np.ndarray:
        """Global state in [0, 1], (B, 3K + 2 + G^2): all (x, y) / area, loads / capacity,
        n_assoc / N, t / max_steps and the unserved-user heatmap."""
        xy, load, coverage, time = self._common(idx)
        n_envs = xy.shape[0]
        parts = [xy.reshape(n_envs, -1), load, coverage[:, None], time[:, None]]
        parts.append(self.heatmap(idx).reshape(n_envs, -1))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def uav_planes(self, idx: Rows = slice(None)) -> np.ndarray:
        """One G x G plane per UAV with a 1 at its coarse cell, (B, K, G, G)."""
        size = self.params.heatmap_size
        coarse = np.minimum((self.uav_xy[idx] / self.area * size).astype(np.int64), size - 1)
        planes = np.zeros((*coarse.shape[:2], size, size), dtype=np.float32)
        b_idx, k_idx = np.indices(coarse.shape[:2])
        planes[b_idx, k_idx, coarse[..., 1], coarse[..., 0]] = 1.0
        return planes

    def image_obs(self, idx: Rows = slice(None)) -> np.ndarray:
        """Per-agent images (B, K, 3, G, G): unserved heatmap, own position, other UAVs."""
        heat = self.heatmap(idx).astype(np.float32)
        planes = self.uav_planes(idx)
        others = np.clip(planes.sum(axis=1, keepdims=True) - planes, 0.0, 1.0)
        heat = np.broadcast_to(heat[:, None], planes.shape)
        return np.stack([heat, planes, others], axis=2)

    def image_state(self, idx: Rows = slice(None)) -> np.ndarray:
        """Global image (B, 1 + K, G, G): unserved heatmap, then one plane per UAV."""
        heat = self.heatmap(idx).astype(np.float32)
        return np.concatenate([heat[:, None], self.uav_planes(idx)], axis=1)


__all__ = ["UavObservations"]
