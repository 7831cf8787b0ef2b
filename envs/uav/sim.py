"""Multi-UAV offloading dynamics, batched over B environments (pure numpy, no gymnasium).

State of env ``b``: ``uav_xy[b]`` (K, 2) and ``user_xy[b]`` (N, 2) in metres, the per-user
indoor loss, and the step counter. One step moves every UAV (a lattice move or a clipped
velocity), optionally random-walks the users, then recomputes the air-to-ground path loss of
every user/UAV pair through the channel model (``channel.py``), the received powers, the SINR
with co-channel interference among the UAVs (reference/uav.md 6.2) and the greedy association.

Greedy association (reference 6.2): the (user, UAV) pairs are taken by SINR descending, ties
broken by user index and then UAV index; a pair is assigned when its SINR >= threshold, the UAV
has capacity left and the user is still unassigned. Because both sides rank the pairs by the same
strict order, this greedy matching is the unique stable matching, so it is computed here by
user-proposing deferred acceptance, vectorised over all envs at once (a handful of rounds of
array operations instead of a Python loop over the K x N pairs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .channel import apply_indoor, indoor_mask, make_channel, make_penetration
from .layouts import bs_positions, make_users, random_walk
from .params import UavParams

_NO_PAIR = np.iinfo(np.int64).max
CALL_OVERHEAD_LINKS = 400
"""fixed cost of one channel-model call on few links, in links of bulk work (about 20 us vs
50 ns per link on one core): what makes a received-power table pay off at small B"""
MAX_TABLE_ENTRIES = 1 << 23
"""largest per-env received-power table, B x N x n_cells floats (64 MiB)"""
LN10_OVER_10 = math.log(10.0) / 10.0
"""dB to natural-log scale: 10 ** (x / 10) = exp(x * LN10_OVER_10)"""
Index = slice | np.ndarray

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


def _dbm_to_mw(power_dbm: np.ndarray) -> np.ndarray:
    """``10 ** (p / 10)`` as ``exp(p ln(10) / 10)``: twice as fast on the N x n_cells tables,
    equal to within a few ulps (every received power of the sim goes through here)."""
    return np.exp(power_dbm * LN10_OVER_10)


def greedy_association(
    sinr_db: np.ndarray, threshold_db: float, capacity: int, single_option: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy SINR association with capacity, batched: ``sinr_db`` (M, N, K).

    ``single_option=True`` promises that every user has at most one UAV at SINR >= threshold
    (true with co-channel interference and a threshold > 0 dB, see
    ``_single_option_association``) and skips checking it.

    Returns:
        ``association`` (M, N) int64 (-1 = no UAV, else the UAV index) and ``load`` (M, K).
    """
    n_envs, n_users, n_uavs = sinr_db.shape
    if single_option or n_uavs == 1:
        return _single_option_association(sinr_db, threshold_db, capacity)
    feasible = sinr_db >= threshold_db
    if not (feasible.sum(axis=2) > 1).any():
        return _single_option_association(sinr_db, threshold_db, capacity)
    flat = sinr_db.reshape(n_envs, n_users * n_uavs)
    # Global order of the pairs: SINR descending, ties by the flat index n * K + k.
    order = np.argsort(-flat, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_users * n_uavs)[None], axis=1)
    rank = np.where(sinr_db >= threshold_db, rank.reshape(sinr_db.shape), _NO_PAIR)
    preference = np.argsort(rank, axis=2, kind="stable")  # each user's UAVs, best pair first
    pointer = np.zeros((n_envs, n_users), dtype=np.int64)
    match = np.full((n_envs, n_users), -1, dtype=np.int64)
    uav_ids = np.arange(n_uavs)
    while True:
        free = (match < 0) & (pointer < n_uavs)
        choice = np.take_along_axis(preference, np.minimum(pointer, n_uavs - 1)[..., None], 2)
        choice_rank = np.take_along_axis(rank, choice, 2)[..., 0]
        proposing = free & (choice_rank < _NO_PAIR)
        pointer[free & ~proposing] = n_uavs  # its remaining UAVs are all below the threshold
        if not proposing.any():
            break
        target = np.where(proposing, choice[..., 0], match)
        candidate = target[..., None] == uav_ids
        if n_users > capacity:
            score = np.where(candidate, rank, _NO_PAIR)
            cutoff = np.partition(score, capacity - 1, axis=1)[:, capacity - 1 : capacity, :]
            kept = (candidate & (score <= cutoff)).any(axis=2)
        else:
            kept = target >= 0
        rejected = (target >= 0) & ~kept
        pointer[rejected] += 1
        match = np.where(kept, target, -1)
    load = (match[..., None] == uav_ids).sum(axis=1)
    return match, load


