"""Replay an expert access stream through a cache policy: hits, misses, loads and stall time.

Usage::

    stream = AccessStream.from_keys([0, 1, 2, 0, 3, 0, 1])
    replay(stream, capacity=2, policy="lru").misses          # 6
    replay(stream, capacity=2, policy="belady").misses       # 5: Belady's MIN, the lower bound

    stream = decode_stream(trace, batch_size=16)              # from a routing trace
    result = replay(stream, 64, "lru", cost=MoeCostModel.preset("mixtral"), prefetch=True)
    result.stall_ms, result.hit_ratio

``policy`` is a built-in name (``'lru'``, ``'fifo'``, ``'belady'``) or any object following
``ReplayPolicy``; ``netgym.baselines.moe.eviction`` has more (random, per-layer LRU, LFU with
ageing, static pinning, windowed Belady). The cache is demand-paged: every miss loads the key
and, when the cache is full, evicts one resident key chosen by the policy. Belady's MIN (evict
the key whose next use is farthest) gives the fewest misses of any demand-paging policy
(Belady 1966), and with uniform sizes no prefetching policy loads less either.

Everything streams through numpy arrays in chunks: no Python object is kept per access, so ten
million accesses replay in well under 1 GB.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict, deque
from dataclasses import dataclass
from heapq import heapify, heappop, heappush
from typing import Any, Protocol

import numpy as np

from ...core.validation import check_range
from ..cost import MoeCostModel, layer_stall_ms
from .stream import AccessStream

_CHUNK = 1 << 16
"""accesses converted to Python ints at a time"""


class ReplayPolicy(Protocol):
    """What ``replay`` needs from a policy.

    A policy either implements ``miss_positions`` (a whole-stream kernel returning the sorted
    positions of its misses) or the three per-access hooks below.
    """

    name: str

    def reset(self, stream: AccessStream, capacity: int, rng: np.random.Generator) -> None:
        """Prepare for a replay of ``stream`` with ``capacity`` slots."""

    def on_access(self, position: int, key: int, hit: bool) -> None:
        """Called after every access (update recency, frequency...)."""

    def evict(self, position: int, key: int, resident: list[int]) -> int:
        """Called at a miss with a full cache: return the resident key to evict."""
        ...


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class ReplayResult:
    """Counts and times of one replay (times are 0 when no cost model was given)."""

    accesses: int
    hits: int
    misses: int
    loads: int
    """copies made (= misses for demand paging)"""
    cold_misses: int
    """first references: misses that no policy can avoid"""
    stall_ms: float
    """time the compute stream waited for copies"""
    compute_ms: float
    """compute time without stalls"""
    miss_positions: np.ndarray
    """int64 (misses,): sorted positions of the misses in the stream"""

    @property
    def hit_ratio(self) -> float:
        """hits / accesses."""
        return self.hits / self.accesses

    @property
    def total_ms(self) -> float:
        """compute plus stall."""
        return self.compute_ms + self.stall_ms

    def summary(self) -> dict[str, float]:
        """JSON-friendly counts and times."""
        return {
            "accesses": self.accesses,
            "hits": self.hits,
            "misses": self.misses,
            "loads": self.loads,
            "cold_misses": self.cold_misses,
            "hit_ratio": self.hit_ratio,
            "stall_ms": self.stall_ms,
            "compute_ms": self.compute_ms,
        }


def next_use_positions(keys: np.ndarray) -> np.ndarray:
    """For each access, the position of the next access to the same key (``len(keys)`` if none).

    One stable sort; O(n log n) time and O(n) memory.
    """
    n = keys.shape[0]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    same = sorted_keys[1:] == sorted_keys[:-1]
    following = np.full(n, n, dtype=np.int64)
    following[order[:-1][same]] = order[1:][same]
    return following


class MissLog:
    """The miss positions of a replay and, with ``victims`` (a list), the key each miss evicted
    (-1: none), collected one chunk of ``_CHUNK`` accesses at a time (the kernels convert one
    chunk to a list at a time, so that long streams cost little memory)."""

    def __init__(self, victims: list[np.ndarray] | None) -> None:
        self._chunks: list[np.ndarray] = []
        self._victims = victims

    def add(self, begin: int, missed: list[int], evicted: list[int]) -> None:
        """The misses (offsets in the chunk starting at ``begin``) and their evicted keys."""
        self._chunks.append(np.asarray(missed, dtype=np.int64) + begin)
        if self._victims is not None:
            self._victims.append(np.asarray(evicted, dtype=np.int64))

    def positions(self) -> np.ndarray:
        """int64 (misses,) ascending positions of the misses so far."""
        return np.concatenate(self._chunks)


def lru_miss_positions(
    keys: np.ndarray, capacity: int, victims: list[np.ndarray] | None = None
) -> np.ndarray:
    """Misses of least-recently-used eviction.

    With ``victims`` (a list), arrays of the key each miss evicted (-1: none) are appended to it.
    """
    cache: OrderedDict[int, None] = OrderedDict()
    to_end, pop_oldest = cache.move_to_end, cache.popitem
    log = MissLog(victims)
    for begin in range(0, keys.shape[0], _CHUNK):
        missed, evicted = [], []
        for offset, key in enumerate(keys[begin : begin + _CHUNK].tolist()):
            if key in cache:
                to_end(key)
            else:
                missed.append(offset)
                evicted.append(pop_oldest(last=False)[0] if len(cache) >= capacity else -1)
                cache[key] = None
        log.add(begin, missed, evicted)
    return log.positions()


def fifo_miss_positions(
    keys: np.ndarray, capacity: int, victims: list[np.ndarray] | None = None
) -> np.ndarray:
    """Misses of first-in first-out eviction (``victims``: as in ``lru_miss_positions``)."""
    resident: set[int] = set()
    order: deque[int] = deque()
    log = MissLog(victims)
    for begin in range(0, keys.shape[0], _CHUNK):
        missed, evicted = [], []
        for offset, key in enumerate(keys[begin : begin + _CHUNK].tolist()):
            if key not in resident:
                missed.append(offset)
                victim = -1
                if len(resident) >= capacity:
                    victim = order.popleft()
                    resident.discard(victim)
                evicted.append(victim)
                resident.add(key)
                order.append(key)
        log.add(begin, missed, evicted)
    return log.positions()


def belady_miss_positions(
    keys: np.ndarray, capacity: int, victims: list[np.ndarray] | None = None
) -> np.ndarray:
    """Misses of Belady's MIN: evict the resident key whose next use is farthest.

    Among keys never used again the smallest key goes first. ``victims``: as in
    ``lru_miss_positions``.
    """
    following = next_use_positions(keys)
    next_of: dict[int, int] = {}  # resident key -> its next use
    heap: list[tuple[int, int]] = []  # (-next use, key), with stale entries removed lazily
    log = MissLog(victims)
    for begin in range(0, keys.shape[0], _CHUNK):
        missed, evicted = [], []
        chunk_next = following[begin : begin + _CHUNK].tolist()
        for offset, key in enumerate(keys[begin : begin + _CHUNK].tolist()):
            upcoming = chunk_next[offset]
            if key not in next_of:
                missed.append(offset)
                victim = -1
                if len(next_of) >= capacity:
                    while True:
                        negative, victim = heappop(heap)
                        if next_of.get(victim) == -negative:
                            del next_of[victim]
                            break
                evicted.append(victim)
            next_of[key] = upcoming
            heappush(heap, (-upcoming, key))
            if len(heap) > 4 * capacity + 64:  # drop stale entries: memory stays O(capacity)
                heap = [(-use, resident) for resident, use in next_of.items()]
                heapify(heap)
        log.add(begin, missed, evicted)
    return log.positions()


KERNELS = {
    "lru": lru_miss_positions,
    "fifo": fifo_miss_positions,
    "belady": belady_miss_positions,
}
"""built-in whole-stream policies usable by name"""


def generic_miss_positions(
    policy: Any,
    stream: AccessStream,
    capacity: int,
    rng: np.random.Generator,
    victims: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Misses of a policy following the per-access protocol of ``ReplayPolicy``.

    ``victims``: as in ``lru_miss_positions``.
    """
    policy.reset(stream, capacity, rng)
    resident: list[int] = []
    slot_of: dict[int, int] = {}
    log = MissLog(victims)
    for begin in range(0, len(stream), _CHUNK):
        missed, evicted = [], []
        for offset, key in enumerate(stream.keys[begin : begin + _CHUNK].tolist()):
            position = begin + offset
            hit = key in slot_of
            if not hit:
                missed.append(offset)
                if len(resident) < capacity:
                    evicted.append(-1)
                    slot_of[key] = len(resident)
                    resident.append(key)
                else:
                    victim = int(policy.evict(position, key, resident))
                    if victim not in slot_of:
                        raise ValueError(
                            f"policy {policy.name!r} evicted {victim}, which is not resident"
                        )
                    evicted.append(victim)
                    slot = slot_of.pop(victim)
                    resident[slot] = key
                    slot_of[key] = slot
            policy.on_access(position, key, hit)
        log.add(begin, missed, evicted)
    return log.positions()


