"""Multi-UAV offloading dynamics, batched over B environments (pure numpy, no gymnasium).

State of env ``b``: ``uav_xy[b]`` (K, 2) and ``user_xy[b]`` (N, 2) in metres, the per-user
indoor loss, and the step counter. One step moves every UAV (a lattice move or a clipped
velocity), optionally random-walks the users, then recomputes the air-to-ground path loss of
every user/UAV pair through the channel model, the received powers, the SINR with co-channel
interference among the UAVs (reference/uav.md 6.2; ``radio.py``) and the greedy association
(``association.py``). ``UavSim`` follows the ``BatchSim`` protocol (``envs/core/sim.py``); its
observations are built in ``observations.py``.

The batched kernel computes in plane layout (``planes.py``): received powers gathered from
per-env tables filled the first time a UAV visits a lattice point, each user's strongest UAV,
and the full SINRs only when ``sinr_db`` is read. A single env with static users and discrete
moves has a fast path (``UavSim.step_one``, ``single.py``), tested bit-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.sim import Rows, TimeLimit, rows
from .association import greedy_association
from .channel import apply_indoor, indoor_mask
from .layouts import make_users, place_users, random_walk, user_draws
from .linkbudget import sinr_from_mw
from .memory import check_uav_memory, fast_one, moves_by_table, table_mode
from .observations import UavObservations
from .params import UavParams
from .planes import RxTables, assign_best, associate_planes, pairwise_sum, strongest
from .radio import UavRadio
from .rewards import agent_rewards, step_info
from .single import OneEnvStep

EVERY = slice(None)
"""the ``idx`` of every env"""

DIRECTIONS = {
    4: np.array([[1, 0], [0, 1], [-1, 0], [0, -1]]),
    8: np.array([[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]]),
}
"""unit lattice moves: E, N, W, S (4) or E, NE, N, NW, W, SW, S, SE (8)"""


def move_table(params: UavParams) -> np.ndarray:
    """Displacement in metres of each discrete action, (n_actions, 2); row 0 is hover.

    Action ``1 + d + D * (l - 1)`` moves in direction ``d`` at speed level ``l`` (1-based):
    ``round(speed_l * dt / grid_cell_m)`` cells along an axis direction, and along a diagonal
    ``floor`` of that over sqrt(2) cells on each axis, so that no move is longer than
    ``speed_l * dt`` (reference/uav.md 6.6.1); a diagonal too slow to reach the next lattice
    point leaves the UAV where it is.
    """
    directions = DIRECTIONS[params.directions]
    diagonal = np.all(directions != 0, axis=1)[:, None]
    table = [np.zeros((1, 2))]
    for speed in params.speed_levels_mps:
        cells = round(speed * params.dt_s / params.grid_cell_m)
        diagonal_cells = int(np.floor(cells / np.sqrt(2.0) + 1e-9))
        per_axis = np.where(diagonal, diagonal_cells, cells)
        table.append(directions * per_axis * params.grid_cell_m)
    return np.asarray(np.vstack(table), dtype=float)


class UavSim(OneEnvStep, TimeLimit, UavRadio, UavObservations):
    """B multi-UAV offloading envs stepped together (a ``BatchSim``).

    Public arrays (env axis first): ``uav_xy`` (B, K, 2), ``user_xy`` (B, N, 2),
    ``indoor`` (B, N) bool, ``indoor_loss_db`` (B, N), ``steps`` (B,), ``sinr_db`` (B, N, K),
    ``association`` (B, N), ``load`` (B, K), ``n_assoc`` (B,), ``rewards`` (B, K) (per-agent
    reward of ``params.reward``) and ``global_reward`` (B,) = n_assoc / N (also ``reward``, the
    reward of the central and vector envs). ``bs_xy`` (n_bs, 2) is shared. The radio
    (``rx_mw``, ``association_for``, ``count_associated``, ...) comes from ``UavRadio``, the
    observations (``observation``, ``state``, ``cells``, ...) from ``UavObservations``.
    """

    def __init__(self, params: UavParams, num_envs: int) -> None:
        check_uav_memory(params, num_envs)  # before anything is allocated (``memory.py``)
        super().__init__(params)
        self.num_envs = num_envs
        self.moves = move_table(params)
        nx, ny = self.lattice_shape
        self.lattice_max = np.array([(nx - 1), (ny - 1)], dtype=float) * params.grid_cell_m
        self.area = np.asarray(params.area_m)
        b, k, n = num_envs, params.n_uavs, params.n_users
        self.uav_xy = np.zeros((b, k, 2))
        self.user_xy = np.zeros((b, n, 2))
        self.indoor = np.zeros((b, n), dtype=bool)
        self.indoor_loss_db = np.zeros((b, n))
        self.bs_rx_mw = np.zeros((b, n))
        self.steps = np.zeros(b, dtype=np.int64)
        self._sinr = np.zeros((k, b, n))
        """(K, B, N) SINRs in plane layout (``planes.py``); ``sinr_db`` is its (B, N, K) view"""
        # the batched kernel's buffers, written in place every step (no large temporaries)
        self._rx = np.zeros((k, b, n))
        """(K, B, N) received powers (mW) of the last evaluation"""
        self._total = np.empty((b, n))
        self._best = np.empty((b, n))
        self._best_db = np.empty((b, n))
        self._sinr_stale = False
        """``_sinr`` is older than ``_rx`` (``_associate_strongest``); ``sinr_db`` updates it"""
        self._work = np.empty(3 * b * k * n)
        self.association = np.full((b, n), -1, dtype=np.int64)
        self.load = np.zeros((b, k), dtype=np.int64)
        self.n_assoc = np.zeros(b, dtype=np.int64)
        self.rewards = np.zeros((b, k))
        self.global_reward = np.zeros(b)
        self.coverable = np.zeros(b, dtype=np.int64)
        """(B,) interference-free bound: users with SNR >= threshold from their best UAV
        position (reference 5, bound 2), capped by K * capacity"""
        self._cells = np.zeros((b, k), dtype=np.int64)
        self._cell_weights = np.array([1, nx], dtype=np.int64)
        self._static_users = params.user_speed_mps == 0
        self._layout: tuple[np.ndarray, ...] | None = None
        self._envs = np.arange(b)
        # co-channel interference and a threshold above 0 dB: one UAV per user at most can pass
        self._single_option = (
            params.interference == "co_channel" and params.sinr_threshold_db > 0.01
        )
        self._by_strongest = self._single_option or k == 1
        """the batched kernel associates by received power (``_associate_strongest``)"""
        self._table_mode = table_mode(params, num_envs)
        self._fast_one = fast_one(params, num_envs)
        """single env with a table (static users, discrete moves): ``step_one`` takes
        ``_step_one``"""
        iy, ix = np.divmod(np.arange(nx * ny), nx)
        self._lattice_xy = (np.stack([ix, iy], -1) * params.grid_cell_m)[None]
        self._tables = None
        """received power (mW) of every user from every lattice point (``planes.RxTables``):
        with static users and discrete moves a step gathers its K rows instead of running the
        channel model (see ``memory.table_mode``)"""
        if self._table_mode is not None:
            self._tables = RxTables(self._table_mode, b, self._lattice_xy[0], self)
        self._next_cells = self._move_table() if moves_by_table(params, num_envs) else None
        """(n_cells, n_actions) lattice cell reached from each cell by each action
        (``_move_table``), or None (the step moves by arithmetic)"""
        self._fast_one = self._fast_one and self._next_cells is not None
        self._next_cell = self._next_cells.tolist() if self._fast_one else []
        """``_next_cells`` as lists, for the one-env fast path"""

    # ------------------------------------------------------------------ BatchSim
    @property
    def sinr_db(self) -> np.ndarray:
        """(B, N, K) SINR of every user/UAV pair at the last step, dB (a view of the plane
        layout the kernel computes in, computed when first read after a step)."""
        if self._sinr_stale:
            bs_rx_mw = self.bs_rx_mw if self.params.bs_interference else 0.0
            self._sinr_planes(self._rx, bs_rx_mw, out=self._sinr)
            self._sinr_stale = False
        return self._sinr.transpose(1, 2, 0)

    @property
    def reward(self) -> np.ndarray:
        """(B,) reward of the central and vector envs: ``global_reward``, A_t / N."""
        return self.global_reward

    def info(self) -> dict[str, np.ndarray]:
        """Per-env info arrays of the current state (see ``step_info``)."""
        return step_info(
            self.params,
            self.n_assoc.copy(),
            self.load.copy(),
            self.coverable.copy(),
            self.steps.copy(),
        )

    def info_one(self) -> dict[str, Any]:
        """``info`` of env 0 as Python scalars (and the (K,) load)."""
        return step_info(
            self.params,
            int(self.n_assoc[0]),
            self.load[0].copy(),
            int(self.coverable[0]),
            int(self.steps[0]),
        )

    # ------------------------------------------------------------------ dynamics
    def fixed_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(user_xy, indoor, indoor_loss_db, start cells) drawn from ``params.layout_seed``
        (once; the same for every env and episode). Draw order as in ``reset``."""
        if self.params.layout_seed is None:
            raise ValueError("fixed_layout needs UavParams.layout_seed (an integer)")
        if self._layout is None:
            rng = np.random.default_rng(self.params.layout_seed)
            users, indoor, loss = self._draw_users(rng)
            self._layout = (users, indoor, loss, self._draw_starts(rng))
        return self._layout

    def _draw_users(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        users = make_users(self.params, rng)
        return (users, *self._draw_indoor(rng))

    def _draw_indoor(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The indoor mask and losses of one layout (none indoor when ``indoor_ratio`` is 0,
        and nothing drawn)."""
        params = self.params
        indoor = np.zeros(params.n_users, dtype=bool)
        loss = np.zeros(params.n_users)
        if params.indoor_ratio > 0:
            indoor = indoor_mask(params.n_users, params.indoor_ratio, rng)
            loss = apply_indoor(
                np.zeros(params.n_users), indoor, self.penetration, params.fc_hz, rng
            )
        return indoor, loss

    def _draw_starts(self, rng: np.random.Generator) -> np.ndarray:
        nx, ny = self.lattice_shape
        k = self.params.n_uavs
        return np.stack([rng.integers(0, nx, k), rng.integers(0, ny, k)], -1)

    def reset(
        self,
        idx: Rows,
        rngs: Sequence[np.random.Generator],
        options: dict[str, Any] | None = None,
    ) -> None:
        """Draw a new episode for the envs ``idx``; env ``i`` draws from ``rngs[i]``.

        Draw order: the user layout, the indoor mask, the indoor losses, the UAV starts. With
        ``layout_seed`` the users (and 'fixed' starts) come from ``fixed_layout()`` instead and
        ``rngs[i]`` draws only the random UAV starts (and later the user mobility). There are no
        reset ``options``. Each env draws its numbers in turn; the users and positions of all
        the envs are then computed together (``layouts.place_users``).
        """
        params = self.params
        nx, ny = self.lattice_shape
        k = params.n_uavs
        idx = np.asarray(rows(idx, self.num_envs), dtype=np.int64)
        layout = self.fixed_layout() if params.layout_seed is not None else None
        draws, indoor, start_x, start_y = [], [], [], []
        for i in idx.tolist():
            rng = rngs[i]
            if layout is None:
                draws.append(user_draws(params, rng))
                if params.indoor_ratio > 0:
                    indoor.append(self._draw_indoor(rng))
            if params.uav_start == "random":
                start_x.append(rng.integers(0, nx, k))
                start_y.append(rng.integers(0, ny, k))
        if layout is None:
            if len(idx):
                self.user_xy[idx] = place_users(params, draws)
            if indoor:
                self.indoor[idx] = [mask for mask, _ in indoor]
                self.indoor_loss_db[idx] = [loss for _, loss in indoor]
        else:
            self.user_xy[idx], self.indoor[idx], self.indoor_loss_db[idx] = layout[:3]
        if params.uav_start == "random":
            cells = np.stack([np.reshape(start_x, (-1, k)), np.reshape(start_y, (-1, k))], -1)
        elif params.uav_start == "fixed":
            cells = layout[3]
        else:
            cells = np.tile([(nx - 1) // 2, (ny - 1) // 2], (k, 1))
        self.uav_xy[idx] = cells * params.grid_cell_m
        self.steps[idx] = 0
        if params.bs_interference:
            self.bs_rx_mw[idx] = self._bs_rx_mw(self.user_xy[idx], self.indoor_loss_db[idx])
        self.coverable[idx] = self._coverable(self.user_xy[idx], self.indoor_loss_db[idx])
        self._build_tables(idx)
        # every env (a sorted index array covering them all): the kernel's in-place path
        self._evaluate(EVERY if len(idx) == self.num_envs else idx)

    def step(
        self,
        idx: Rows,
        actions: np.ndarray,
        rngs: Sequence[np.random.Generator] | None = None,
    ) -> None:
        """Advance the envs ``idx`` by one step (the batched kernel).

        Args:
            idx: the envs to step (an index array or ``slice(None)`` for all).
            actions: discrete actions (len(idx), K) int, or velocities (len(idx), K, 2) in
                [-1, 1] (units of the top speed; norms above 1 are scaled to 1) in continuous mode.
            rngs: per-env generators, needed only for user mobility.
        """
        params = self.params
        cells = None
        if params.continuous:
            velocity = np.asarray(actions, dtype=float)
            norm = np.linalg.norm(velocity, axis=-1, keepdims=True)
            velocity = velocity / np.maximum(norm, 1.0)
            moved = self.uav_xy[idx] + velocity * (params.max_speed_mps * params.dt_s)
            self.uav_xy[idx] = np.clip(moved, 0.0, self.area)
        elif self._next_cells is not None:  # the table of the arithmetic below
            cells = self._next_cells[self._cells[idx], actions]
            self.uav_xy[idx] = self._lattice_xy[0][cells]
        else:
            moved = self.uav_xy[idx] + self.moves[actions]
            # minimum(maximum()) is np.clip without its Python wrapper (same values)
            self.uav_xy[idx] = np.minimum(np.maximum(moved, 0.0), self.lattice_max)
        if not self._static_users:
            if rngs is None:
                raise ValueError("user mobility needs the per-env generators (rngs)")
            envs = np.arange(self.num_envs)[idx]
            step_m = params.user_speed_mps * params.dt_s
            for i in envs:
                self.user_xy[i] = random_walk(self.user_xy[i], step_m, params.area_m, rngs[i])
            if params.bs_interference:
                self.bs_rx_mw[idx] = self._bs_rx_mw(self.user_xy[idx], self.indoor_loss_db[idx])
            self.coverable[idx] = self._coverable(self.user_xy[idx], self.indoor_loss_db[idx])
        self.steps[idx] += 1
        self._evaluate(idx, cells)

    def _move_table(self) -> np.ndarray | None:
        """``next_cell[cell, action]``: the lattice cell a UAV reaches from ``cell`` with a
        discrete ``action``, by ``step``'s own arithmetic (add the move, clip to the area, round
        to the lattice). Moves are whole cells, so the clipped position is that lattice point
        exactly and the steps can move on cell indices. None where the lattice arithmetic is
        not exact in floating point (a spacing such as 1e-3 m: 0.002 + 0.001 != 3 * 0.001):
        the steps then take the arithmetic, which rounds to the lattice itself."""
        lattice = self._lattice_xy[0]  # (n_cells, 2)
        moved = lattice[:, None, :] + self.moves[None, :, :]
        moved = np.minimum(np.maximum(moved, 0.0), self.lattice_max)
        grid = np.rint(moved / self.params.grid_cell_m).astype(np.int64)
        cells = grid @ self._cell_weights  # (n_cells, n_actions)
        if not np.array_equal(lattice.take(cells, axis=0), moved):
            return None
        return cells

    def _evaluate(self, idx: Rows, cells: np.ndarray | None = None) -> None:
        """SINR, association, loads and rewards of the envs ``idx`` at their current state, in
        plane layout (``planes.py``); ``cells`` are the UAVs' lattice cells where the step
        knows them (discrete moves)."""
        params = self.params
        uav_xy = self.uav_xy[idx]
        if not params.continuous:
            if cells is None:
                grid = np.rint(uav_xy / params.grid_cell_m).astype(np.int64)
                cells = grid @ self._cell_weights
            self._cells[idx] = cells
        every = isinstance(idx, slice)
        m = len(uav_xy)
        rx_mw = self._rx if every else np.empty((params.n_uavs, m, params.n_users))
        if self._tables is not None:
            self._tables.gather(idx, cells, out=rx_mw, work=self._work)
        else:
            users = self.user_xy[idx]
            rx_mw[...] = self._rx_links(
                np.ascontiguousarray(users[..., 0])[None],
                np.ascontiguousarray(users[..., 1])[None],
                np.ascontiguousarray(uav_xy[..., 0].T)[..., None],
                np.ascontiguousarray(uav_xy[..., 1].T)[..., None],
                self.indoor_loss_db[idx][None],
                self._work,
            )
        if not every:
            self._rx[:, idx] = rx_mw
        bs_rx_mw = self.bs_rx_mw[idx] if params.bs_interference else 0.0
        out = self.association if every else None
        if self._by_strongest:
            association, load = self._associate_strongest(rx_mw, bs_rx_mw, out)
        else:
            sinr_db = self._sinr_planes(rx_mw, bs_rx_mw, self._sinr if every else None)
            association, load = associate_planes(
                sinr_db, params.sinr_threshold_db, params.capacity, False
            )
            if not every:
                self._sinr[:, idx] = sinr_db
        n_assoc = load.sum(axis=1)
        global_reward = n_assoc / params.n_users
        if params.reward == "difference":
            without = self._assoc_without_each(rx_mw.transpose(1, 2, 0), self.bs_rx_mw[idx])
            rewards = (n_assoc[:, None] - without) / params.n_users
        else:
            rewards = agent_rewards(params, global_reward[:, None], load)
        if association is not self.association:
            self.association[idx] = association
        self.load[idx] = load
        self.n_assoc[idx] = n_assoc
        self.global_reward[idx] = global_reward
        self.rewards[idx] = rewards

    def _associate_strongest(
        self, rx_mw: np.ndarray, bs_rx_mw: np.ndarray | float, out: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The association of received powers (K, M, N) when at most one UAV per user can reach
        the threshold (``_by_strongest``): only the SINR of each user's strongest UAV is
        computed, and the full SINRs wait until ``sinr_db`` is read.

        The SINR grows with the received power for a fixed total, so each user's strongest UAV
        (first argmax) has its highest SINR, up to ties after rounding; a tie can only fall
        below the threshold (two UAVs at or above it cannot both exceed all the others), where
        the user gets no UAV either way. Association and loads are those of ``associate_planes``
        on the full SINRs, bit for bit."""
        params = self.params
        m = rx_mw.shape[1]
        target, best_mw = strongest(rx_mw, self._best[:m])
        total_mw = None
        if params.interference == "co_channel":
            total_mw = pairwise_sum(list(rx_mw), out=self._total[:m])
        best_db = sinr_from_mw(best_mw, self.noise_mw + bs_rx_mw, total_mw, out=self._best_db[:m])
        self._sinr_stale = True
        return assign_best(
            target, best_db, params.sinr_threshold_db, params.capacity, params.n_uavs, out
        )

    def _build_tables(self, idx: np.ndarray) -> None:
        if self._tables is None:
            return
        if self._table_mode == "shared":
            users, _, loss, _ = self.fixed_layout()
            self._tables.build(idx, users[None], loss[None])
        else:
            self._tables.build(idx, self.user_xy[idx], self.indoor_loss_db[idx])


__all__ = ["UavSim", "agent_rewards", "greedy_association", "move_table", "step_info"]
