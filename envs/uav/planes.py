"""The batched UAV kernel in plane layout: link arrays shaped (K, M, N), one contiguous (M, N)
plane of the M envs' users per UAV, so that a sum, a maximum or an argmax over the K UAVs is
K - 1 elementwise operations on whole planes instead of a numpy reduction over a short inner
axis (which runs one small loop per user). Every value is computed by the same IEEE operations in
the same order as in the (M, N, K) layout of ``radio.py`` and ``association.py``; only the memory
order differs, and ``tests/test_uav_kernels.py`` checks both against each other.

- ``pairwise_sum``: the total UAV power of each user, in the order of numpy's ``sum`` over a
  contiguous axis, the one summation order of the family (the single-env fast path, the batched
  kernel and the placement evaluators all call it);
- ``strongest``, ``assign_best``, ``associate_planes``: ``greedy_association`` on (K, M, N)
  SINRs (or, where one UAV at most can reach the threshold, on each user's strongest UAV);
- ``RxTables``: the received-power tables (one shared, one per env built at reset, or one per
  env filled lazily, a column the first time a UAV visits a lattice point) and their gathers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .association import greedy_association
from .linkbudget import work_arrays

if TYPE_CHECKING:
    from .radio import UavRadio

PAIRWISE_BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: above it the pairwise sum splits the terms in two halves"""
PAIRWISE_LANES = 8
"""numpy's pairwise sum keeps eight partial sums (from eight terms on)"""


