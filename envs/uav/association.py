"""Greedy SINR association with per-UAV capacity (reference/uav.md 6.2), batched over M envs or
candidate placements, and its one-env twin for the single-env fast path.

The (user, UAV) pairs are taken by SINR descending, ties broken by user index and then UAV index;
a pair is assigned when its SINR >= threshold, the UAV has capacity left and the user is still
unassigned. Because both sides rank the pairs by the same strict order, this greedy matching is
the unique stable matching, so ``greedy_association`` computes it by user-proposing deferred
acceptance, vectorised over all envs at once (a handful of rounds of array operations instead of
a Python loop over the K x N pairs).
"""

from __future__ import annotations

import numpy as np

_NO_PAIR = np.iinfo(np.int64).max


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


def associate_one(
    sinr_db: np.ndarray, threshold_db: float, capacity: int, single_option: bool, out: np.ndarray
) -> np.ndarray:
    """``greedy_association`` of one env, ``sinr_db`` (N, K), on (N, K) arrays (the single-env
    fast path; the same association and load as row 0 of ``greedy_association(sinr_db[None],
    ...)``).

    Writes the association into ``out`` (N,) int64 and returns the load (K,).
    """
    n_uavs = sinr_db.shape[1]
    if not (single_option or n_uavs == 1):
        matched, loads = greedy_association(sinr_db[None], threshold_db, capacity)
        out[:] = matched[0]
        return loads[0]
    target = sinr_db.argmax(axis=1, out=out)
    best = sinr_db[:, 0]  # the row maxima (what max(axis=1) returns)
    for k in range(1, n_uavs):
        best = np.maximum(best, sinr_db[:, k])
    target[best < threshold_db] = -1  # NaN-free: SINR is finite
    load = np.bincount(target + 1, minlength=n_uavs + 1)[1:]
    if max(load.tolist()) > capacity:
        # each overloaded UAV keeps its best ``capacity`` candidates in the pair order
        # (SINR descending, ties by user index): a stable sort of -SINR
        for k in (load > capacity).nonzero()[0].tolist():
            users = (target == k).nonzero()[0]
            order = np.argsort(-best[users], kind="stable")  # best: their SINR
            target[users[order[capacity:]]] = -1
        np.minimum(load, capacity, out=load)
    return load


__all__ = ["associate_one", "greedy_association"]
