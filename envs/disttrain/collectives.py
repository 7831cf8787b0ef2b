"""Collectives as steps of (src, dst, size) flows between ranks.

A ``Collective`` holds the flows of all its steps concatenated (``src``, ``dst``, ``size`` in
bytes) and the offsets of each step (``step_start``); step ``k`` is the slice
``step_start[k]:step_start[k + 1]``. Ranks are mapped to NICs by a placement
(``placement.py``). The algorithms (reference/disttrain.md sections 1 and 6, "collectives"),
for S = ``message_bytes`` (each rank's buffer) over N ranks:

- ring all-reduce: 2(N-1) steps; each rank sends S/N to its ring successor;
- ring reduce-scatter and ring all-gather: N-1 such steps each;
- halving-doubling all-reduce (Rabenseifner; N a power of two): log2 N reduce-scatter steps
  (partner ``r XOR N/2^(i+1)``, S/2^(i+1) bytes), then the all-gather steps in reverse order;
- pairwise all-to-all: N-1 shifted permutations (step j: r -> r + j, S/N bytes);
- one-shot all-to-all: one step with all N(N-1) flows of S/N bytes;
- double binary tree all-reduce (NCCL-like): two in-order binary trees, the second the
  mirror (n even) or shift (n odd) of the first, each reducing then broadcasting half of
  the buffer, pipelined in
  ``chunks`` chunks (chunk c crosses level-l edges at step c + depth - l of the reduce phase);
- permutation: one step of a random permutation with no fixed point (S bytes per flow),
  the usual stress test of load balancing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.validation import check_range

COLLECTIVES = (
    "ring_allreduce",
    "halving_doubling",
    "reduce_scatter",
    "all_gather",
    "alltoall_pairwise",
    "alltoall_oneshot",
    "double_binary_tree",
    "permutation",
)
"""the collective algorithms ``build_collective`` knows"""


@dataclass(frozen=True, eq=False)
class Collective:
    """Flows of every step of a collective, between ranks (see the module docstring)."""

    name: str
    n_ranks: int
    message_bytes: float
    src: np.ndarray
    """(F,) source rank of every flow, steps concatenated"""
    dst: np.ndarray
    """(F,) destination rank"""
    size: np.ndarray
    """(F,) bytes"""
    step_start: np.ndarray
    """(K + 1,) offsets of the steps in the flow arrays"""

    @property
    def n_steps(self) -> int:
        """K, the number of steps."""
        return len(self.step_start) - 1

    def step(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(src, dst, size) of step ``k``."""
        lo, hi = self.step_start[k], self.step_start[k + 1]
        return self.src[lo:hi], self.dst[lo:hi], self.size[lo:hi]

    def step_of_flow(self) -> np.ndarray:
        """(F,) the step of each flow."""
        return np.repeat(np.arange(self.n_steps), np.diff(self.step_start))

    def bytes_per_rank(self) -> float:
        """The most bytes any rank sends over the whole collective."""
        return float(np.bincount(self.src, weights=self.size, minlength=self.n_ranks).max())