def victim_last_steps(
    stream: AccessStream, miss_positions: np.ndarray, victims: np.ndarray
) -> np.ndarray:
    """Step of the last use of the key each miss evicted (-1 where it evicted nothing).

    Args:
        stream: the replayed stream.
        miss_positions: int64 (misses,) ascending positions of the misses.
        victims: int64 (misses,) key evicted by each miss (-1: the cache was not full).
    """
    miss_positions = np.asarray(miss_positions, dtype=np.int64)
    victims = np.asarray(victims, dtype=np.int64)
    if victims.shape != miss_positions.shape:
        raise ValueError(
            f"victim_last_steps: {victims.size} victims for {miss_positions.size} misses"
        )
    n = len(stream)
    # (key, position) of every access, sorted; the victim's last use precedes its eviction
    order = np.sort(stream.keys.astype(np.int64) * n + np.arange(n, dtype=np.int64))
    evicting = victims >= 0
    query = victims[evicting] * n + miss_positions[evicting]
    found = order[np.maximum(np.searchsorted(order, query) - 1, 0)]
    used = found // n == victims[evicting]  # False: the victim was never used (prefetched)
    steps = np.full(miss_positions.shape, -1, dtype=np.int64)
    steps[np.flatnonzero(evicting)[used]] = stream.step[found[used] % n]
    return steps


