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

The rule runs in one compiled kernel (``kernels.play_one_round``, numba), its only
implementation; the functions here wrap it for rows of a batch (``play_round``), one env's
segment (``play_segment``) and fixed arms over a whole trace (``evaluate_arms``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import (
    BURST_CAP,
    RuleArrays,
    evaluate_fixed,
    play_rows,
    play_segment_rounds,
)
from .schemes import KINDS, MAX_WINDOW, ArmTable

SGC_KIND = KINDS.index("srsgc")
"""kind indices at or above this use the (B, W, lambda) model"""


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


def rule_arrays(table: ArmTable, rule: RoundRule) -> RuleArrays:
    """The menu ``table`` and the constants of ``rule`` as the kernels read them."""
    return RuleArrays(
        load=np.ascontiguousarray(table.load, dtype=np.float64),
        tolerance=np.ascontiguousarray(table.tolerance, dtype=np.int64),
        bursty=np.ascontiguousarray(table.kind >= SGC_KIND),
        spatial_mask=np.ascontiguousarray(table.spatial_mask, dtype=np.uint8),
        temporal_mask=np.ascontiguousarray(table.temporal_mask, dtype=np.uint8),
        delay=np.ascontiguousarray(table.delay, dtype=np.int64),
        constants=np.array(
            [
                rule.mu,
                rule.c_comp,
                rule.profile_load,
                float(rule.gc_strict),
                float(rule.charge_full_wait),
            ],
            dtype=np.float64,
        ),
    )


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
    delays = np.ascontiguousarray(d0, dtype=np.float64)
    rows = delays.shape[0]
    for name in ("history", "burst"):
        value = getattr(state, name)
        if not (value.dtype == np.uint8 and value.flags.c_contiguous):
            setattr(state, name, np.ascontiguousarray(value, dtype=np.uint8))
    late = np.empty(delays.shape, dtype=bool)
    out = np.empty((rows, 2))
    conform = np.empty(rows, dtype=bool)
    arms = np.ascontiguousarray(arm, dtype=np.int64)
    rules = rule_arrays(table, rule)
    play_rows(delays, arms, rules, state.history, state.burst, late, out, conform)
    return RoundResult(out[:, 0], conform, late, out[:, 1])


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
    """Rounds ``d0`` (n, R) of one env under the fixed arm ``arm``. ``erased`` holds the sets
    of erased stragglers of the past rounds, newest first, as Python integers (worker i is bit
    ``8 ceil(n / 8) - 1 - i``, ``numpy.packbits``' order); a (B, W, lambda) arm updates it in
    place. (The sim keeps the same history as bits per worker.)"""
    n, count = d0.shape
    width = -(-n // 8)
    history = np.zeros(n, dtype=np.uint8)
    for back, past in enumerate(erased[: MAX_WINDOW - 1]):
        bits = np.unpackbits(np.frombuffer(past.to_bytes(width, "big"), dtype=np.uint8))[:n]
        history |= bits << back
    delays = np.ascontiguousarray(d0.T, dtype=np.float64)
    late = np.empty((count, n), dtype=bool)
    out = np.empty((count, 2))
    conform = np.empty(count, dtype=bool)
    play_segment_rounds(
        delays, 0, count, arm, rule_arrays(table, rule), history, late, out, conform
    )
    if table.kind[arm] >= SGC_KIND:
        packed = np.packbits(late & conform[:, None], axis=1).tobytes()
        for start in range(0, len(packed), width):
            erased.insert(0, int.from_bytes(packed[start : start + width], "big"))
        del erased[MAX_WINDOW - 1 :]
    return Segment(out[:, 0], conform, late.T, out[:, 1])


def evaluate_arms(
    d0: np.ndarray, arms: np.ndarray, table: ArmTable, rule: RoundRule, jobs: int
) -> np.ndarray:
    """Total runtime (seconds) of ``jobs`` jobs under each fixed arm of ``arms`` on the same
    base delays ``d0`` (n, rounds): ``jobs + T`` rounds each (the paper's best-in-hindsight
    search evaluates every arm this way).

    Raises:
        ValueError: ``d0`` has fewer rounds than the slowest arm needs.
    """
    arms = np.ascontiguousarray(arms, dtype=np.int64)
    delay = table.delay[arms]
    needed = jobs + int(delay.max())
    if d0.shape[1] < needed:
        raise ValueError(f"the delays cover {d0.shape[1]} rounds; these arms need {needed}")
    delays = np.ascontiguousarray(d0[:, :needed].T, dtype=np.float64)
    ends = np.ascontiguousarray(jobs + delay, dtype=np.int64)
    totals = np.zeros(len(arms))
    evaluate_fixed(delays, arms, ends, rule_arrays(table, rule), totals)
    return totals


def clairvoyant_floor(d0: np.ndarray, rule: RoundRule, n: int, jobs: int) -> float:
    """The bound no policy beats: every one of the first ``jobs`` rounds at the smallest load
    1/n and fast (``min(w_t, max_i d_it)``), summed (seconds)."""
    delay = d0[:, :jobs] + (1.0 / n - rule.profile_load) * rule.c_comp
    wait = (1.0 + rule.mu) * delay.min(axis=0)
    return float(np.minimum(wait, delay.max(axis=0)).sum())


__all__ = [
    "BURST_CAP",
    "RoundResult",
    "RoundRule",
    "RoundState",
    "Segment",
    "clairvoyant_floor",
    "evaluate_arms",
    "play_round",
    "play_segment",
    "rule_arrays",
]
