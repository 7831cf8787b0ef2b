"""The compiled round loop of ``netgym/SeqGradCoding-v0`` (numba, ``envs/core/compiled.py``):
the only implementation of the round rule (``rounds.py`` explains the rule and wraps these
kernels; ``sim.py`` steps every env of a batch with one ``play_epochs`` call).

Bit-identical to the numpy code it replaced: the same additions in the same order (a delay is
``d0 + (load - l0) c_comp``, the wait ``(1 + mu) x fastest``), and a segment's duration summed
with ``pairwise_sum``, numpy's own summation order. No random numbers are drawn here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...core.compiled import kernel
from ..kernels import pairwise_sum

BURST_CAP = 255
"""burst lengths are counted up to this many rounds (uint8)"""


class RuleArrays(NamedTuple):
    """The menu and the round rule's constants as the kernels read them."""

    load: np.ndarray
    """(A,) float64 normalised loads"""
    tolerance: np.ndarray
    """(A,) int64: GC's s, or lambda"""
    bursty: np.ndarray
    """(A,) bool: the arm follows the (B, W, lambda) model"""
    spatial_mask: np.ndarray
    """(A,) uint8 history bits of rounds r-1 .. r-W+1"""
    temporal_mask: np.ndarray
    """(A,) uint8 history bits of rounds r-B .. r-W+1"""
    delay: np.ndarray
    """(A,) int64 decoding delays T"""
    constants: np.ndarray
    """float64 [mu, c_comp, profile_load, gc_strict, charge_full_wait]"""


@kernel
def expand_chains(
    bad: np.ndarray, good: np.ndarray, start: np.ndarray, out: np.ndarray, first: int, length: int
) -> None:
    """Write the states of two-state chains into ``out[:, first : first + length]`` (bool):
    row r starts in ``start[r]`` (the state before round 0) and alternates sojourns, the
    current state's from ``bad[r]`` when bad and ``good[r]`` when good, pair by pair (a
    sojourn of s rounds switches the state s rounds after the previous switch, the first
    counted from round -1); rounds from the switch on have the new state."""
    for r in range(out.shape[0]):
        state = start[r]
        time = -1
        filled = 0
        for pair in range(bad.shape[1]):
            for _ in range(2):
                time += bad[r, pair] if state else good[r, pair]
                end = min(time, length)
                for t in range(filled, end):
                    out[r, first + t] = state
                filled = max(filled, end)
                state = not state
            if time >= length:
                break


@kernel
def scale_delays(
    jitter: np.ndarray, straggling: np.ndarray, base: float, slowdown: float, out: np.ndarray
) -> None:
    """``out[t, i] = jitter[i, t] x base``, times ``slowdown`` where ``straggling[i, t]``:
    the base delays, written round-major (``jitter`` (n, rounds) the lognormal factors,
    ``straggling`` (n, >= rounds) bool)."""
    for t in range(jitter.shape[1]):
        for i in range(jitter.shape[0]):
            value = jitter[i, t] * base
            out[t, i] = value * slowdown if straggling[i, t] else value


@kernel
def play_one_round(
    delays: np.ndarray, arm: int, rule: RuleArrays, history: np.ndarray, late: np.ndarray
) -> tuple[float, bool, float, int]:
    """The round rule for one row of ``delays`` (n,) base delays under ``arm`` (an index into
    the ``RuleArrays`` ``rule``): writes who was later than the wait into ``late`` (n,) and
    shifts this round's erased stragglers (late in a conforming round) into ``history`` (n,)
    uint8. Returns (duration, conform, fastest delay, late workers)."""
    mu, c_comp, profile_load = rule.constants[0], rule.constants[1], rule.constants[2]
    extra = (rule.load[arm] - profile_load) * c_comp
    n = delays.shape[0]
    fastest = delays[0] + extra
    slowest = fastest
    for i in range(1, n):
        value = delays[i] + extra
        if value < fastest:
            fastest = value
        if value > slowest:
            slowest = value
    wait = (1.0 + mu) * fastest
    tolerance = rule.tolerance[arm]
    bursty = rule.bursty[arm]
    spatial, temporal = rule.spatial_mask[arm], rule.temporal_mask[arm]
    count = 0
    union = 0
    repeat = False
    for i in range(n):
        is_late = delays[i] + extra > wait
        late[i] = is_late
        if is_late:
            count += 1
        if bursty:
            past = history[i]
            if is_late or (past & spatial) != 0:
                union += 1
            if is_late and (past & temporal) != 0:
                repeat = True
    if bursty:
        conform = union <= tolerance and not repeat
    elif rule.constants[3] != 0.0:
        conform = count < tolerance
    else:
        conform = count <= tolerance
    for i in range(n):
        history[i] = ((history[i] << 1) | (1 if conform and late[i] else 0)) & 0xFF
    if not conform:
        duration = slowest
    elif rule.constants[4] != 0.0:
        duration = wait
    else:
        duration = min(wait, slowest)
    return duration, conform, fastest, count


