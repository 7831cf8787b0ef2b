"""The round rule of the authors' trace-driven evaluation (reference/disttrain.md section 2,
"Round-time rule"), batched over rows (envs, or arms evaluated on one trace).

In round t under a scheme of load l, worker i needs ``d_it = d0_it + (l - l0) c_comp``
(``d0`` profiled at load ``l0``). The master waits ``w_t = (1 + mu) min_i d_it``; workers
slower than that are the round's stragglers. When the straggler set conforms to the scheme's
model, their results are erased and the round lasts ``min(w_t, max_i d_it)``; otherwise the
master waits for everyone (``max_i d_it``). Only erased stragglers enter the history that the
(B, W, lambda) checks read: a round where the master waited for all has no stragglers for
decoding. ``charge_full_wait`` charges ``w_t`` for a conforming round even when everyone
arrived earlier, as the authors' scripts do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schemes import KINDS, MAX_WINDOW, ArmTable

SGC_KIND = KINDS.index("srsgc")
"""kind indices at or above this use the (B, W, lambda) model"""
BURST_CAP = 255
"""burst lengths are counted up to this many rounds (uint8)"""


@dataclass(frozen=True)
class RoundRule:
    """The constants of the rule."""

    mu: float = 1.0
    c_comp: float = 2.2
    """seconds per unit of normalised load"""
    profile_load: float = 0.0
    """l0, the load at which ``d0`` was measured"""
    gc_strict: bool = False
    """GC conforms with fewer than s stragglers (the authors' check) instead of at most s"""
    charge_full_wait: bool = False


@dataclass
class RoundState:
    """Per-row state carried from round to round."""

    history: np.ndarray
    """(rows, n) uint8: bit i = the worker was an erased straggler in round r - 1 - i"""
    burst: np.ndarray
    """(rows, n) uint8: consecutive rounds each worker has been slower than the wait"""

    @classmethod
    def empty(cls, rows: int, n: int) -> RoundState:
        """No history."""
        return cls(np.zeros((rows, n), dtype=np.uint8), np.zeros((rows, n), dtype=np.uint8))


@dataclass
class RoundResult:
    """What one round gives per row."""

    duration: np.ndarray
    conform: np.ndarray
    stragglers: np.ndarray
    """(rows, n) bool"""
    fastest: np.ndarray


def play_round(
    d0: np.ndarray,
    arm: np.ndarray,
    table: ArmTable,
    rule: RoundRule,
    state: RoundState,
) -> RoundResult:
    """One round for every row: ``d0`` (rows, n) base delays, ``arm`` (rows,) arm indices.
    Updates ``state`` in place."""
    delay = d0 + ((table.load[arm] - rule.profile_load) * rule.c_comp)[:, None]
    fastest = delay.min(axis=1)
    slowest = delay.max(axis=1)
    wait = (1.0 + rule.mu) * fastest
    late = delay > wait[:, None]
    count = late.sum(axis=1)
    tolerance = table.tolerance[arm]
    conform = count < tolerance if rule.gc_strict else count <= tolerance
    sgc = table.kind[arm] >= SGC_KIND
    if sgc.any():
        hist = state.history
        recent = (hist & table.spatial_mask[arm][:, None]) != 0
        spatial = (recent | late).sum(axis=1) <= tolerance
        repeat = ((hist & table.temporal_mask[arm][:, None]) != 0) & late
        conform = np.where(sgc, spatial & ~repeat.any(axis=1), conform)
    fast = wait if rule.charge_full_wait else np.minimum(wait, slowest)
    duration = np.where(conform, fast, slowest)
    np.left_shift(state.history, 1, out=state.history)
    state.history |= late & conform[:, None]
    state.burst = np.where(late, np.minimum(state.burst, BURST_CAP - 1) + 1, 0).astype(np.uint8)
    return RoundResult(duration, conform, late, fastest)


@dataclass
class Segment:
    """Rounds of one env under one arm (``play_segment``)."""

    duration: np.ndarray
    """(R,) seconds"""
    conform: np.ndarray
    """(R,) bool"""
    late: np.ndarray
    """(n, R) bool: slower than the wait"""
    fastest: np.ndarray
    """(R,) the fastest worker's delay"""


def play_segment(
    d0: np.ndarray, arm: int, table: ArmTable, rule: RoundRule, erased: list[int]
) -> Segment:
    """Rounds ``d0`` (n, R) of one env under the fixed arm ``arm``: the same rule as
    ``play_round``, vectorised over the rounds; only the (B, W, lambda) check runs round by
    round, on Python integers used as bit sets of workers. ``erased`` holds the sets of
    erased stragglers of the past rounds, newest first, and is updated in place.

    The work runs on ``d0.T`` (R, n): fastest when that is C-contiguous (the sim stores its
    delays round-major); ``Segment.late`` is then a transposed view."""
    delay = d0.T + (table.load[arm] - rule.profile_load) * rule.c_comp
    fastest = delay.min(axis=1)
    slowest = delay.max(axis=1)
    wait = (1.0 + rule.mu) * fastest
    late = delay > wait[:, None]
    tolerance = int(table.tolerance[arm])
    if table.kind[arm] < SGC_KIND:
        count = late.sum(axis=1)
        conform = count < tolerance if rule.gc_strict else count <= tolerance
    else:
        conform = _bursty_conform(late, table.arms[arm].b, table.arms[arm].w, tolerance, erased)
    fast = wait if rule.charge_full_wait else np.minimum(wait, slowest)
    return Segment(np.where(conform, fast, slowest), conform, late.T, fastest)


def _bursty_conform(late: np.ndarray, b: int, w: int, lam: int, erased: list[int]) -> np.ndarray:
    """(R,) whether each round's late set (``late`` (R, n)) follows the (B, W, lambda) model,
    given the erased sets of the previous rounds (``erased``, newest first, updated in
    place)."""
    packed = np.packbits(late, axis=1)
    width = packed.shape[1]
    buffer = packed.tobytes()
    conform = []
    for start in range(0, len(buffer), width):
        now = int.from_bytes(buffer[start : start + width], "big")
        window = 0
        for past in erased[: w - 1]:
            window |= past
        repeat = 0
        for past in erased[b - 1 : w - 1]:
            repeat |= past
        ok = (window | now).bit_count() <= lam and not repeat & now
        conform.append(ok)
        erased.insert(0, now if ok else 0)
        del erased[MAX_WINDOW - 1 :]
    return np.array(conform, dtype=bool)


def evaluate_arms(
    d0: np.ndarray, arms: np.ndarray, table: ArmTable, rule: RoundRule, jobs: int
) -> np.ndarray:
    """Total runtime (seconds) of ``jobs`` jobs under each fixed arm of ``arms`` on the same
    base delays ``d0`` (n, rounds): ``jobs + T`` rounds each (the paper's best-in-hindsight
    search evaluates every arm this way).

    Raises:
        ValueError: ``d0`` has fewer rounds than the slowest arm needs.
    """
    arms = np.asarray(arms, dtype=np.int64)
    delay = table.delay[arms]
    needed = jobs + int(delay.max())
    if d0.shape[1] < needed:
        raise ValueError(f"the delays cover {d0.shape[1]} rounds; these arms need {needed}")
    state = RoundState.empty(len(arms), d0.shape[0])
    total = np.zeros(len(arms))
    for t in range(needed):
        rows = np.broadcast_to(d0[:, t], (len(arms), d0.shape[0]))
        result = play_round(rows, arms, table, rule, state)
        total += np.where(t < jobs + delay, result.duration, 0.0)
    return total


def clairvoyant_floor(d0: np.ndarray, rule: RoundRule, n: int, jobs: int) -> float:
    """The bound no policy beats: every one of the first ``jobs`` rounds at the smallest load
    1/n and fast (``min(w_t, max_i d_it)``), summed (seconds)."""
    delay = d0[:, :jobs] + (1.0 / n - rule.profile_load) * rule.c_comp
    wait = (1.0 + rule.mu) * delay.min(axis=0)
    return float(np.minimum(wait, delay.max(axis=0)).sum())


__all__ = [
    "RoundResult",
    "RoundRule",
    "RoundState",
    "Segment",
    "clairvoyant_floor",
    "evaluate_arms",
    "play_round",
    "play_segment",
]
