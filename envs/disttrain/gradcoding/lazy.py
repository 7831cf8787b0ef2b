"""The lazy delay draws of ``netgym/SeqGradCoding-v1`` (numba kernels, ``counter_rng.py``).

v0 draws an episode's whole delay matrix at reset, in numpy, from the env's own generator.
v1 draws the same process (the Gilbert-Elliott chain of every worker and group, regime
switches, lognormal jitter) round by round, inside the step, only for the rounds the step
plays, for every env of a batch in one call (``draw_rounds``), from the counter-based
generator keyed by the episode (``counter_rng.bits``). The rounds drawn are written into the
sim's round-major delay buffer, which the round kernels of v0 (``kernels.play_epochs``) then
play unchanged.

A chain is drawn as alternating geometric sojourns (stream 2, counter = the chain and its
sojourn number): ``nxt`` holds the round where it next switches; a regime change redraws every
worker's sojourn from its current state (the chain forgets nothing it needs: sojourns are
memoryless), as v0 restarts its chains at each block. Streams: 1 the chains' first states, 2
their sojourns, 3 the regime of each block, 4 the round's jitter key (one hash per worker on
top), 5 a trace's first round.

The clairvoyant floor (``info["lower_bound"]``) adds each of the first J rounds as it is drawn
(v0 knows it at reset: its delays are all drawn then); at the episode's end it is the floor of
the whole episode, summed round by round.
"""

from __future__ import annotations

import math

import numpy as np

from ...core.compiled import kernel
from .counter_rng import GAMMA, bits, geometric, mix, normal, unit

MODEL_SIZE = 11
"""``model`` float64: jitter sigma, base delay, slowdown, group p, group q, group size,
regime rounds (0: stationary), mu, the floor's load term ``(1/n - l0) c_comp``, the trace's
last first round (-1: synthetic), the fixed trace offset (-1: drawn)"""


