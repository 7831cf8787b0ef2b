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

from .kernels import expand_chains, scale_delays

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
    p: float,
    q: float,
    start: np.ndarray,
    rounds: int,
    rng: np.random.Generator,
    out: np.ndarray | None = None,
    first: int = 0,
) -> np.ndarray:
    """(rows, rounds) states of two-state chains that enter the bad state with probability p
    and leave it with probability q per round, from ``start`` (the state before round 0):
    drawn as alternating geometric sojourns (few draws per chain), then expanded by the
    ``expand_chains`` kernel, into ``out[:, first : first + rounds]`` when given (a
    C-contiguous bool array)."""
    rows = len(start)
    bad, good = [], []
    clock = np.full(rows, -1, dtype=np.int64)
    pairs = max(4, int(rounds / (1.0 / max(p, 1e-9) + 1.0 / max(q, 1e-9)) * 2) + 4)
    while (clock < rounds).any():
        bad.append(_sojourns(q, (rows, pairs), rng))
        good.append(_sojourns(p, (rows, pairs), rng))
        clock = clock + bad[-1].sum(axis=1) + good[-1].sum(axis=1)
    if out is None:
        out, first = np.empty((rows, rounds), dtype=bool), 0
    expand_chains(
        bad[0] if len(bad) == 1 else np.concatenate(bad, axis=1),
        good[0] if len(good) == 1 else np.concatenate(good, axis=1),
        np.ascontiguousarray(start, dtype=bool),
        out,
        first,
        rounds,
    )
    return out[:, first : first + rounds]


def draw_delays(
    model: StragglerModel,
    n: int,
    rounds: int,
    rng: np.random.Generator,
    out: np.ndarray | None = None,
) -> DelayDraw:
    """The base delays of ``n`` workers over ``rounds`` rounds, drawn from ``rng``, written
    round-major into ``out`` ((rounds, n) float64, C-contiguous) when given: ``DelayDraw.d0``
    is then ``out.T``."""
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
    chains = np.empty((n, sum(length for _, length in blocks)), dtype=bool)
    first = 0
    for (p, q), length in blocks:  # the chain carries its state across regime changes
        state = _chain(p, q, state, length, rng, chains, first)[:, -1]
        first += length
    straggling = chains[:, :rounds]
    if model.group_size:
        groups = -(-n // model.group_size)
        total = model.group_p + model.group_q
        start = rng.random(groups) < (model.group_p / total if total > 0 else 0.0)
        group_state = _chain(model.group_p, model.group_q, start, rounds, rng)
        straggling |= np.repeat(group_state, model.group_size, axis=0)[:n]
    normals = rng.standard_normal((n, rounds), dtype=np.float32)
    jitter = np.multiply(normals, model.jitter_sigma, dtype=np.float64)
    np.exp(jitter, out=jitter)  # lognormal jitter
    if out is None:
        out = np.empty((rounds, n))
    scale_delays(jitter, chains, model.base_s, model.slowdown, out)
    return DelayDraw(d0=out.T, straggling=straggling, regime=regime)


__all__ = ["DelayDraw", "StragglerModel", "draw_delays"]
