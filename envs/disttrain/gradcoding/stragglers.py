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


def _chain(p: np.ndarray, q: np.ndarray, uniforms: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(rows, rounds) states of two-state chains with per-round (p, q) and uniforms
    (rounds, rows)."""
    rounds = uniforms.shape[0]
    out = np.empty((len(start), rounds), dtype=bool)
    state = start
    for t in range(rounds):
        u = uniforms[t]
        state = np.where(state, u >= q[t], u < p[t])
        out[:, t] = state
    return out


def draw_delays(model: StragglerModel, n: int, rounds: int, rng: np.random.Generator) -> DelayDraw:
    """The base delays of ``n`` workers over ``rounds`` rounds, drawn from ``rng``."""
    if model.regimes:
        blocks = -(-rounds // model.regime_rounds)
        picks = rng.integers(len(model.regimes), size=blocks)
        regime = np.repeat(picks, model.regime_rounds)[:rounds]
        table = np.array(model.regimes, dtype=float)
        p, q = table[regime, 0], table[regime, 1]
    else:
        regime = np.zeros(rounds, dtype=np.int64)
        p = np.full(rounds, model.p_enter)
        q = np.full(rounds, model.q_leave)
    share = p[0] / (p[0] + q[0]) if p[0] + q[0] > 0 else 0.0
    start = rng.random(n) < share
    straggling = _chain(p, q, rng.random((rounds, n)), start)
    if model.group_size:
        groups = -(-n // model.group_size)
        gp = np.full(rounds, model.group_p)
        gq = np.full(rounds, model.group_q)
        total = model.group_p + model.group_q
        gshare = model.group_p / total if total > 0 else 0.0
        group_state = _chain(gp, gq, rng.random((rounds, groups)), rng.random(groups) < gshare)
        straggling |= np.repeat(group_state, model.group_size, axis=0)[:n]
    jitter = np.exp(model.jitter_sigma * rng.standard_normal((n, rounds)))
    d0 = model.base_s * jitter * np.where(straggling, model.slowdown, 1.0)
    return DelayDraw(d0=d0, straggling=straggling, regime=regime)


__all__ = ["DelayDraw", "StragglerModel", "draw_delays"]