@kernel
def regime_of(key: np.uint64, t: int, regimes: np.ndarray, model: np.ndarray) -> int:
    """The regime (row of ``regimes``) of round ``t``: uniform per block of rounds."""
    length = int(model[6])
    count = regimes.shape[0]
    if length <= 0 or count == 1:
        return 0
    return min(int(unit(bits(key, 3, t // length, 0)) * count), count - 1)


@kernel
def start_chains(
    key: np.uint64,
    n: int,
    regimes: np.ndarray,
    model: np.ndarray,
    state: np.ndarray,
    nxt: np.ndarray,
    count: np.ndarray,
) -> None:
    """The chains' states before round 0 (stationary shares) and their first sojourns, counted
    from round -1: workers ``0 .. n-1`` under the first block's (p, q), groups after them."""
    pick = regime_of(key, 0, regimes, model)
    p, q = regimes[pick, 0], regimes[pick, 1]
    for c in range(state.shape[0]):
        if c >= n:
            p, q = model[3], model[4]
        share = p / (p + q) if p + q > 0.0 else 0.0
        bad = unit(bits(key, 1, c, 0)) < share
        state[c] = 1 if bad else 0
        nxt[c] = -1 + geometric(bits(key, 2, c, 0), q if bad else p)
        count[c] = 1


@kernel
def draw_round(
    key: np.uint64,
    t: int,
    n: int,
    regimes: np.ndarray,
    model: np.ndarray,
    table: np.ndarray,
    state: np.ndarray,
    nxt: np.ndarray,
    count: np.ndarray,
    row: np.ndarray,
) -> int:
    """Advance the chains to round ``t`` and write its base delays into ``row`` (n,):
    ``exp(sigma Z) x base``, times the slowdown where the worker's chain or its group's is
    bad. Returns the round's regime."""
    pick = regime_of(key, t, regimes, model)
    p, q = regimes[pick, 0], regimes[pick, 1]
    length = int(model[6])
    if length > 0 and t > 0 and t % length == 0:  # a new block: fresh sojourns from round t-1
        for c in range(n):
            nxt[c] = t - 1 + geometric(bits(key, 2, c, count[c]), q if state[c] else p)
            count[c] += 1
    for c in range(state.shape[0]):
        if nxt[c] == t:
            bad = state[c] == 0
            state[c] = 1 if bad else 0
            if c < n:
                rate = q if bad else p
            else:
                rate = model[4] if bad else model[3]
            nxt[c] = t + geometric(bits(key, 2, c, count[c]), rate)
            count[c] += 1
    sigma, base, slowdown = model[0], model[1], model[2]
    size = int(model[5])
    grouped = state.shape[0] > n
    round_key = bits(key, 4, t, 0)
    for i in range(n):
        z = normal(mix(round_key + np.uint64(i) * GAMMA), table)
        value = math.exp(z * sigma) * base
        if state[i] != 0 or (grouped and state[n + i // size] != 0):
            value = value * slowdown
        row[i] = value
    return pick


@kernel
def floor_term(row: np.ndarray, extra: float, mu: float) -> float:
    """One round of the clairvoyant floor: ``min((1 + mu) fastest, slowest)`` at load 1/n."""
    fastest = row[0] + extra
    slowest = fastest
    for i in range(1, row.shape[0]):
        value = row[i] + extra
        fastest = min(fastest, value)
        slowest = max(slowest, value)
    return min((1.0 + mu) * fastest, slowest)


@kernel
def start_episodes(
    envs: np.ndarray,
    base_keys: np.ndarray,
    episodes: np.ndarray,
    keys: np.ndarray,
    n: int,
    regimes: np.ndarray,
    model: np.ndarray,
    state: np.ndarray,
    nxt: np.ndarray,
    count: np.ndarray,
    starts: np.ndarray,
    floor: np.ndarray,
) -> None:
    """A new episode in each env ``envs[j]``: its key (from the env's base key and episode
    number), its chains before round 0 or its trace window, and an empty floor."""
    last, offset = int(model[9]), int(model[10])
    for j in range(envs.shape[0]):
        m = envs[j]
        episodes[m] += 1
        key = mix(base_keys[m] + np.uint64(episodes[m]) * GAMMA)
        keys[m] = key
        floor[m] = 0.0
        if last >= 0:
            if offset >= 0:
                starts[m] = min(offset, last)
            else:
                starts[m] = min(int(unit(bits(key, 5, 0, 0)) * (last + 1)), last)
        else:
            start_chains(key, n, regimes, model, state[m], nxt[m], count[m])


@kernel
def draw_rounds(
    envs: np.ndarray,
    actions: np.ndarray,
    episode: np.ndarray,
    delay: np.ndarray,
    counters: np.ndarray,
    keys: np.ndarray,
    regimes: np.ndarray,
    model: np.ndarray,
    table: np.ndarray,
    state: np.ndarray,
    nxt: np.ndarray,
    count: np.ndarray,
    trace: np.ndarray,
    starts: np.ndarray,
    delays: np.ndarray,
    regime: np.ndarray,
    floor: np.ndarray,
) -> None:
    """Draw the rounds that ``kernels.play_epochs`` will play for arms ``actions`` in envs
    ``envs`` (the drain of a switch, the epoch's jobs, the last scheme's decoding delay) into
    ``delays[m]`` (rounds, n), with their regimes and floor terms. ``delay`` (A,) the arms'
    decoding delays, ``episode`` [jobs, epoch_jobs], ``trace`` (rounds, n) round-major (a
    trace replay) or unused."""
    jobs, epoch_jobs = episode[0], episode[1]
    n = delays.shape[2]
    mu, extra, replay = model[7], model[8], model[9] >= 0
    for j in range(envs.shape[0]):
        m = envs[j]
        new, old, started = actions[j], counters[m, 2], counters[m, 1]
        k = min(epoch_jobs, jobs - started)
        need = k + (delay[new] if started + k >= jobs else 0)
        if old >= 0 and old != new:
            need += delay[old]
        t0 = counters[m, 0]
        for t in range(t0, t0 + need):
            row = delays[m, t]
            if replay:
                row[:] = trace[starts[m] + t]
                regime[m, t] = 0
            else:
                regime[m, t] = draw_round(
                    keys[m], t, n, regimes, model, table, state[m], nxt[m], count[m], row
                )
            if t < jobs:
                floor[m] += floor_term(row, extra, mu)


@kernel
def profile_rounds(
    key: np.uint64,
    n: int,
    regimes: np.ndarray,
    model: np.ndarray,
    table: np.ndarray,
    chains: int,
    out: np.ndarray,
    straggling: np.ndarray,
    regime: np.ndarray,
) -> None:
    """The base delays of every round of the episode of ``key`` into ``out`` (rounds, n), the
    future included (for oracles): the same draws as the step's, from round 0; with each
    worker's straggling state (its chain or its group's bad) into ``straggling`` (rounds, n)
    and each round's regime into ``regime`` (rounds,)."""
    state = np.zeros(chains, dtype=np.uint8)
    nxt = np.zeros(chains, dtype=np.int64)
    count = np.zeros(chains, dtype=np.int64)
    start_chains(key, n, regimes, model, state, nxt, count)
    size = max(int(model[5]), 1)
    for t in range(out.shape[0]):
        regime[t] = draw_round(key, t, n, regimes, model, table, state, nxt, count, out[t])
        for i in range(n):
            straggling[t, i] = state[i] != 0 or (chains > n and state[n + i // size] != 0)


__all__ = [
    "MODEL_SIZE",
    "draw_round",
    "draw_rounds",
    "floor_term",
    "profile_rounds",
    "regime_of",
    "start_chains",
    "start_episodes",
]