def _single_option_association(
    sinr_db: np.ndarray, threshold_db: float, capacity: int
) -> tuple[np.ndarray, np.ndarray]:
    """``greedy_association`` when every user has at most one UAV at SINR >= threshold.

    This is the usual case: with co-channel interference and a threshold > 0 dB a UAV above
    the threshold receives more than all the others together, so at most one can be. Then the
    greedy pair loop gives each UAV its candidates in the pair order (SINR descending, ties by
    user index) up to its capacity, and nobody is rejected into a second choice: no rounds.
    """
    n_uavs = sinr_db.shape[2]
    best = sinr_db.argmax(axis=2)
    target = np.where(sinr_db.max(axis=2) >= threshold_db, best, -1)
    candidate = target[..., None] == np.arange(n_uavs)
    load = candidate.sum(axis=1)
    if max(load.ravel().tolist(), default=0) <= capacity:
        return target, load
    # Some UAV has more candidates than capacity: it keeps its best ``capacity`` in the pair
    # order, i.e. the SINRs above its capacity-th best, then the ties at that value by user index.
    neg_sinr = np.where(candidate, -sinr_db, np.inf)
    cutoff = np.partition(neg_sinr, capacity - 1, axis=1)[:, capacity - 1 : capacity, :]
    kept = neg_sinr <= cutoff
    if (kept.sum(axis=1) > capacity).any():  # ties at the cutoff: the lower user indices
        above = neg_sinr < cutoff
        room = capacity - above.sum(axis=1, keepdims=True)
        kept = above | (kept & (np.cumsum(kept & ~above, axis=1) <= room))
    kept = (kept & candidate).any(axis=2)
    return np.where(kept, target, -1), np.minimum(load, capacity)