def pairwise_sum(planes: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """The sum of K equally shaped arrays, added in the order in which numpy's ``sum`` adds K
    contiguous numbers (``pairwise_sum`` of numpy's ``loops_utils.h``): one after the other for
    K < 8, eight interleaved partial sums combined as a tree for 8 <= K <= 128, two halves (the
    first a multiple of 8 long) above. So ``pairwise_sum([x[..., k] for k in range(K)])``
    equals ``x.sum(axis=-1)`` of a C-contiguous ``x`` bit for bit (numpy 2), and the result no
    longer depends on the layout or on numpy's reduction internals. Returns a new array, or
    ``out`` (K < 8 writes nothing else).
    """
    n = len(planes)
    if n < PAIRWISE_LANES:
        total = np.add(planes[0], 0.0, out=out)  # numpy starts from 0.0 (-0.0 becomes 0.0)
        for plane in planes[1:]:
            np.add(total, plane, out=total)
        return total
    if n <= PAIRWISE_BLOCK:
        lanes = [plane.copy() for plane in planes[:PAIRWISE_LANES]]
        stop = n - n % PAIRWISE_LANES
        for start in range(PAIRWISE_LANES, stop, PAIRWISE_LANES):
            for lane in range(PAIRWISE_LANES):
                lanes[lane] += planes[start + lane]
        left = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
        total = np.add(left, (lanes[4] + lanes[5]) + (lanes[6] + lanes[7]), out=out)
        for plane in planes[stop:]:
            np.add(total, plane, out=total)
        return total
    half = n // 2
    half -= half % PAIRWISE_LANES
    return np.add(pairwise_sum(planes[:half]), pairwise_sum(planes[half:]), out=out)


def total_power(rx_mw: np.ndarray, axis: int, out: np.ndarray | None = None) -> np.ndarray:
    """Each user's total UAV power: ``pairwise_sum`` over ``axis`` (the UAV axis) of
    ``rx_mw``, with that axis kept (length 1); into ``out`` (that shape) when given."""
    planes = list(np.moveaxis(rx_mw, axis, 0))
    if out is None:
        return np.expand_dims(pairwise_sum(planes), axis)
    pairwise_sum(planes, out=np.squeeze(out, axis))
    return out


def associate_planes(
    sinr_db: np.ndarray,
    threshold_db: float,
    capacity: int,
    single_option: bool,
    out: np.ndarray | None = None,
    best: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``greedy_association`` of SINRs in plane layout, ``sinr_db`` (K, M, N): the same
    association (M, N) and load (M, K). ``out`` (M, N) int64 receives the association and
    ``best`` (M, N) float is scratch, where given (the deferred-acceptance rounds ignore them).

    With ``single_option`` (at most one UAV per user at SINR >= threshold) or one UAV, each user
    proposes to its best UAV (``strongest``) and each overloaded UAV keeps its best ``capacity``
    candidates (``assign_best``); otherwise the deferred-acceptance rounds of
    ``greedy_association`` run on the (M, N, K) view.
    """
    if not (single_option or len(sinr_db) == 1):
        return greedy_association(sinr_db.transpose(1, 2, 0), threshold_db, capacity)
    target, best = strongest(sinr_db, best)
    return assign_best(target, best, threshold_db, capacity, len(sinr_db), out)


def strongest(
    planes: Sequence[np.ndarray], best: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each user's first argmax (as ``argmax`` gives) and maximum over the K (M, N) planes of
    ``planes``: the index as a small integer type (int8 below 127 UAVs) and the maximum (in
    ``best`` (M, N) when given).

    Built without masked writes (slow on random masks): plane k's index beats every earlier
    one, so the argmax so far is ``max(argmax, k * (plane_k > maximum so far))``.
    """
    n_uavs = len(planes)
    n_envs, n_users = planes[0].shape
    small = np.int8 if n_uavs < np.iinfo(np.int8).max else np.int64
    flag = np.empty((n_envs, n_users), dtype=bool)
    if best is None:
        best = np.empty((n_envs, n_users))
    if n_uavs == 1:
        best[...] = planes[0]
        return np.zeros((n_envs, n_users), dtype=small), best
    np.greater(planes[1], planes[0], out=flag)
    target = flag.astype(small)
    np.maximum(planes[0], planes[1], out=best)
    scratch = np.empty((n_envs, n_users), dtype=small)
    for k in range(2, n_uavs):
        plane = planes[k]
        np.greater(plane, best, out=flag)
        np.maximum(target, np.multiply(flag, small(k), out=scratch), out=target)
        np.maximum(best, plane, out=best)
    return target, best


def assign_best(
    target: np.ndarray,
    best_db: np.ndarray,
    threshold_db: float,
    capacity: int,
    n_uavs: int,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The single-option association: each user goes to its best UAV ``target`` (M, N) if its
    SINR there, ``best_db``, reaches the threshold, and each UAV with more candidates than
    ``capacity`` keeps the best ``capacity`` in the pair order (SINR descending, ties by user
    index). Returns the association (M, N) int64 (in ``out`` when given) and the load (M, K);
    ``target`` is overwritten."""
    # below the threshold: -1, as target - below * (target + 1); NaN-free, SINRs are finite
    below = np.less(best_db, threshold_db)
    scratch = np.add(target, target.dtype.type(1))
    np.subtract(target, np.multiply(scratch, below, out=scratch), out=target)
    load = _loads(target, n_uavs, below)
    if load.size and int(load.max()) > capacity:
        _keep_best(target, best_db, load, capacity)
    if out is None:
        return target.astype(np.int64), load
    np.copyto(out, target)
    return out, load


def _loads(target: np.ndarray, n_uavs: int, flag: np.ndarray) -> np.ndarray:
    """Users per UAV (M, K) of the association ``target`` (M, N), -1 = none: a one-hot float
    matrix times a vector of ones (exact: the counts stay below 2^24, or 2^53 in float64),
    which beats K row-wise reductions; ``flag`` (M, N) bool is unused scratch."""
    n_envs, n_users = target.shape
    dtype = np.float32 if n_users < 2**24 else np.float64
    uavs = np.arange(n_uavs, dtype=target.dtype)[:, None, None]
    one_hot = np.equal(target[None], uavs).astype(dtype).reshape(n_uavs * n_envs, n_users)
    counts = one_hot @ np.ones(n_users, dtype=dtype)
    return counts.reshape(n_uavs, n_envs).T.astype(np.int64)


_OFF_GROUP = np.array([-np.inf, 0.0])
"""added to a group's SINR row by candidate flag: -inf off the group, +0.0 on it (exact),
a branch-free ``np.where`` (random masks make ``where`` slow)"""


def _keep_best(target: np.ndarray, best: np.ndarray, load: np.ndarray, capacity: int) -> None:
    """Each UAV with more than ``capacity`` candidates keeps the best ``capacity`` of them in
    the pair order (SINR descending, ties by the lower user index); the others lose their UAV
    (``target`` -1). Writes ``target`` and caps ``load`` in place."""
    env, uav = np.nonzero(load > capacity)
    n_users = best.shape[1]
    kth = n_users - capacity  # the capacity-th largest of a row is its kth smallest
    # (G, N): each group's users, and every user's SINR at its best UAV (np.take: row gathers
    # several times faster than fancy indexing)
    candidate = np.take(target, env, axis=0) == uav.astype(target.dtype)[:, None]
    sinr = np.take(best, env, axis=0)
    ordered = sinr + _OFF_GROUP.take(candidate.view(np.uint8))
    # a full row sort gives the same kth value as ``partition(kth)`` and is faster on these
    # rows (mostly -inf, where introselect slows down); the largest of the first kth is then
    # the entry before it, without a row-wise max
    ordered.sort(axis=1)
    cutoff = ordered[:, kth, None]
    drop = np.less(sinr, cutoff)
    drop &= candidate
    if (ordered[:, kth - 1] == cutoff[:, 0]).any():
        # more than capacity candidates at or above the cutoff: the lower user indices first
        tie = candidate & (sinr == cutoff)
        room = capacity - (candidate & (sinr > cutoff)).sum(axis=1, keepdims=True)
        drop |= tie & (np.cumsum(tie, axis=1) > room)
    flat = np.flatnonzero(drop)
    group = flat // n_users
    target.reshape(-1)[flat + (env[group] - group) * n_users] = -1
    np.minimum(load, capacity, out=load)


class RxTables:
    """Received power (mW) of every user from every lattice point, for envs whose users stay
    put and whose UAVs move on the lattice (``memory.table_mode``), in the layout
    (envs, n_cells, N): one row of users per lattice point.

    Modes: 'shared' (one table of the fixed layout, built once), 'per_env' (one per env, built
    whole at each reset: the cheapest for a few envs) and 'lazy' (one per env, a row computed the
    first time a UAV of that env visits the lattice point in the episode: never more links
    than the channel model would compute step by step, and none again on a revisit).
    """

    def __init__(self, mode: str, num_envs: int, lattice_xy: np.ndarray, radio: UavRadio) -> None:
        n_users = radio.params.n_users
        has_indoor = radio.params.indoor_ratio > 0
        self.mode = mode
        self.n_cells = len(lattice_xy)
        self.lattice_x = np.ascontiguousarray(lattice_xy[:, 0])
        self.lattice_y = np.ascontiguousarray(lattice_xy[:, 1])
        self.radio = radio
        self.rx_links = radio._rx_links
        self.table: np.ndarray | None = None
        self.rows = np.zeros((0, n_users))
        """the table as (envs * n_cells, N) rows"""
        if mode in ("per_env", "lazy"):
            self.table = np.empty((num_envs, self.n_cells, n_users))
            self.rows = self.table.reshape(num_envs * self.n_cells, n_users)
        if mode == "lazy":
            # touch every page now: otherwise the first episodes pay the OS's page faults row
            # by row (about 5 % of their steps at B = 256), long before the table is full
            self.table.fill(0.0)
        self.num_envs = num_envs
        lazy_envs = num_envs if mode == "lazy" else 0
        self.have = np.zeros(lazy_envs * self.n_cells, dtype=bool)
        """lazy: which rows hold this episode's values, flat (env * n_cells + cell)"""
        self.has_indoor = has_indoor
        self.user_x = np.zeros((lazy_envs, n_users))
        self.user_y = np.zeros((lazy_envs, n_users))
        self.indoor = np.zeros((lazy_envs, n_users))
        """lazy: each env's users as coordinate planes, and their indoor losses"""

    def build(self, idx: np.ndarray, user_xy: np.ndarray, indoor_loss_db: np.ndarray) -> None:
        """New users ``user_xy`` (M, N, 2), with their indoor losses (M, N), in the envs ``idx``
        ('shared': the fixed layout, (1, N, 2), built on the first call only)."""
        user_x = np.ascontiguousarray(user_xy[..., 0])
        user_y = np.ascontiguousarray(user_xy[..., 1])
        if self.mode == "lazy":
            self.user_x[idx] = user_x
            self.user_y[idx] = user_y
            self.indoor[idx] = indoor_loss_db
            self.have.reshape(self.num_envs, self.n_cells)[idx] = False
            return
        if self.mode == "shared" and self.table is not None:
            return  # the same users in every env and episode
        table = self.rx_links(
            user_x[:, None],
            user_y[:, None],
            self.lattice_x[None, :, None],
            self.lattice_y[None, :, None],
            indoor_loss_db[:, None],
        )  # (M, n_cells, N)
        if self.mode == "shared":
            self.table = table
            self.rows = table[0]
        else:
            self.table[idx] = table

    def gather(
        self,
        envs: np.ndarray | slice,
        cells: np.ndarray,
        out: np.ndarray | None = None,
        work: np.ndarray | None = None,
    ) -> np.ndarray:
        """Received powers (K, M, N) of the envs ``envs`` with UAVs at ``cells`` (M, K), into
        ``out`` when given; ``work`` is the channel model's scratch for the lazy rows
        (``UavRadio._rx_links``)."""
        if out is None:
            out = np.empty((cells.shape[1], cells.shape[0], self.rows.shape[1]))
        # mode="clip" in the gathers below (every index is in range by construction): numpy
        # then writes straight into ``out``; mode="raise" gathers into a temporary and copies
        if self.mode == "shared":
            for k, plane in enumerate(out):
                np.take(self.rows, cells[:, k], axis=0, out=plane, mode="clip")
            return out
        env_ids = np.arange(self.num_envs)[envs] if isinstance(envs, slice) else envs
        flat = (env_ids * self.n_cells)[:, None] + cells
        if self.mode == "lazy":
            missing = flat[~self.have[flat]]
            if missing.size:
                self.rows[missing] = self._rows_of(missing, work)
                self.have[missing] = True
        for k, plane in enumerate(out):
            np.take(self.rows, flat[:, k], axis=0, out=plane, mode="clip")
        return out

    def _rows_of(self, missing: np.ndarray, work: np.ndarray | None) -> np.ndarray:
        """The received powers (G, N) of the lazy rows ``missing`` (env * n_cells + cell): the
        users' offsets gathered straight into the scratch ``work``, then the radio's link
        arithmetic (``UavRadio._rx_offsets``)."""
        env = missing // self.n_cells
        cell = missing - env * self.n_cells
        shape = (len(missing), self.user_x.shape[1])
        if work is None:
            work = np.empty(3 * math.prod(shape))
        dx, dy, out = work_arrays(work, shape)
        np.subtract(
            np.take(self.user_x, env, axis=0, out=dx, mode="clip"),
            self.lattice_x[cell, None],
            out=dx,
        )
        np.subtract(
            np.take(self.user_y, env, axis=0, out=dy, mode="clip"),
            self.lattice_y[cell, None],
            out=dy,
        )
        indoor = self.indoor[env] if self.has_indoor else 0.0
        return self.radio._rx_offsets(dx, dy, indoor, out)


__all__ = ["RxTables", "associate_planes", "pairwise_sum", "total_power"]