def stall_timeline(
    stream: AccessStream,
    miss_positions: np.ndarray,
    cost: MoeCostModel,
    prefetch: bool = False,
    victim_steps: np.ndarray | None = None,
) -> tuple[float, float]:
    """Stall and compute time of a stream given which accesses missed.

    Each step runs its attention (weights and ``stream.step_context`` KV tokens), shared experts
    and resident experts, then each missing expert
    as its copy arrives through the one serial copy queue (``cost.layer_stall_ms``). A miss's
    copy is issued when its step starts, or with ``prefetch`` when the previous step starts
    (pre-gated prefetch: the router already knows the next layer's experts), but not before the
    expert it evicts has finished computing: a victim last used in the previous step (or in the
    running one) is overwritten from the running step's start only.

    Args:
        stream: the replayed stream.
        miss_positions: int64 (misses,) ascending positions of the misses.
        cost: the cost model.
        prefetch: issue copies one step early where the victim allows it.
        victim_steps: int64 (misses,) step of the last use of the key each miss evicts (-1:
            none; ``victim_last_steps``); required with ``prefetch``.

    Returns:
        ``(stall_ms, compute_ms)``.
    """
    if prefetch:
        if victim_steps is None:
            raise ValueError(
                "stall_timeline: prefetch needs victim_steps (the step of each evicted key's "
                "last use, see victim_last_steps)"
            )
        victim_steps = np.asarray(victim_steps, dtype=np.int64)
        if victim_steps.shape != np.shape(miss_positions):
            raise ValueError(
                f"stall_timeline: {victim_steps.size} victim steps for "
                f"{np.size(miss_positions)} misses"
            )
    else:  # issue at the step's start: no victim can hold a copy back
        victim_steps = np.zeros(np.shape(miss_positions), dtype=np.int64)
    layers = stream.layers_per_access
    expert_ms = np.asarray(cost.expert_ms(stream.tokens), dtype=float) * layers
    base_ms = (cost.attention_ms(stream.step_context) + cost.shared_ms(stream.step_tokens)) * layers
    step_ms = np.asarray(base_ms, dtype=float) + np.bincount(
        stream.step, weights=expert_ms, minlength=stream.n_steps
    )
    prefix = np.concatenate(([0.0], np.cumsum(step_ms)))
    load_ms = cost.load_ms * layers
    miss_steps = stream.step[miss_positions]
    missed_ms = expert_ms[miss_positions]
    now, next_step, queue_free, stall_total = 0.0, 0, 0.0, 0.0
    last_start = 0.0  # start time of step next_step - 1
    current, start, previous_start = -1, 0.0, 0.0
    ready: list[float] = []
    busy: list[float] = []

    def close_group() -> None:
        nonlocal now, next_step, last_start, stall_total
        base = float(step_ms[current]) - sum(busy)
        stall, end = layer_stall_ms(start, base, ready, busy)
        stall_total += stall
        now, next_step, last_start = end, current + 1, start

    for begin in range(0, miss_positions.size, _CHUNK):
        chunk_steps = miss_steps[begin : begin + _CHUNK].tolist()
        chunk_ms = missed_ms[begin : begin + _CHUNK].tolist()
        chunk_victims = victim_steps[begin : begin + _CHUNK].tolist()
        for step, expert_busy, victim_step in zip(
            chunk_steps, chunk_ms, chunk_victims, strict=True
        ):
            if step != current:
                if current >= 0:
                    close_group()
                current = step
                ready, busy = [], []
                start = now + float(prefix[step] - prefix[next_step])
                if step - 1 >= next_step:
                    previous_start = now + float(prefix[step - 1] - prefix[next_step])
                else:
                    previous_start = last_start
            # a victim used up to step - 2 is done by the previous step's start
            issue = previous_start if prefetch and victim_step < step - 1 else start
            queue_free = max(queue_free, issue) + load_ms
            ready.append(queue_free)
            busy.append(expert_busy)
    if current >= 0:
        close_group()
    return stall_total, float(prefix[-1])