@kernel
def play_rows(
    delays: np.ndarray,
    arms: np.ndarray,
    rule: RuleArrays,
    history: np.ndarray,
    burst: np.ndarray,
    late: np.ndarray,
    out: np.ndarray,
    conform: np.ndarray,
) -> None:
    """One round for every row of ``delays`` (rows, n) under ``arms`` (rows,), each row with
    its own ``history`` and ``burst`` (rows, n) uint8; writes ``late`` (rows, n), ``out``
    (rows, 2): duration and fastest delay, and ``conform`` (rows,)."""
    for row in range(delays.shape[0]):
        result = play_one_round(delays[row], arms[row], rule, history[row], late[row])
        out[row, 0], conform[row], out[row, 1] = result[0], result[1], result[2]
        for i in range(delays.shape[1]):
            burst[row, i] = min(burst[row, i], BURST_CAP - 1) + 1 if late[row, i] else 0


@kernel
def evaluate_fixed(
    delays: np.ndarray, arms: np.ndarray, ends: np.ndarray, rule: RuleArrays, totals: np.ndarray
) -> None:
    """``totals[k]``: the runtime of the fixed arm ``arms[k]`` over rounds ``0 .. ends[k] - 1``
    of ``delays`` (rounds, n), from an empty history, summed round by round."""
    n = delays.shape[1]
    history = np.zeros(n, dtype=np.uint8)
    late = np.zeros(n, dtype=np.bool_)
    for k in range(arms.shape[0]):
        history[:] = 0
        total = 0.0
        for t in range(ends[k]):
            total += play_one_round(delays[t], arms[k], rule, history, late)[0]
        totals[k] = total


@kernel
def play_segment_rounds(
    delays: np.ndarray,
    t0: int,
    count: int,
    arm: int,
    rule: RuleArrays,
    history: np.ndarray,
    late: np.ndarray,
    out: np.ndarray,
    conform: np.ndarray,
) -> None:
    """Rounds ``t0 .. t0 + count - 1`` of ``delays`` (rounds, n) under ``arm`` with one
    ``history`` (n,) carried from round to round: ``late`` (rounds, n), ``out`` (rounds, 2)
    duration and fastest delay, and ``conform`` (rounds,) written for those rounds."""
    for t in range(t0, t0 + count):
        result = play_one_round(delays[t], arm, rule, history, late[t])
        out[t, 0], conform[t], out[t, 1] = result[0], result[1], result[2]


@kernel
def _segment(
    m: int,
    arm: int,
    count: int,
    rule: RuleArrays,
    d0: np.ndarray,
    late_log: np.ndarray,
    round_log: np.ndarray,
    per_worker: np.ndarray,
    recent: np.ndarray,
    counters: np.ndarray,
    times: np.ndarray,
    scratch: np.ndarray,
) -> int:
    """``count`` rounds of env ``m`` under ``arm`` (see ``play_epochs``); returns how many of
    them conformed."""
    if count == 0:
        return 0
    t0 = counters[m, 0]
    history, burst, seen = per_worker[m, 0], per_worker[m, 1], per_worker[m, 2]
    late_counts, durations = recent[m, 0], recent[m, 1]
    window = late_counts.shape[0]
    conforming = 0
    for j in range(count):
        t = t0 + j
        late = late_log[m, t]
        duration, conform, fastest, n_late = play_one_round(d0[m, t], arm, rule, history, late)
        round_log[m, t, 0] = duration
        round_log[m, t, 1] = fastest
        round_log[m, t, 2] = arm
        for i in range(late.shape[0]):
            if late[i]:
                burst[i] = min(burst[i], BURST_CAP - 1) + 1
                seen[i] = ((seen[i] << 1) | 1) & 0xFF
            else:
                burst[i] = 0
                seen[i] = (seen[i] << 1) & 0xFF
        for back in range(window - 1, 0, -1):
            late_counts[back] = late_counts[back - 1]
            durations[back] = durations[back - 1]
        late_counts[0] = n_late
        durations[0] = duration
        scratch[j] = duration
        if conform:
            conforming += 1
    total = pairwise_sum(scratch, count)
    times[m, 0] += total
    times[m, 1] += total
    counters[m, 0] = t0 + count
    return conforming