def _stack(
    name: str, n: int, message: float, steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> Collective:
    sizes = [len(s[0]) for s in steps]
    return Collective(
        name=name,
        n_ranks=n,
        message_bytes=float(message),
        src=np.concatenate([s[0] for s in steps]).astype(np.int64),
        dst=np.concatenate([s[1] for s in steps]).astype(np.int64),
        size=np.concatenate([np.broadcast_to(s[2], len(s[0])) for s in steps]).astype(float),
        step_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
    )


def _ring_steps(n: int, count: int, size: float) -> list:
    ranks = np.arange(n)
    succ = (ranks + 1) % n
    return [(ranks, succ, np.full(n, size))] * count


def ring_allreduce(n: int, message_bytes: float) -> Collective:
    """Ring all-reduce: 2(N-1) steps of S/N bytes from every rank to its successor."""
    return _stack(
        "ring_allreduce", n, message_bytes, _ring_steps(n, 2 * (n - 1), message_bytes / n)
    )


def reduce_scatter(n: int, message_bytes: float) -> Collective:
    """Ring reduce-scatter: N-1 steps of S/N bytes to the successor."""
    return _stack("reduce_scatter", n, message_bytes, _ring_steps(n, n - 1, message_bytes / n))


def all_gather(n: int, message_bytes: float) -> Collective:
    """Ring all-gather of an S-byte result (S/N per rank): N-1 steps of S/N bytes."""
    return _stack("all_gather", n, message_bytes, _ring_steps(n, n - 1, message_bytes / n))


def halving_doubling(n: int, message_bytes: float) -> Collective:
    """Rabenseifner's all-reduce: recursive-halving reduce-scatter, recursive-doubling
    all-gather; 2 log2 N steps of pairwise exchange.

    Raises:
        ValueError: N is not a power of two.
    """
    if n & (n - 1):
        raise ValueError(f"halving_doubling needs a power-of-two number of ranks, got {n}")
    ranks = np.arange(n)
    levels = n.bit_length() - 1
    halving = [
        (ranks, ranks ^ (n >> (i + 1)), np.full(n, message_bytes / 2 ** (i + 1)))
        for i in range(levels)
    ]
    return _stack("halving_doubling", n, message_bytes, halving + halving[::-1])


def alltoall_pairwise(n: int, message_bytes: float) -> Collective:
    """Pairwise all-to-all: N-1 shifted permutations, rank r sends S/N to r + j in step j."""
    ranks = np.arange(n)
    steps = [(ranks, (ranks + j) % n, np.full(n, message_bytes / n)) for j in range(1, n)]
    return _stack("alltoall_pairwise", n, message_bytes, steps)


def alltoall_oneshot(n: int, message_bytes: float) -> Collective:
    """One-shot all-to-all: one step with all N(N-1) flows of S/N bytes."""
    src, dst = np.divmod(np.arange(n * n), n)
    keep = src != dst
    return _stack(
        "alltoall_oneshot",
        n,
        message_bytes,
        [(src[keep], dst[keep], np.full(int(keep.sum()), message_bytes / n))],
    )


def inorder_tree(n: int) -> np.ndarray:
    """(n,) parent of each rank in the in-order binary tree of NCCL's double binary tree
    (root -1): rank ``r`` is node ``i = r + 1`` of the infinite in-order tree on the positive
    integers, where node i with lowest set bit b is the left child of ``i + b`` when bit 2b of
    i is clear and the right child of ``i - b`` otherwise; a parent beyond n is skipped
    upward. Even ranks (odd i) are the leaves."""
    parent = np.full(n, -1, dtype=np.int64)
    root = 1 << (n.bit_length() - 1)
    for i in range(1, n + 1):
        if i == root:
            continue
        bit, up = i & -i, i
        while True:
            up = up + bit if (up & (2 * bit)) == 0 else up - bit
            bit *= 2
            if up <= n:
                break
        parent[i - 1] = up - 1
    return parent


def _depths(parent: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(parent), dtype=np.int64)
    for node in range(len(parent)):
        d, up = 0, parent[node]
        while up >= 0:
            d, up = d + 1, parent[up]
        depth[node] = d
    return depth


def double_binary_tree(n: int, message_bytes: float, chunks: int = 4) -> Collective:
    """NCCL-like double binary tree all-reduce (see the module docstring).

    Tree 1 is ``inorder_tree``; tree 2 maps node ``v`` to rank ``n - 1 - v`` (n even) or
    ``v + 1 mod n`` (n odd), as NCCL does, so that no rank is an inner node of both trees.
    Each tree carries S/2 in ``chunks`` chunks; the reduce of chunk c crosses the edges from
    depth l to l - 1 at step ``c + depth_max - l``; the broadcast of chunk c crosses the edges
    from depth l - 1 to l at step ``c + depth_max + l - 1``.

    Raises:
        ValueError: fewer than 2 ranks or chunks below 1.
    """
    if n < 2:
        raise ValueError(f"double_binary_tree needs at least 2 ranks, got {n}")
    check_range("double_binary_tree", "chunks", chunks, low=1, high=1024, integer=True)
    chunks = int(chunks)
    parent = inorder_tree(n)
    depth = _depths(parent)
    top = int(depth.max())
    children = np.flatnonzero(parent >= 0)
    chunk_bytes = message_bytes / 2 / chunks
    n_steps = chunks + 2 * top - 1
    steps: list[tuple[list, list]] = [([], []) for _ in range(n_steps)]
    for mirror in (False, True):
        rank = np.arange(n)
        if mirror:
            rank = (n - 1 - rank) if n % 2 == 0 else (rank + 1) % n
        for c in range(chunks):
            for node in children:
                level = depth[node]
                up_step = c + top - level
                down_step = c + top + level - 1
                steps[up_step][0].append(rank[node])
                steps[up_step][1].append(rank[parent[node]])
                steps[down_step][0].append(rank[parent[node]])
                steps[down_step][1].append(rank[node])
    built = [
        (np.array(s, dtype=np.int64), np.array(d, dtype=np.int64), np.full(len(s), chunk_bytes))
        for s, d in steps
        if s
    ]
    return _stack("double_binary_tree", n, message_bytes, built)


def permutation(n: int, message_bytes: float, rng: np.random.Generator) -> Collective:
    """One step of a uniformly random permutation without fixed points (a derangement,
    drawn by rejection), S bytes per flow."""
    if n < 2:
        raise ValueError(f"permutation traffic needs at least 2 ranks, got {n}")
    ranks = np.arange(n)
    while True:
        dst = rng.permutation(n)
        if not (dst == ranks).any():
            break
    return _stack("permutation", n, message_bytes, [(ranks, dst, np.full(n, message_bytes))])


def build_collective(
    name: str,
    n_ranks: int,
    message_bytes: float,
    rng: np.random.Generator | None = None,
    chunks: int = 4,
) -> Collective:
    """The collective ``name`` (one of ``COLLECTIVES``) over ``n_ranks`` ranks.

    Raises:
        ValueError: an unknown name, fewer than 2 ranks, a message that is not positive, or
            a rank count the algorithm cannot use (halving-doubling needs a power of two).
    """
    if name not in COLLECTIVES:
        raise ValueError(f"unknown collective {name!r}; known: {list(COLLECTIVES)}")
    check_range(name, "n_ranks", n_ranks, low=2, integer=True)
    check_range(name, "message_bytes", message_bytes, low=0.0, low_inclusive=False)
    n = int(n_ranks)
    if name == "permutation":
        return permutation(n, message_bytes, rng if rng is not None else np.random.default_rng(0))
    if name == "double_binary_tree":
        return double_binary_tree(n, message_bytes, chunks)
    builders = {
        "ring_allreduce": ring_allreduce,
        "halving_doubling": halving_doubling,
        "reduce_scatter": reduce_scatter,
        "all_gather": all_gather,
        "alltoall_pairwise": alltoall_pairwise,
        "alltoall_oneshot": alltoall_oneshot,
    }
    return builders[name](n, message_bytes)


@dataclass(frozen=True, eq=False)
class Patterns:
    """Steps grouped by their flow pattern: steps with the same (src, dst) flows and sizes
    proportional to each other share a pattern, so that their congestion is computed once
    (it scales with the step's bytes) and the paths of a connection persist across them."""

    of_step: np.ndarray
    """(K,) pattern of each step"""
    scale: np.ndarray
    """(K,) the step's sizes = scale x the pattern's unit sizes"""
    flow_start: np.ndarray
    """(n_patterns + 1,) offsets of each pattern's flows in ``src``/``dst``/``unit``"""
    src: np.ndarray
    dst: np.ndarray
    unit: np.ndarray
    """unit sizes of the pattern's flows (the largest is 1)"""

    @property
    def count(self) -> int:
        """Number of distinct patterns."""
        return len(self.flow_start) - 1


def step_patterns(collective: Collective, merge: bool = True) -> Patterns:
    """Group the steps of ``collective`` into patterns, in order of first appearance; with
    ``merge=False`` every step is its own pattern."""
    of_step = np.empty(collective.n_steps, dtype=np.int64)
    scale = np.empty(collective.n_steps)
    seen: dict[bytes, int] = {}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for k in range(collective.n_steps):
        src, dst, size = collective.step(k)
        top = float(size.max())
        unit = size / top
        key = src.tobytes() + dst.tobytes() + np.round(unit, 12).tobytes() if merge else k
        index = seen.get(key) if merge else None
        if index is None:
            index = len(parts)
            if merge:
                seen[key] = index
            parts.append((src, dst, unit))
        of_step[k], scale[k] = index, top
    return Patterns(
        of_step=of_step,
        scale=scale,
        flow_start=np.concatenate([[0], np.cumsum([len(p[0]) for p in parts])]).astype(np.int64),
        src=np.concatenate([p[0] for p in parts]),
        dst=np.concatenate([p[1] for p in parts]),
        unit=np.concatenate([p[2] for p in parts]),
    )


__all__ = [
    "COLLECTIVES",
    "Collective",
    "Patterns",
    "all_gather",
    "alltoall_oneshot",
    "alltoall_pairwise",
    "build_collective",
    "double_binary_tree",
    "halving_doubling",
    "inorder_tree",
    "permutation",
    "reduce_scatter",
    "ring_allreduce",
    "step_patterns",
]