def replay(
    stream: AccessStream | Any,
    capacity: int,
    policy: str | Any = "lru",
    cost: MoeCostModel | None = None,
    prefetch: bool = False,
    seed: int = 0,
) -> ReplayResult:
    """Run ``policy`` on ``stream`` with ``capacity`` slots.

    Args:
        stream: an ``AccessStream`` or a 1-d sequence of integer keys.
        capacity: cache slots (>= 1).
        policy: 'lru', 'fifo', 'belady' or a ``ReplayPolicy`` object.
        cost: a cost model for stall and compute times (None: counts only).
        prefetch: issue each miss's copy one step early where the expert it evicts is no longer
            in use (see ``stall_timeline``).
        seed: seed of the generator handed to randomised policies.
    """
    if not isinstance(stream, AccessStream):
        stream = AccessStream.from_keys(stream)
    if len(stream) == 0:
        raise ValueError("replay: the stream has no access (nothing to replay)")
    check_range("replay", "capacity", capacity, low=1, integer=True)
    capacity = int(capacity)
    # prefetch timing needs each miss's victim (its last use bounds the copy's start)
    victims: list[np.ndarray] | None = [] if cost is not None and prefetch else None
    if isinstance(policy, str):
        if policy not in KERNELS:
            raise ValueError(
                f"unknown replay policy {policy!r}; built-in: {sorted(KERNELS)} "
                "(more in netgym.baselines.moe.eviction)"
            )
        misses = KERNELS[policy](stream.keys, capacity, victims)
    elif hasattr(policy, "miss_positions"):
        rng = np.random.default_rng(seed)
        if victims is None:
            misses = policy.miss_positions(stream, capacity, rng)
        elif "victims" in inspect.signature(policy.miss_positions).parameters:
            misses = policy.miss_positions(stream, capacity, rng, victims=victims)
        else:
            raise ValueError(
                f"policy {getattr(policy, 'name', policy)!r}: replay with prefetch needs the "
                "evicted keys; its miss_positions must accept victims= (see lru_miss_positions)"
            )
        misses = np.asarray(misses, dtype=np.int64)
    elif all(hasattr(policy, name) for name in ("reset", "on_access", "evict")):
        misses = generic_miss_positions(
            policy, stream, capacity, np.random.default_rng(seed), victims
        )
    else:
        raise ValueError(
            f"policy must be a name or an object with miss_positions or reset/on_access/evict, "
            f"got {policy!r}"
        )
    stall_ms, compute_ms = (0.0, 0.0)
    if cost is not None:
        victim_steps = None
        if victims is not None:
            evicted = np.concatenate(victims) if victims else np.zeros(0, dtype=np.int64)
            victim_steps = victim_last_steps(stream, misses, evicted)
        stall_ms, compute_ms = stall_timeline(stream, misses, cost, prefetch, victim_steps)
    cold = int(np.count_nonzero(np.bincount(stream.keys, minlength=stream.n_keys)))
    return ReplayResult(
        accesses=len(stream),
        hits=len(stream) - int(misses.size),
        misses=int(misses.size),
        loads=int(misses.size),
        cold_misses=cold,
        stall_ms=float(stall_ms),
        compute_ms=compute_ms,
        miss_positions=misses,
    )