@kernel
def play_epochs(
    envs: np.ndarray,
    actions: np.ndarray,
    episode: np.ndarray,
    rule: RuleArrays,
    d0: np.ndarray,
    late_log: np.ndarray,
    round_log: np.ndarray,
    per_worker: np.ndarray,
    recent: np.ndarray,
    counters: np.ndarray,
    times: np.ndarray,
    done: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """One epoch (env step) in each env ``envs[j]`` under the arm ``actions[j]``.

    The arm changing, the old scheme first drains its decoding delay T_old, and the new one
    starts without a history; then ``k = min(epoch_jobs, jobs left)`` rounds under the new
    arm, plus its T in the last epoch. ``episode`` int64 [jobs, epoch_jobs]. Per env m:
    ``d0[m]`` (rounds, n) base delays; ``late_log[m]`` (rounds, n) and ``round_log[m]``
    (rounds, 3: duration, fastest delay, arm) written for the rounds played;
    ``per_worker[m]`` (3, n) uint8: the erased-straggler history (bit i: round r-1-i), the
    burst lengths and the late bits of the last 8 rounds; ``recent[m]`` (2, 8): the late
    counts and durations of the last 8 rounds, newest first; ``counters[m]`` int64 [rounds
    played, jobs started, arm (-1: none yet), switches, the epoch's rounds]; ``times[m]``
    [runtime, epoch time, conforming share of the epoch, reward, reward scale]; ``done[m]``.
    ``scratch`` (rounds,) float64.
    """
    jobs, epoch_jobs = episode[0], episode[1]
    for j in range(envs.shape[0]):
        m = envs[j]
        new = actions[j]
        old = counters[m, 2]
        started = counters[m, 1]
        k = min(epoch_jobs, jobs - started)
        last = started + k >= jobs
        times[m, 1] = 0.0
        rounds = 0
        conforming = 0
        if old >= 0 and old != new:
            drain = rule.delay[old]
            conforming += _segment(
                m,
                old,
                drain,
                rule,
                d0,
                late_log,
                round_log,
                per_worker,
                recent,
                counters,
                times,
                scratch,
            )
            rounds += drain
            counters[m, 3] += 1
        if old != new:
            per_worker[m, 0, :] = 0  # the new scheme starts without a history
        count = k + (rule.delay[new] if last else 0)
        conforming += _segment(
            m,
            new,
            count,
            rule,
            d0,
            late_log,
            round_log,
            per_worker,
            recent,
            counters,
            times,
            scratch,
        )
        rounds += count
        counters[m, 2] = new
        counters[m, 1] = started + k
        counters[m, 4] = rounds
        done[m] = last
        times[m, 2] = conforming / rounds
        times[m, 3] = -times[m, 1] / times[m, 4]


@kernel
def observe_envs(
    per_worker: np.ndarray,
    recent: np.ndarray,
    counters: np.ndarray,
    times: np.ndarray,
    rule: RuleArrays,
    kinds: np.ndarray,
    episode: np.ndarray,
    out: np.ndarray,
) -> None:
    """The observation of every env into ``out`` (N, 27) float32 (``observe.py`` lists the
    values); ``kinds`` (A,) the arms' scheme kinds, the other arrays ``play_epochs``'."""
    n = per_worker.shape[2]
    window = recent.shape[2]
    bins = 8
    top_load = rule.load.max()
    top_delay = max(rule.delay.max(), 1)
    counts = np.zeros(bins + 1, dtype=np.int64)
    for m in range(out.shape[0]):
        burst, seen = per_worker[m, 1], per_worker[m, 2]
        distinct = 0
        again = 0
        before = 0
        late = 0
        counts[:] = 0
        for i in range(n):
            bits = seen[i]
            if bits != 0:
                distinct += 1
            if bits & 2:
                before += 1
                if bits & 1:
                    again += 1
            length = min(burst[i], bins)
            counts[length] += 1
            if length > 0:
                late += 1
        row = out[m]
        row[:] = 0.0
        row[0] = distinct / n
        late_sum = pairwise_sum(recent[m, 0], window)
        row[1] = late_sum / max(min(counters[m, 0], window), 1) / n
        row[2] = again / max(before, 1)
        for b in range(bins):
            row[3 + b] = counts[1 + b] / max(late, 1)
        base = 3 + bins
        row[base] = times[m, 2]
        for w in range(window):
            scaled = recent[m, 1, w] / times[m, 4]
            row[base + 1 + w] = scaled / (1.0 + scaled)
        base += 1 + window
        arm = counters[m, 2]
        if arm >= 0:
            row[base + kinds[arm]] = 1.0
            row[base + 4] = rule.load[arm] / top_load
            row[base + 5] = rule.delay[arm] / top_delay
        row[base + 6] = counters[m, 1] / episode[0]


__all__ = [
    "BURST_CAP",
    "RuleArrays",
    "expand_chains",
    "scale_delays",
    "observe_envs",
    "evaluate_fixed",
    "play_epochs",
    "play_one_round",
    "play_rows",
    "play_segment_rounds",
]
