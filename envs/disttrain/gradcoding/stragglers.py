"""Synthetic straggler delays: a Gilbert-Elliott chain per worker, correlated groups,
lognormal jitter and regime switches (reference/disttrain.md section 6, E2 "Parameters").

Worker i straggles in round t when its own two-state chain is in the bad state (it enters
with probability p, leaves with probability q; stationary share p / (p + q); q = 1 - p is
i.i.d. straggling) or when its group's chain is (a rack that slows down together). Its base
delay is ``base_s x exp(jitter_sigma Z) x (slowdown if straggling else 1)``, measured at load
0; the round rule adds the scheme's compute (``rounds.py``). With ``regimes``, (p, q) is
redrawn uniformly from the list every ``regime_rounds`` rounds (non-stationary stragglers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEVER = 1 << 40
"""the sojourn of a chain that never leaves its state (longer than any episode)"""


@dataclass(frozen=True)
class StragglerModel:
    """The synthetic delay process (see the module docstring)."""

    p_enter: float = 0.04
    q_leave: float = 0.96
    slowdown: float = 4.5
    jitter_sigma: float = 0.1
    base_s: float = 0.2
    group_size: int = 0
    """workers per correlated group (0: no groups)"""
    group_p: float = 0.0
    group_q: float = 1.0
    regimes: tuple[tuple[float, float], ...] = ()
    """(p, q) pairs the chain switches between (empty: stationary p_enter, q_leave)"""
    regime_rounds: int = 40


@dataclass(frozen=True, eq=False)
class DelayDraw:
    """One episode's synthetic delays."""

    d0: np.ndarray
    """(n, rounds) base delays, seconds (at load 0)"""
    straggling: np.ndarray
    """(n, rounds) bool: the worker's chain (or its group's) was in the bad state"""
    regime: np.ndarray
    """(rounds,) index of the regime of each round (0 when stationary)"""


def _sojourns(rate: float, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Rounds until a chain leaves its state, left with probability ``rate`` per round
    (geometric on 1, 2, ...; a chain that never leaves stays longer than any episode)."""
    if rate <= 0.0:
        return np.full(shape, NEVER, dtype=np.int64)
    return rng.geometric(rate, size=shape)


def _chain(
    p: float, q: float, start: np.ndarray, rounds: int, rng: np.random.Generator
) -> np.ndarray:
    """(rows, rounds) states of two-state chains that enter the bad state with probability p
    and leave it with probability q per round, from ``start`` (the state before round 0):
    drawn as alternating geometric sojourns (few draws per chain), then expanded."""
    rows = len(start)
    switches: list[np.ndarray] = []
    state = start.copy()
    clock = np.full(rows, -1, dtype=np.int64)
    pairs = max(4, int(rounds / (1.0 / max(p, 1e-9) + 1.0 / max(q, 1e-9)) * 2) + 4)
    while (clock < rounds).any():
        bad_runs = _sojourns(q, (rows, pairs), rng)
        good_runs = _sojourns(p, (rows, pairs), rng)
        first = np.where(state[:, None], bad_runs, good_runs)
        second = np.where(state[:, None], good_runs, bad_runs)
        runs = np.stack([first, second], axis=2).reshape(rows, 2 * pairs)
        times = clock[:, None] + np.cumsum(runs, axis=1)
        switches.append(times)
        clock = times[:, -1]  # an even number of switches: the state is back to ``state``
    times = np.concatenate(switches, axis=1)
    flat = (np.arange(rows)[:, None] * (rounds + 1) + np.minimum(times, rounds)).ravel()
    marks = np.bincount(flat, minlength=rows * (rounds + 1)).reshape(rows, rounds + 1)
    flips = np.cumsum(marks[:, :rounds], axis=1) % 2 == 1
    return flips ^ start[:, None]


def draw_delays(model: StragglerModel, n: int, rounds: int, rng: np.random.Generator) -> DelayDraw:
    """The base delays of ``n`` workers over ``rounds`` rounds, drawn from ``rng``."""
    if model.regimes:
        length = model.regime_rounds
        picks = rng.integers(len(model.regimes), size=-(-rounds // length))
        blocks = [(model.regimes[k], length) for k in picks.tolist()]
        regime = np.repeat(picks, length)[:rounds]
    else:
        blocks = [((model.p_enter, model.q_leave), rounds)]
        regime = np.zeros(rounds, dtype=np.int64)
    (p, q), _ = blocks[0]
    state = rng.random(n) < (p / (p + q) if p + q > 0 else 0.0)
    parts = []
    for (p, q), length in blocks:  # the chain carries its state across regime changes
        part = _chain(p, q, state, length, rng)
        state = part[:, -1]
        parts.append(part)
    straggling = np.concatenate(parts, axis=1)[:, :rounds]
    if model.group_size:
        groups = -(-n // model.group_size)
        total = model.group_p + model.group_q
        start = rng.random(groups) < (model.group_p / total if total > 0 else 0.0)
        group_state = _chain(model.group_p, model.group_q, start, rounds, rng)
        straggling |= np.repeat(group_state, model.group_size, axis=0)[:n]
    d0 = rng.standard_normal((n, rounds), dtype=np.float32).astype(float)
    d0 *= model.jitter_sigma
    np.exp(d0, out=d0)  # lognormal jitter
    d0 *= model.base_s
    d0[straggling] *= model.slowdown
    return DelayDraw(d0=d0, straggling=straggling, regime=regime)


__all__ = ["DelayDraw", "StragglerModel", "draw_delays"]
