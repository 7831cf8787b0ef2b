"""``UavRadio``: the radio side of the multi-UAV env for one ``UavParams``, without episode state.

Received powers through the channel model (``channel.py``), the BS power at each user, the SINR
with co-channel interference among the UAVs (reference/uav.md 6.2) and the greedy association
(``association.py``) of any UAV placement over any users. ``UavSim`` builds on it; baselines and
bounds use it to evaluate candidate placements with the env's own code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .association import greedy_association
from .channel import make_channel, make_penetration
from .layouts import bs_positions
from .linkbudget import sinr_from_mw, work_arrays
from .params import UavParams
from .planes import pairwise_sum, total_power

LN10_OVER_10 = math.log(10.0) / 10.0
"""dB to natural-log scale: 10 ** (x / 10) = exp(x * LN10_OVER_10)"""


def _dbm_to_mw(power_dbm: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``10 ** (p / 10)`` as ``exp(p ln(10) / 10)``: twice as fast on the N x n_cells tables,
    equal to within a few ulps (every received power of the sim goes through here); in place
    in ``out`` when given (which may be ``power_dbm``)."""
    return np.exp(np.multiply(power_dbm, LN10_OVER_10, out=out), out=out)


class UavRadio:
    """Received powers, SINRs and associations of UAV placements under ``params``.

    Attributes: ``params``, the link models ``channel`` (UAV links) and ``bs_channel``, the O2I
    add-on ``penetration``, ``bs_xy`` (n_bs, 2), ``lattice_shape`` (nx, ny) and ``noise_mw``.
    """

    def __init__(self, params: UavParams) -> None:
        self.params = params
        self.channel = make_channel(params.channel, **params.channel_kwargs)
        self.bs_channel = make_channel(params.bs_channel)
        self.penetration = make_penetration(params.o2i, **params.o2i_kwargs)
        self.bs_xy = bs_positions(params)
        nx, ny = params.lattice_shape
        self.lattice_shape = (nx, ny)
        self.noise_mw = 10.0 ** (params.noise_dbm / 10.0)

    def rx_mw(
        self, uav_xy: np.ndarray, user_xy: np.ndarray, indoor_loss_db: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """Received power (mW) of every user from every UAV: (M, N, K) for uav_xy (M, K, 2)
        and user_xy (M, N, 2); ``indoor_loss_db`` (M, N) is added to each user's links."""
        params = self.params
        dx = user_xy[:, :, None, 0] - uav_xy[:, None, :, 0]
        dy = user_xy[:, :, None, 1] - uav_xy[:, None, :, 1]
        horizontal = np.sqrt(dx * dx + dy * dy)
        loss_db = self.channel.path_loss_db(horizontal, params.uav_altitude_m, params.fc_hz)
        loss_db = loss_db + np.asarray(indoor_loss_db)[..., None]
        return _dbm_to_mw(params.uav_tx_dbm - loss_db)

    def _rx_pairs(
        self, uav_xy: np.ndarray, user_xy: np.ndarray, indoor_loss_db: np.ndarray
    ) -> np.ndarray:
        """``rx_mw`` on the simulator's own (valid) state, (M, N, K): ``_rx_links`` of the
        coordinate planes. ``uav_xy`` (M or 1, K, 2) broadcasts against ``user_xy`` (M, N, 2)."""
        # contiguous coordinate planes first: broadcasting the strided x / y views of the
        # (..., 2) arrays is twice as slow on N x n_cells tables; the values are the same
        planes = [
            np.ascontiguousarray(xy[..., axis]) for xy in (user_xy, uav_xy) for axis in (0, 1)
        ]
        return self._rx_links(
            planes[0][:, :, None],
            planes[1][:, :, None],
            planes[2][:, None, :],
            planes[3][:, None, :],
            indoor_loss_db[..., None],
        )

    def _rx_links(
        self,
        user_x: np.ndarray,
        user_y: np.ndarray,
        uav_x: np.ndarray,
        uav_y: np.ndarray,
        indoor_loss_db: np.ndarray,
        work: np.ndarray | None = None,
    ) -> np.ndarray:
        """Received power (mW) of users from UAVs given as coordinate arrays that broadcast
        against each other (any layout: (M, N, K) pairs, (M, K, N) planes, tables): the
        arithmetic of ``rx_mw`` without input checks, and no indoor term when there are no
        indoor users (adding 0 dB changes nothing).

        ``work``: None, or at least 3 x (the broadcast size) floats to compute in (the result
        is then a view of it, valid until the next call); nothing large is allocated.
        """
        if work is None:
            dx, dy = user_x - uav_x, user_y - uav_y
            loss_db = np.empty(dx.shape)
        else:
            dx, dy, loss_db = work_arrays(work, np.broadcast_shapes(user_x.shape, uav_x.shape))
            np.subtract(user_x, uav_x, out=dx)
            np.subtract(user_y, uav_y, out=dy)
        return self._rx_offsets(dx, dy, indoor_loss_db, loss_db)

    def _rx_offsets(
        self, dx: np.ndarray, dy: np.ndarray, indoor_loss_db: Any, out: np.ndarray
    ) -> np.ndarray:
        """``_rx_links`` from the links' horizontal offsets ``dx``, ``dy`` (user minus UAV),
        written into ``out`` (their shape); ``dx`` and ``dy`` are overwritten."""
        params = self.params
        loss_db = out
        np.multiply(dx, dx, out=dx)
        np.multiply(dy, dy, out=dy)
        horizontal = np.sqrt(np.add(dx, dy, out=dx), out=dx)
        self.channel._path_loss_into(
            horizontal, params.uav_altitude_m, params.fc_hz, out=loss_db, scratch=dy
        )
        if params.indoor_ratio > 0:
            np.add(loss_db, indoor_loss_db, out=loss_db)
        return _dbm_to_mw(np.subtract(params.uav_tx_dbm, loss_db, out=loss_db), out=loss_db)

    def _coverable(self, user_xy: np.ndarray, indoor_loss_db: np.ndarray) -> np.ndarray:
        """Interference-free bound (reference 5, bound 2) of M user sets (M, N, 2): users whose
        SNR from their best UAV position reaches the threshold, capped by K * capacity, (M,).

        Every channel model's loss grows with distance, so the best lattice position of a user
        is its nearest lattice point (per axis; directly above it in continuous mode): one link
        per user instead of the n_cells x N of ``baselines/uav/bounds.py``, same value."""
        params = self.params
        if params.continuous:
            best_xy = user_xy
        else:
            nx, ny = self.lattice_shape
            grid = np.rint(user_xy / params.grid_cell_m)
            grid = np.minimum(np.maximum(grid, 0.0), [nx - 1, ny - 1])
            best_xy = grid * params.grid_cell_m
        planes = [
            np.ascontiguousarray(xy[..., axis]) for xy in (user_xy, best_xy) for axis in (0, 1)
        ]
        rx_mw = self._rx_links(*planes, indoor_loss_db)
        snr_db = np.log10(np.divide(rx_mw, self.noise_mw, out=rx_mw), out=rx_mw)
        np.multiply(snr_db, 10.0, out=snr_db)
        covered = (snr_db >= params.sinr_threshold_db).sum(axis=-1)
        return np.minimum(covered, params.n_uavs * params.capacity)

    def _bs_rx_mw(self, user_xy: np.ndarray, indoor_loss_db: np.ndarray) -> np.ndarray:
        """Total BS power (mW) at each user, (M, N) (interference when ``bs_interference``)."""
        params = self.params
        if len(self.bs_xy) == 0:
            return np.zeros(user_xy.shape[:2])
        delta = user_xy[:, :, None, :] - self.bs_xy[None, None]
        horizontal = np.sqrt((delta * delta).sum(axis=-1))
        loss_db = self.bs_channel.path_loss_db(horizontal, params.bs_height_m, params.fc_hz)
        loss_db = loss_db + indoor_loss_db[..., None]
        return _dbm_to_mw(params.bs_tx_dbm - loss_db).sum(axis=-1)

    def _floor_mw(self, bs_rx_mw: np.ndarray | float) -> np.ndarray | float:
        """Noise plus the BS power ``bs_rx_mw`` ((M, N), or 0.0), broadcasting against (M, N, K)
        received powers."""
        if isinstance(bs_rx_mw, np.ndarray):
            return self.noise_mw + bs_rx_mw[..., None]
        return self.noise_mw + bs_rx_mw

    def _sinr_db(self, rx_mw: np.ndarray, bs_rx_mw: np.ndarray | float) -> np.ndarray:
        """SINR in dB from received powers (M, N, K) (reference 6.2: co-channel interference)."""
        co_channel = self.params.interference == "co_channel"
        total_mw = total_power(rx_mw, axis=-1) if co_channel else None
        return sinr_from_mw(rx_mw, self._floor_mw(bs_rx_mw), total_mw)

    def _sinr_planes(
        self,
        rx_mw: np.ndarray,
        bs_rx_mw: np.ndarray | float,
        out: np.ndarray | None = None,
        total: np.ndarray | None = None,
    ) -> np.ndarray:
        """``_sinr_db`` in plane layout: received powers (K, M, N), BS power (M, N) or 0.0;
        the SINRs (K, M, N), written into ``out`` when given (not ``rx_mw`` itself), with each
        user's total UAV power in ``total`` (M, N) when given."""
        total_mw = None
        if self.params.interference == "co_channel":
            total_mw = pairwise_sum(list(rx_mw), out=total)
        return sinr_from_mw(rx_mw, self.noise_mw + bs_rx_mw, total_mw, out=out)

    def _assoc_without_each(self, rx_mw: np.ndarray, bs_rx_mw: np.ndarray) -> np.ndarray:
        """Users associated when UAV k is switched off, for each k: (M, K)."""
        n_envs, n_users, n_uavs = rx_mw.shape
        if n_uavs == 1:
            return np.zeros((n_envs, 1))
        keep = ~np.eye(n_uavs, dtype=bool)  # row k: every UAV but k
        others = np.stack([rx_mw[:, :, keep[k]] for k in range(n_uavs)], axis=1)
        others = others.reshape(n_envs * n_uavs, n_users, n_uavs - 1)
        bs = np.repeat(np.asarray(bs_rx_mw), n_uavs, axis=0)
        _, load = greedy_association(
            self._sinr_db(others, bs), self.params.sinr_threshold_db, self.params.capacity
        )
        return load.sum(axis=1).reshape(n_envs, n_uavs)

    # ------------------------------------------------------------------ evaluators
    def association_for(
        self,
        uav_xy: np.ndarray,
        user_xy: np.ndarray,
        indoor_loss_db: np.ndarray | float = 0.0,
        bs_rx_mw: np.ndarray | float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Association (M, N) and SINR (M, N, K) of M candidate placements ``uav_xy`` (M, K, 2)
        over users ``user_xy`` (N, 2) or (M, N, 2), by the env's own association code.

        ``indoor_loss_db`` ((N,) or (M, N)) and ``bs_rx_mw`` default to outdoor users and, when
        ``bs_interference`` is on, the BS power recomputed for these users.
        """
        uav_xy = np.asarray(uav_xy, dtype=float)
        if uav_xy.ndim != 3 or uav_xy.shape[1:] != (self.params.n_uavs, 2):
            raise ValueError(
                f"uav_xy must have shape (M, {self.params.n_uavs}, 2), got {uav_xy.shape}"
            )
        n_cand = uav_xy.shape[0]
        user_xy = np.asarray(user_xy, dtype=float)
        if user_xy.ndim == 2:
            user_xy = np.broadcast_to(user_xy, (n_cand, *user_xy.shape))
        if user_xy.shape != (n_cand, self.params.n_users, 2):
            raise ValueError(
                f"user_xy must have shape ({self.params.n_users}, 2) or "
                f"({n_cand}, {self.params.n_users}, 2), got {user_xy.shape}"
            )
        indoor = np.broadcast_to(np.asarray(indoor_loss_db, dtype=float), user_xy.shape[:2])
        if bs_rx_mw is None:
            bs_rx_mw = self._bs_rx_mw(user_xy, indoor) if self.params.bs_interference else 0.0
        bs = np.broadcast_to(np.asarray(bs_rx_mw, dtype=float), user_xy.shape[:2])
        sinr_db = self._sinr_db(self.rx_mw(uav_xy, user_xy, indoor), bs)
        association, _ = greedy_association(
            sinr_db, self.params.sinr_threshold_db, self.params.capacity
        )
        return association, sinr_db

    def count_associated(
        self,
        uav_xy: np.ndarray,
        user_xy: np.ndarray,
        indoor_loss_db: np.ndarray | float = 0.0,
        bs_rx_mw: np.ndarray | float | None = None,
    ) -> np.ndarray:
        """Number of UAV-associated users of each of M placements, (M,) int (see
        ``association_for``); for baselines such as PSO and k-means."""
        association, _ = self.association_for(uav_xy, user_xy, indoor_loss_db, bs_rx_mw)
        return (association >= 0).sum(axis=1)


__all__ = ["UavRadio"]
