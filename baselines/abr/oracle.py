"""Offline optimum of the ABR QoE: a dynamic programme over the whole episode (Pensieve dp.cc).

``OfflineOptimal`` knows the trace, the start position and the per-chunk delay noise of the
episode. At ``reset(env)`` it plans every remaining chunk by dynamic programming, then plays the
plan. It is the "physical limit" line of ABR plots, not an online policy.

The dynamic programme
---------------------
After ``c`` chunks the future of an episode depends only on the download clock ``P`` (position
in the trace, s; the trace is periodic), the buffer ``b`` and the last level ``q`` (whose
utility enters the smoothness penalty). Stage ``c`` holds a set of *representative states*:
exact, un-quantised simulator states with the best accumulated reward ``V`` found for their
bin. Every stage expands all states x all levels in one call of the vectorised kernel
``BatchSim.download`` (one row per candidate, the state arrays set directly), so every
transition and every reward is the simulator's own, bit for bit. The candidates are then
quantised and reduced:

* **bins**: ``(q, floor(b / buffer_bin_s), floor(P / clock_bin_s))``; each bin keeps its
  ``states_per_bin`` candidates of highest ``V`` (ties: the earlier candidate).
* **branch and bound** (provably safe): a candidate is dropped when ``V`` plus an upper bound
  on its future reward is below the value of a complete plan already known (less a relative
  1e-9 for rounding). The bound (``_FutureBound``) drops the smoothness penalty and relaxes
  the rest. Let the ``m`` remaining chunks, of total size ``S``, finish at trace time ``F``.
  The link delivers only ``bytes(P, F)`` between ``P`` and ``F``, so ``S <= bytes(P, F)``
  and their utility is at most ``H(bytes(P, F))``, where ``H(S)`` is the LP relaxation of the
  multiple-choice knapsack "best utility of one level per chunk, total size <= S". Summing
  the buffer equation over the remaining chunks (each delay is ``noise * (transfer + rtt)``,
  sleeps move the clock too) bounds their rebuffering from below:
  ``R >= nu * (F - P + m * rtt) - b - m * chunk_s + b_end``, with ``nu`` the smallest
  remaining noise factor capped at 1 and ``b_end >= min(chunk_s, cap - drain)`` the buffer
  after the last chunk. So the future reward is at most
  ``max over F >= P of H(bytes(P, F)) - mu * max(R(F), 0)``, evaluated on ``bound_points``
  finish times spaced geometrically after the rebuffer-free horizon; each interval
  ``[F_j, F_j+1]`` is scored ``H(bytes(P, F_j+1)) - mu * R(F_j)``, which keeps it a bound.

The known plan comes from a first, cheaper pass of the same programme (bins of
``coarse_bin_s``, only the ``beam`` candidates with the best ``V`` + bound kept per stage). The
second pass uses the fine bins and prunes with that plan's value; the better of the two plans
is played. Backtracking the best final state gives the levels, and its ``V`` is exactly the
return the env will pay, because the plan replays the very transitions the DP computed (the
scalar env's kernel performs the same IEEE operations, see ``envs/abr/sim.py``).

Why it is an approximation
--------------------------
Keeping only the best state of a bin discards states that reach the bin with less reward but
a better exact ``(P, b)``: with a lower ``V`` they can still end higher. There is no safe
dominance rule to recover them: a larger buffer can be worse (it forces a ``drain_s`` sleep
that skips a bandwidth burst), and an earlier clock can be worse too (the sleep is quantised
to ``drain_s``, so finishing a download slightly later can wake the player earlier). The
returned value is therefore a lower bound on the true optimum that converges to it as the
bins shrink (bins narrower than the gap between any two reachable states make the programme
exhaustive); the branch-and-bound step only removes states none of whose continuations beats
the first plan (to a relative 1e-9), so it costs nothing. On short videos tiny bins reproduce the
brute-force optimum, and halving the default bins (0.5 s -> 0.25 s) raises the mean score by
only about 0.001 on both protocols.

Defaults and figures (one core of the development machine): fine bins of 0.5 s, first pass
with 1 s bins and a beam of 100. FCC-test-100 scores 1.221 (robustMPC 0.954) and HSDPA-142
1.148 (robustMPC 0.842), about 0.07 s per 48-chunk trace, and the oracle is at or above every
online baseline on every one of the 242 traces (``tests/test_abr_oracle.py`` checks it). The
bound loosens with the spread of the delay noise (through ``nu``), so noisy episodes keep
more states: about 0.3 s with Pensieve's U(0.9, 1.1).

Relation to dp.cc (hongzimao/pensieve ``test/dp.cc``): the same state (chunk, time, buffer,
last level) and the same forward DP with back pointers. dp.cc quantises time and buffer to
``DT = 0.05`` s *inside* the dynamics (bandwidth resampled on a 50 ms grid, download times
rounded down, the RTT put on the clock, sleeps not quantised), so its value is that of a
slightly different simulator; here the bins only choose which exact states survive, and the
value is the env's. dp.cc prunes a candidate unless its reward plus the top bitrate on every
remaining chunk reaches the best reward seen so far at that stage (less 0.01); that compares
with a partial reward, not with a complete plan, so it is a heuristic, whereas the bound here
is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from netgym.envs.abr.sim import AbrModel, BatchSim
from netgym.envs.core.validation import check_range

_SLACK = 1e-9  # relative tolerance of the bound comparisons (floating-point rounding)
_FIRST_STEP_S = 0.05  # first finish-time step of the future bound past the rebuffer-free horizon


@dataclass(frozen=True)
class OraclePlan:
    """The levels chosen by the DP and the return they earn."""

    first_chunk: int
    """index of the first planned chunk (the env's ``chunk_index`` at planning time)"""
    levels: np.ndarray
    """level of chunks ``first_chunk, first_chunk + 1, ... n_chunks - 1``"""
    value: float
    """sum of the rewards of the planned chunks (the episode return from the planning state)"""
    states: int
    """representative states expanded by the two passes (a measure of the work done)"""


@dataclass(frozen=True)
class _Start:
    """One exact simulator state: where the plan starts."""

    trace: int
    ptr: int
    pos_s: float
    buffer_ms: float
    chunk: int
    last_q: int
    noise: np.ndarray | None


def _delivered(model: AbrModel, trace: int, time_s: np.ndarray) -> np.ndarray:
    """Payload bytes the link delivers from t = 0 to ``time_s`` (unwrapped: traces repeat)."""
    t = model.table
    period_s = t.period_s[trace]
    wraps = np.floor(time_s / period_s)
    local = np.maximum(time_s - wraps * period_s, 0.0)
    ptr = np.minimum(
        np.searchsorted(t.time_key, t.time_base[trace] + local, side="right"), t.last[trace]
    )
    return (
        wraps * t.period_bytes[trace] + t.cum[ptr - 1] + (local - t.time[ptr - 1]) * t.rate_bps[ptr]
    )


def _chunk_frontier(sizes: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """Upper concave hull of one chunk's (size, utility) points, utility increasing.

    Returns the hull vertices (k, 2) starting at the smallest size: the best utility reachable
    with at most a given size, relaxed to fractions of levels (the LP relaxation).
    """
    order = np.lexsort((-utility, sizes))
    points: list[tuple[float, float]] = []
    for size, value in zip(sizes[order], utility[order], strict=True):
        if points and value <= points[-1][1]:
            continue  # a bigger encode that is not better is never worth its bytes
        while len(points) >= 2:
            (x1, y1), (x2, y2) = points[-2], points[-1]
            # pop the middle vertex when it lies on or under the chord (not concave)
            if (y2 - y1) * (size - x1) <= (value - y1) * (x2 - x1):
                points.pop()
            else:
                break
        points.append((float(size), float(value)))
    return np.asarray(points)


class _FutureBound:
    """Upper bound on the reward still to come from a state (see the module docstring)."""

    def __init__(self, model: AbrModel, start: _Start, points: int) -> None:
        p = model.params
        n = model.n_chunks
        self.model = model
        self.trace = start.trace
        self.n_chunks = n
        self.mu = p.rebuffer_penalty_value
        self.chunk_s = p.chunk_s
        self.rtt_s = p.rtt_s
        self.end_buffer_s = min(p.chunk_s, p.buffer_cap_s - p.drain_s)
        sizes = model.video_sizes[:, :n].astype(np.float64)
        hulls = [_chunk_frontier(sizes[:, i], model.utility) for i in range(n)]
        # Hull increments of every chunk, sorted once by slope (steepest first): the LP
        # relaxation of the multiple-choice knapsack of a suffix takes its increments in
        # this order, so each suffix is a mask of the global order.
        owner = np.concatenate([np.full(len(h) - 1, i) for i, h in enumerate(hulls)])
        d_size = np.concatenate([np.diff(h[:, 0]) for h in hulls])
        d_util = np.concatenate([np.diff(h[:, 1]) for h in hulls])
        order = np.argsort(-d_util / d_size, kind="stable")
        owner, d_size, d_util = owner[order], d_size[order], d_util[order]
        first = np.array([h[0] for h in hulls])  # (n, 2): smallest size and its utility
        # Per suffix c (chunks c..n-1 still to fetch): H(S) as breakpoints, nu, time offsets.
        self.sizes: dict[int, np.ndarray] = {}
        self.utils: dict[int, np.ndarray] = {}
        self.nu: dict[int, float] = {}
        self.offsets: dict[int, np.ndarray] = {}
        for c in range(start.chunk + 1, n):
            mine = owner >= c
            self.sizes[c] = first[c:, 0].sum() + np.concatenate([[0.0], np.cumsum(d_size[mine])])
            self.utils[c] = first[c:, 1].sum() + np.concatenate([[0.0], np.cumsum(d_util[mine])])
            noise = start.noise
            nu = 1.0 if noise is None else min(1.0, float(np.min(noise[c:])))
            self.nu[c] = nu
            # Finish times after the rebuffer-free horizon, geometrically spaced: the bound
            # is tight next to the horizon, where the best finish time lies; past
            # `reach` a finish costs more rebuffering than any utility can pay for.
            spread = float(self.utils[c][-1] - self.utils[c][0])
            reach = spread / (self.mu * nu) if self.mu > 0 else 0.0
            if reach > 0:
                steps = np.geomspace(min(_FIRST_STEP_S, reach), reach, points - 1)
                self.offsets[c] = np.concatenate([[0.0], steps])
            else:
                self.offsets[c] = np.zeros(1)

    def __call__(self, done: int, pos_s: np.ndarray, buffer_ms: np.ndarray) -> np.ndarray:
        """Bound for states after ``done`` chunks at clock ``pos_s`` with ``buffer_ms``."""
        left = self.n_chunks - done
        if left <= 0:
            return np.zeros(len(pos_s))
        sizes, utils, nu = self.sizes[done], self.utils[done], self.nu[done]
        if self.mu <= 0:
            return np.full(len(pos_s), utils[-1])
        # Rebuffering is at least mu * nu * (F - horizon)^+ for a last finish time F, with
        # horizon = P + (b + m * chunk_s - b_end) / nu - m * rtt.
        slack_s = buffer_ms / 1000.0 + left * self.chunk_s - self.end_buffer_s
        horizon = pos_s + slack_s / nu - left * self.rtt_s
        finish = np.maximum(horizon, pos_s)[:, None] + self.offsets[done][None, :]
        sent = (
            _delivered(self.model, self.trace, finish)
            - _delivered(self.model, self.trace, pos_s)[:, None]
        )
        # F in [finish_j, finish_j+1]: utility <= H(bytes by finish_j+1), rebuffering >= its
        # value at finish_j; F >= the last point: utility <= H(S_max).
        best_utility = np.interp(sent, sizes, utils, left=-np.inf, right=utils[-1])
        penalty = self.mu * nu * np.maximum(finish - horizon[:, None], 0.0)
        score = np.concatenate(
            [
                best_utility - penalty,  # also covers F in [P, finish_0]
                best_utility[:, 1:] - penalty[:, :-1],
                utils[-1] - penalty[:, -1:],
            ],
            axis=1,
        )
        return score.max(axis=1)


def _search(
    model: AbrModel,
    start: _Start,
    bound: _FutureBound,
    buffer_bin_s: float,
    clock_bin_s: float,
    states_per_bin: int,
    beam: int | None,
    incumbent: float,
) -> tuple[np.ndarray, float, int]:
    """One forward DP pass; returns (levels, value, states expanded)."""
    table = model.table
    n_levels = model.n_levels
    n = model.n_chunks
    levels_row = np.arange(n_levels, dtype=np.int64)
    pos = np.array([start.pos_s])
    buffer_ms = np.array([start.buffer_ms])
    last_q = np.array([start.last_q], dtype=np.int64)
    ptr = np.array([start.ptr], dtype=np.int64)
    value = np.zeros(1)
    buffer_bins = int(np.ceil(model.params.buffer_cap_s / buffer_bin_s)) + 2
    clock_bins = int(np.ceil(table.period_s[start.trace] / clock_bin_s)) + 2
    floor = incumbent - _SLACK * max(1.0, abs(incumbent))
    parents: list[np.ndarray] = []
    choices: list[np.ndarray] = []
    expanded = 0
    for chunk in range(start.chunk, n):
        count = len(pos) * n_levels
        expanded += len(pos)
        sim = BatchSim(model, count)
        sim.trace[:] = start.trace
        sim.ptr = np.repeat(ptr, n_levels)
        sim.pos_s = np.repeat(pos, n_levels)
        sim.buffer_ms = np.repeat(buffer_ms, n_levels)
        sim.chunk[:] = chunk
        sim.last_q = np.repeat(last_q, n_levels)
        if start.noise is not None:
            sim.noise = np.broadcast_to(start.noise, (count, n))  # read-only view, no copy
        quality = np.tile(levels_row, len(pos))
        sim.download(slice(None), quality)
        total = np.repeat(value, n_levels) + sim.reward  # same additions, same order as the env
        # Quantise: one integer key per (level, buffer bin, clock bin).
        buffer_bin = np.clip(sim.buffer_ms // (1000.0 * buffer_bin_s), 0, buffer_bins - 1)
        clock_bin = np.clip(sim.pos_s // clock_bin_s, 0, clock_bins - 1)
        key = quality * buffer_bins + buffer_bin.astype(np.int64)
        key = key * clock_bins + clock_bin.astype(np.int64)
        # Sort by bin, best first (ties: the earlier candidate): the rank by value breaks the
        # ties of the key inside one integer sort, faster than a two-key lexsort.
        if int(key.max()) < np.iinfo(np.int64).max // count - 1:
            rank = np.empty(count, dtype=np.int64)
            rank[np.argsort(-total, kind="stable")] = np.arange(count)
            order = np.argsort(key * count + rank)
        else:  # tiny bins on a long trace: the combined key would overflow
            order = np.lexsort((-total, key))
        sorted_key = key[order]
        first = np.ones(count, dtype=bool)
        first[1:] = sorted_key[1:] != sorted_key[:-1]
        if states_per_bin == 1:
            keep = order[first]
        else:
            group_start = np.maximum.accumulate(np.where(first, np.arange(count), 0))
            keep = order[np.arange(count) - group_start < states_per_bin]
        # Branch and bound: cheap bound (best utility every chunk) first, then the tight one.
        left = n - chunk - 1
        keep = keep[total[keep] + left * float(model.utility.max()) >= floor]
        if left > 0 and (np.isfinite(floor) or (beam is not None and len(keep) > beam)):
            optimistic = total[keep] + bound(chunk + 1, sim.pos_s[keep], sim.buffer_ms[keep])
            if np.isfinite(floor):
                ok = optimistic >= floor
                keep, optimistic = keep[ok], optimistic[ok]
            if beam is not None and len(keep) > beam:
                keep = keep[np.argsort(-optimistic, kind="stable")[:beam]]
        if len(keep) == 0:
            # Every candidate is provably worse than the incumbent: nothing to return.
            return np.zeros(0, dtype=np.int64), -np.inf, expanded
        parents.append(keep // n_levels)
        choices.append(quality[keep])
        pos = sim.pos_s[keep]
        buffer_ms = sim.buffer_ms[keep]
        last_q = quality[keep]
        ptr = sim.ptr[keep]
        value = total[keep]
    best = int(np.argmax(value))
    plan = np.empty(len(choices), dtype=np.int64)
    index = best
    for stage in range(len(choices) - 1, -1, -1):
        plan[stage] = choices[stage][index]
        index = int(parents[stage][index])
    return plan, float(value[best]), expanded


def plan_episode(
    model: AbrModel,
    trace: int,
    position_s: float,
    buffer_ms: float,
    last_quality: int,
    chunk: int,
    noise: np.ndarray | None,
    *,
    buffer_bin_s: float = 0.5,
    clock_bin_s: float = 0.5,
    states_per_bin: int = 1,
    coarse_bin_s: float = 1.0,
    beam: int = 100,
    bound_points: int = 16,
) -> OraclePlan:
    """Plan chunks ``chunk .. n_chunks - 1`` from an exact simulator state (see the module doc).

    ``ptr`` is derived from ``position_s`` exactly as ``BatchSim.download`` does at its end.
    """
    table = model.table
    ptr = min(
        int(np.searchsorted(table.time_key, table.time_base[trace] + position_s, side="right")),
        int(table.last[trace]),
    )
    start = _Start(
        trace=int(trace),
        ptr=ptr,
        pos_s=float(position_s),
        buffer_ms=float(buffer_ms),
        chunk=int(chunk),
        last_q=int(last_quality),
        noise=None if noise is None else np.asarray(noise, dtype=np.float64),
    )
    if chunk >= model.n_chunks:
        return OraclePlan(int(chunk), np.zeros(0, dtype=np.int64), 0.0, 0)
    bound = _FutureBound(model, start, bound_points)
    coarse, coarse_value, coarse_states = _search(
        model, start, bound, coarse_bin_s, coarse_bin_s, 1, beam, -np.inf
    )
    fine, fine_value, fine_states = _search(
        model, start, bound, buffer_bin_s, clock_bin_s, states_per_bin, None, coarse_value
    )
    levels, value = (fine, fine_value) if fine_value > coarse_value else (coarse, coarse_value)
    return OraclePlan(int(chunk), levels, value, coarse_states + fine_states)


class OfflineOptimal:
    """Offline optimal ABR: plans the whole episode at ``reset`` by DP, knowing the trace.

    Args:
        buffer_bin_s: width of the buffer bins of the fine pass, in seconds.
        clock_bin_s: width of the download-clock bins of the fine pass, in seconds.
        states_per_bin: representative states kept per bin (the best ``V`` first).
        coarse_bin_s: width of both bins in the first pass, which finds the incumbent plan.
        beam: states kept per stage in the first pass (ranked by ``V`` + the future bound).
        bound_points: finish times at which the future-reward bound is evaluated (>= 2).
    """

    name = "oracle"

    def __init__(
        self,
        buffer_bin_s: float = 0.5,
        clock_bin_s: float = 0.5,
        states_per_bin: int = 1,
        coarse_bin_s: float = 1.0,
        beam: int = 100,
        bound_points: int = 16,
    ) -> None:
        owner = "OfflineOptimal"
        check_range(owner, "buffer_bin_s", buffer_bin_s, low=0, low_inclusive=False)
        check_range(owner, "clock_bin_s", clock_bin_s, low=0, low_inclusive=False)
        check_range(owner, "states_per_bin", states_per_bin, low=1, integer=True)
        check_range(owner, "coarse_bin_s", coarse_bin_s, low=0, low_inclusive=False)
        check_range(owner, "beam", beam, low=1, integer=True)
        check_range(owner, "bound_points", bound_points, low=2, integer=True)
        self.buffer_bin_s = float(buffer_bin_s)
        self.clock_bin_s = float(clock_bin_s)
        self.states_per_bin = int(states_per_bin)
        self.coarse_bin_s = float(coarse_bin_s)
        self.beam = int(beam)
        self.bound_points = int(bound_points)
        self.plan: OraclePlan | None = None
        self._env: Any = None

    def reset(self, env: Any) -> None:
        """Read the episode from the env (just reset) and plan every remaining chunk."""
        base = env.unwrapped
        self._env = base
        self.plan = plan_episode(
            base.model,
            base.trace_index,
            base.trace_position_s,
            _buffer_ms(base.buffer_s),
            base.last_quality,
            base.chunk_index,
            base.episode_noise,
            buffer_bin_s=self.buffer_bin_s,
            clock_bin_s=self.clock_bin_s,
            states_per_bin=self.states_per_bin,
            coarse_bin_s=self.coarse_bin_s,
            beam=self.beam,
            bound_points=self.bound_points,
        )

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        """The planned level of the next chunk."""
        if self.plan is None:
            raise RuntimeError("OfflineOptimal.act called before reset(env)")
        step = self._env.chunk_index - self.plan.first_chunk
        if not 0 <= step < len(self.plan.levels):
            raise RuntimeError(
                f"OfflineOptimal has no plan for chunk {self._env.chunk_index}: it planned "
                f"chunks {self.plan.first_chunk}.."
                f"{self.plan.first_chunk + len(self.plan.levels) - 1}"
                " - call reset(env) after every env.reset()"
            )
        return int(self.plan.levels[step])


def _buffer_ms(buffer_s: float) -> float:
    """The simulator's ``buffer_ms`` from the env's ``buffer_s = buffer_ms / 1000``.

    ``buffer_s * 1000`` can miss the original by one ulp; take the neighbour that divides back
    to ``buffer_s`` exactly (after ``reset`` the buffer is one chunk, which is exact anyway).
    """
    guess = buffer_s * 1000.0
    for candidate in (guess, np.nextafter(guess, -np.inf), np.nextafter(guess, np.inf)):
        if candidate / 1000.0 == buffer_s:
            return float(candidate)
    return float(guess)