class UavSim:
    """B multi-UAV offloading envs stepped together.

    Public arrays (env axis first): ``uav_xy`` (B, K, 2), ``user_xy`` (B, N, 2),
    ``indoor`` (B, N) bool, ``indoor_loss_db`` (B, N), ``steps`` (B,), ``sinr_db`` (B, N, K),
    ``association`` (B, N), ``load`` (B, K), ``n_assoc`` (B,), ``rewards`` (B, K) (per-agent
    reward of ``params.reward``) and ``global_reward`` (B,) = n_assoc / N. ``bs_xy`` (n_bs, 2)
    is shared.
    """

    def __init__(self, params: UavParams, num_envs: int) -> None:
        self.params = params
        self.num_envs = num_envs
        self.channel = make_channel(params.channel, **params.channel_kwargs)
        self.bs_channel = make_channel(params.bs_channel)
        self.penetration = make_penetration(params.o2i, **params.o2i_kwargs)
        self.bs_xy = bs_positions(params)
        self.moves = move_table(params)
        nx, ny = params.lattice_shape
        self.lattice_shape = (nx, ny)
        self.lattice_max = np.array([(nx - 1), (ny - 1)], dtype=float) * params.grid_cell_m
        self.area = np.asarray(params.area_m)
        self.noise_mw = 10.0 ** (params.noise_dbm / 10.0)
        b, k, n = num_envs, params.n_uavs, params.n_users
        self.uav_xy = np.zeros((b, k, 2))
        self.user_xy = np.zeros((b, n, 2))
        self.indoor = np.zeros((b, n), dtype=bool)
        self.indoor_loss_db = np.zeros((b, n))
        self.bs_rx_mw = np.zeros((b, n))
        self.steps = np.zeros(b, dtype=np.int64)
        self.sinr_db = np.zeros((b, n, k))
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
        self._table_mode = self._choose_table_mode()
        self._fast_one = (
            b == 1
            and not params.continuous
            and self._static_users
            and params.reward in ("global", "local", "mixed")
        )
        """single env with a table (static users, discrete moves): ``step`` takes
        ``_step_one``"""
        self._rx_table: np.ndarray | None = None
        """received power (mW) of every user from every lattice point, (B or 1, N, n_cells):
        with static users and discrete moves a step gathers its K columns instead of running
        the channel model (see ``_choose_table_mode``)"""
        iy, ix = np.divmod(np.arange(nx * ny), nx)
        self._lattice_xy = (np.stack([ix, iy], -1) * params.grid_cell_m)[None]
        self._user_offsets = (np.arange(n) * (nx * ny))[None, :, None]
        self._next_cell = self._move_table() if self._fast_one else []
        """lattice cell reached from each cell by each action (``_move_table``)"""

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
        params = self.params
        users = make_users(params, rng)
        indoor = np.zeros(params.n_users, dtype=bool)
        loss = np.zeros(params.n_users)
        if params.indoor_ratio > 0:
            indoor = indoor_mask(params.n_users, params.indoor_ratio, rng)
            loss = apply_indoor(
                np.zeros(params.n_users), indoor, self.penetration, params.fc_hz, rng
            )
        return users, indoor, loss

    def _draw_starts(self, rng: np.random.Generator) -> np.ndarray:
        nx, ny = self.lattice_shape
        k = self.params.n_uavs
        return np.stack([rng.integers(0, nx, k), rng.integers(0, ny, k)], -1)

    def reset(self, idx: Sequence[int] | np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Draw a new episode for the envs ``idx``; env ``i`` draws from ``rngs[i]``.

        Draw order: the user layout, the indoor mask, the indoor losses, the UAV starts. With
        ``layout_seed`` the users (and 'fixed' starts) come from ``fixed_layout()`` instead and
        ``rngs[i]`` draws only the random UAV starts (and later the user mobility).
        """
        params = self.params
        nx, ny = self.lattice_shape
        idx = np.asarray(idx, dtype=np.int64)
        layout = self.fixed_layout() if params.layout_seed is not None else None
        for i in idx:
            rng = rngs[i]
            if layout is None:
                self.user_xy[i], self.indoor[i], self.indoor_loss_db[i] = self._draw_users(rng)
            else:
                self.user_xy[i], self.indoor[i], self.indoor_loss_db[i] = layout[:3]
            if params.uav_start == "random":
                cells = self._draw_starts(rng)
            elif params.uav_start == "fixed":
                cells = layout[3]
            else:
                cells = np.tile([(nx - 1) // 2, (ny - 1) // 2], (params.n_uavs, 1))
            self.uav_xy[i] = cells * params.grid_cell_m
        self.steps[idx] = 0
        if params.bs_interference:
            self.bs_rx_mw[idx] = self._bs_rx_mw(self.user_xy[idx], self.indoor_loss_db[idx])
        self.coverable[idx] = self._coverable(self.user_xy[idx], self.indoor_loss_db[idx])
        self._build_tables(idx)
        self._evaluate(idx)

    def step(
        self,
        idx: Index,
        actions: np.ndarray,
        rngs: Sequence[np.random.Generator] | None = None,
    ) -> None:
        """Advance the envs ``idx`` by one step.

        Args:
            idx: the envs to step (an index array or ``slice(None)`` for all).
            actions: discrete actions (len(idx), K) int, or velocities (len(idx), K, 2) in
                [-1, 1] (units of the top speed; norms above 1 are scaled to 1) in continuous mode.
            rngs: per-env generators, needed only for user mobility.
        """
        params = self.params
        if (
            self._fast_one
            and self._table_mode is not None
            and isinstance(idx, slice)
            and idx == slice(0, 1)
        ):
            self._step_one(actions[0])
            return
        if params.continuous:
            velocity = np.asarray(actions, dtype=float)
            norm = np.linalg.norm(velocity, axis=-1, keepdims=True)
            velocity = velocity / np.maximum(norm, 1.0)
            moved = self.uav_xy[idx] + velocity * (params.max_speed_mps * params.dt_s)
            self.uav_xy[idx] = np.clip(moved, 0.0, self.area)
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
        self._evaluate(idx)

    def _step_one(self, actions: np.ndarray) -> None:
        """``step(slice(0, 1), actions[None])`` of a single env with static users, discrete
        moves and a received-power table (``_fast_one``): the same values, computed on (N, K)
        arrays, and nothing recomputed when no UAV changed cell (the SINR, association and
        rewards depend only on the cells then)."""
        previous = self._cells[0].tolist()
        next_cell = self._next_cell
        cells = [
            next_cell[cell][action] for cell, action in zip(previous, actions.tolist(), strict=True)
        ]
        self.steps[0] += 1
        if cells == previous:
            return  # static users and the same cells: the last evaluation stands
        self._cells[0] = cells
        self.uav_xy[0] = self._lattice_xy[0].take(cells, axis=0)
        self._evaluate_one(cells)

    def _move_table(self) -> list[list[int]]:
        """``next_cell[cell][action]``: the lattice cell a UAV reaches from ``cell`` with a
        discrete ``action``, by ``step``'s own arithmetic (add the move, clip to the area, round
        to the lattice). Moves are whole cells, so the clipped position is that lattice point
        exactly and ``_step_one`` can move on cell indices."""
        lattice = self._lattice_xy[0]  # (n_cells, 2)
        moved = lattice[:, None, :] + self.moves[None, :, :]
        moved = np.minimum(np.maximum(moved, 0.0), self.lattice_max)
        grid = np.rint(moved / self.params.grid_cell_m).astype(np.int64)
        cells = grid @ self._cell_weights  # (n_cells, n_actions)
        if not np.array_equal(lattice.take(cells, axis=0), moved):
            raise AssertionError("discrete moves must keep the UAVs on the lattice")
        return cells.tolist()

    def _evaluate_one(self, cells: list[int]) -> None:
        """``_evaluate`` of env 0 at the UAV cells ``cells`` (K,) (see ``_step_one``)."""
        params = self.params
        rx_mw = self._rx_table[0].take(cells, axis=1)  # (N, K), as the (1, N, K) gather
        floor = (
            self.noise_mw + self.bs_rx_mw[0][:, None] if params.bs_interference else self.noise_mw
        )
        sinr_db = self.sinr_db[0]
        n_uavs, n_users = params.n_uavs, params.n_users
        if params.interference == "co_channel":
            # the row sums in the order of sum(axis=-1), then max(total - rx, 0) + floor
            total = rx_mw[:, 0]
            for k in range(1, n_uavs):
                total = total + rx_mw[:, k]
            denominator = np.subtract(total[:, None], rx_mw, out=sinr_db)
            np.maximum(denominator, 0.0, out=denominator)
            np.add(floor, denominator, out=denominator)
            np.divide(rx_mw, denominator, out=sinr_db)
        else:
            np.divide(rx_mw, floor, out=sinr_db)
        np.log10(sinr_db, out=sinr_db)
        np.multiply(sinr_db, 10.0, out=sinr_db)
        threshold, capacity = params.sinr_threshold_db, params.capacity
        if self._single_option or n_uavs == 1:
            target = sinr_db.argmax(axis=1, out=self.association[0])
            best = sinr_db[:, 0]  # the row maxima (what max(axis=1) returns)
            for k in range(1, n_uavs):
                best = np.maximum(best, sinr_db[:, k])
            target[best < threshold] = -1  # NaN-free: SINR is finite
            load = np.bincount(target + 1, minlength=n_uavs + 1)[1:]
            if max(load.tolist()) > capacity:
                # each overloaded UAV keeps its best ``capacity`` candidates in the pair order
                # (SINR descending, ties by user index): a stable sort of -SINR
                for k in (load > capacity).nonzero()[0].tolist():
                    users = (target == k).nonzero()[0]
                    order = np.argsort(-best[users], kind="stable")  # best: their SINR
                    target[users[order[capacity:]]] = -1
                np.minimum(load, capacity, out=load)
        else:
            matched, loads = greedy_association(sinr_db[None], threshold, capacity)
            load = loads[0]
            self.association[0] = matched[0]
        n_assoc = int(load.sum())
        global_reward = n_assoc / n_users
        reward = params.reward
        rewards = self.rewards[0]
        if reward == "global":
            rewards[:] = global_reward
        elif reward == "local":
            np.divide(load, n_users, out=rewards)
        else:
            weight = params.mixed_weight
            rewards[:] = weight * global_reward + (1.0 - weight) * (load / n_users)
        self.load[0] = load
        self.n_assoc[0] = n_assoc
        self.global_reward[0] = global_reward

    def _evaluate(self, idx: Index) -> None:
        """SINR, association, loads and rewards of the envs ``idx`` at their current state."""
        params = self.params
        uav_xy = self.uav_xy[idx]
        if not params.continuous:
            grid = np.rint(uav_xy / params.grid_cell_m).astype(np.int64)
            self._cells[idx] = cells = grid @ self._cell_weights
        if self._table_mode is not None:
            # flat index of (env, user, cell) -> (M, N, K): the values rx_mw would compute
            flat = self._user_offsets + cells[:, None, :]
            if self._table_mode == "per_env":
                table_size = self.params.n_users * self.params.n_cells
                flat = flat + (self._envs[idx] * table_size)[:, None, None]
            rx_mw = self._rx_table.take(flat)
        else:
            rx_mw = self._rx_pairs(uav_xy, self.user_xy[idx], self.indoor_loss_db[idx])
        bs_rx_mw = self.bs_rx_mw[idx] if params.bs_interference else 0.0
        sinr_db = self._sinr_db(rx_mw, bs_rx_mw)
        association, load = greedy_association(
            sinr_db, params.sinr_threshold_db, params.capacity, self._single_option
        )
        n_assoc = load.sum(axis=1)
        n_users = params.n_users
        global_reward = n_assoc / n_users
        if params.reward == "global":
            rewards = global_reward[:, None]
        elif params.reward == "local":
            rewards = load / n_users
        elif params.reward == "mixed":
            weight = params.mixed_weight
            rewards = weight * global_reward[:, None] + (1.0 - weight) * (load / n_users)
        else:
            without = self._assoc_without_each(rx_mw, self.bs_rx_mw[idx])
            rewards = (n_assoc[:, None] - without) / n_users
        self.sinr_db[idx] = sinr_db
        self.association[idx] = association
        self.load[idx] = load
        self.n_assoc[idx] = n_assoc
        self.global_reward[idx] = global_reward
        self.rewards[idx] = rewards

    def _choose_table_mode(self) -> str | None:
        """'shared' (one table for the fixed layout, built once), 'per_env' (one per env, built
        at each reset) or None (the channel model runs every step).

        A table costs n_cells x N links per episode; stepping costs K x N links per step plus a
        per-call overhead of about ``CALL_OVERHEAD_LINKS`` links shared by the B envs, so the
        per-env table is built only where it is the cheaper of the two, and within
        ``MAX_TABLE_ENTRIES``."""
        params = self.params
        if params.continuous or not self._static_users:
            return None
        if params.layout_seed is not None:
            return "shared"
        n_cells, n_users = params.n_cells, params.n_users
        table_links = n_cells * n_users
        step_links = params.n_uavs * n_users + CALL_OVERHEAD_LINKS / self.num_envs
        cheaper = table_links < params.max_steps * step_links
        if cheaper and self.num_envs * table_links <= MAX_TABLE_ENTRIES:
            return "per_env"
        return None

    def _build_tables(self, idx: np.ndarray) -> None:
        mode = self._table_mode
        if mode == "shared":
            if self._rx_table is None:
                users, _, loss, _ = self.fixed_layout()
                self._rx_table = self._rx_pairs(self._lattice_xy, users[None], loss[None])
        elif mode == "per_env":
            if self._rx_table is None:
                shape = (self.num_envs, self.params.n_users, self.params.n_cells)
                self._rx_table = np.empty(shape)
            self._rx_table[idx] = self._rx_pairs(
                self._lattice_xy, self.user_xy[idx], self.indoor_loss_db[idx]
            )

    # ------------------------------------------------------------------ radio
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
        """``rx_mw`` on the simulator's own (valid) state: the same arithmetic without input
        checks, and no indoor term when there are no indoor users (adding 0 dB changes
        nothing). ``uav_xy`` (M or 1, K, 2) broadcasts against ``user_xy`` (M, N, 2)."""
        params = self.params
        # contiguous coordinate planes first: broadcasting the strided x / y views of the
        # (..., 2) arrays is twice as slow on N x n_cells tables; the values are the same
        planes = [
            np.ascontiguousarray(xy[..., axis]) for xy in (user_xy, uav_xy) for axis in (0, 1)
        ]
        dx = planes[0][:, :, None] - planes[2][:, None, :]
        dy = planes[1][:, :, None] - planes[3][:, None, :]
        np.multiply(dx, dx, out=dx)
        np.multiply(dy, dy, out=dy)
        horizontal = np.sqrt(np.add(dx, dy, out=dx), out=dx)
        loss_db = self.channel._path_loss_db(horizontal, params.uav_altitude_m, params.fc_hz)
        if params.indoor_ratio > 0:
            loss_db = loss_db + indoor_loss_db[..., None]
        return _dbm_to_mw(params.uav_tx_dbm - loss_db)

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
        delta = user_xy - best_xy
        horizontal = np.sqrt((delta * delta).sum(axis=-1))
        loss_db = self.channel.path_loss_db(horizontal, params.uav_altitude_m, params.fc_hz)
        loss_db = loss_db + indoor_loss_db
        rx_mw = _dbm_to_mw(params.uav_tx_dbm - loss_db)
        snr_db = 10.0 * np.log10(rx_mw / self.noise_mw)
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

    def _sinr_db(self, rx_mw: np.ndarray, bs_rx_mw: np.ndarray | float) -> np.ndarray:
        """SINR in dB from received powers (M, N, K) (reference 6.2: co-channel interference)."""
        floor = self.noise_mw + (
            bs_rx_mw[..., None] if isinstance(bs_rx_mw, np.ndarray) else bs_rx_mw
        )
        if self.params.interference == "co_channel":
            interference = np.maximum(rx_mw.sum(axis=-1, keepdims=True) - rx_mw, 0.0)
            return 10.0 * np.log10(rx_mw / (floor + interference))
        return 10.0 * np.log10(rx_mw / floor)

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

    # ------------------------------------------------------------------ observations
    def cells(self, idx: Index = slice(None)) -> np.ndarray:
        """Index of the lattice point nearest each UAV, (B, K): ``iy * nx + ix``."""
        nx, ny = self.lattice_shape
        grid = np.rint(self.uav_xy[idx] / self.params.grid_cell_m).astype(np.int64)
        ix = np.clip(grid[..., 0], 0, nx - 1)
        iy = np.clip(grid[..., 1], 0, ny - 1)
        return iy * nx + ix

    def last_cells(self, idx: Index = slice(None)) -> np.ndarray:
        """``cells(idx)`` as of the last reset or step (cached there in discrete mode), (B, K)."""
        if self.params.continuous:
            return self.cells(idx)
        return self._cells[idx]

    def heatmap(self, idx: Index = slice(None)) -> np.ndarray:
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

    def _common(self, idx: Index) -> tuple[np.ndarray, ...]:
        params = self.params
        xy = self.uav_xy[idx] / self.area
        load = self.load[idx] / params.capacity
        coverage = self.n_assoc[idx] / params.n_users
        time = self.steps[idx] / params.max_steps
        return xy, load, coverage, time

    def vector_obs(self, idx: Index = slice(None)) -> np.ndarray:
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

    def state(self, idx: Index = slice(None)) -> np.ndarray:
        """Global state in [0, 1], (B, 3K + 2 + G^2): all (x, y) / area, loads / capacity,
        n_assoc / N, t / max_steps and the unserved-user heatmap."""
        xy, load, coverage, time = self._common(idx)
        n_envs = xy.shape[0]
        parts = [xy.reshape(n_envs, -1), load, coverage[:, None], time[:, None]]
        parts.append(self.heatmap(idx).reshape(n_envs, -1))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def uav_planes(self, idx: Index = slice(None)) -> np.ndarray:
        """One G x G plane per UAV with a 1 at its coarse cell, (B, K, G, G)."""
        size = self.params.heatmap_size
        coarse = np.minimum((self.uav_xy[idx] / self.area * size).astype(np.int64), size - 1)
        planes = np.zeros((*coarse.shape[:2], size, size), dtype=np.float32)
        b_idx, k_idx = np.indices(coarse.shape[:2])
        planes[b_idx, k_idx, coarse[..., 1], coarse[..., 0]] = 1.0
        return planes

    def image_obs(self, idx: Index = slice(None)) -> np.ndarray:
        """Per-agent images (B, K, 3, G, G): unserved heatmap, own position, other UAVs."""
        heat = self.heatmap(idx).astype(np.float32)
        planes = self.uav_planes(idx)
        others = np.clip(planes.sum(axis=1, keepdims=True) - planes, 0.0, 1.0)
        heat = np.broadcast_to(heat[:, None], planes.shape)
        return np.stack([heat, planes, others], axis=2)

    def image_state(self, idx: Index = slice(None)) -> np.ndarray:
        """Global image (B, 1 + K, G, G): unserved heatmap, then one plane per UAV."""
        heat = self.heatmap(idx).astype(np.float32)
        return np.concatenate([heat[:, None], self.uav_planes(idx)], axis=1)
