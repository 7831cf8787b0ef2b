"""The lazy delay draws of ``netgym/SeqGradCoding-v1`` (numba kernels, ``envs/core/streams.py``).

v0 draws an episode's whole delay matrix at reset, in numpy, from the env's own generator.
v1 draws the same process (the Gilbert-Elliott chain of every worker and group, regime
switches, lognormal jitter) round by round, inside the step, only for the rounds the step
plays, for every env of a batch in one call (``draw_rounds``), from the counter-based
generator keyed by the episode (``streams.bits``). The rounds drawn are written into the
sim's round-major delay buffer, which the round kernels of v0 (``kernels.play_epochs``) then
play unchanged.

A chain is drawn as alternating geometric sojourns (stream 2, counter = the chain and its
sojourn number): ``nxt`` holds the round where it next switches; a regime change redraws the
sojourn of every worker whose leaving rate changed, from its current state, as v0 restarts
its chains at each block (a sojourn under an unchanged rate goes on: geometric sojourns are
memoryless, so the process is the same). Streams: 1 the chains' first states, 2
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
from ...core.streams import GAMMA, I64, bits, geometric, inverse_survival, mix, normal, unit

MODEL_SIZE = 13
"""``model`` float64: jitter sigma, base delay, slowdown, group p, group q, group size,
regime rounds (0: stationary), mu, the floor's load term ``(1/n - l0) c_comp``, the trace's
last first round (-1: synthetic), the fixed trace offset (-1: drawn), ``log1p(-group p)``,
``log1p(-group q)``; ``regimes`` (R, 4): p, q, ``log1p(-p)``, ``log1p(-q)`` per regime"""


@kernel
def regime_of(key: np.uint64, t: int, regimes: np.ndarray, model: np.ndarray) -> int:
    """The regime (row of ``regimes``) of round ``t``: uniform per block of rounds."""
    length = int(model[6])
    count = regimes.shape[0]
    if length <= 0 or count == 1:
        return 0
    return min(int(unit(bits(key, I64(3), t // length, I64(0))) * count), count - 1)


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
    pick = regime_of(key, I64(0), regimes, model)
    p, q, stay_good, stay_bad = (
        regimes[pick, 0],
        regimes[pick, 1],
        regimes[pick, 2],
        regimes[pick, 3],
    )
    for c in range(state.shape[0]):
        if c >= n:
            p, q, stay_good, stay_bad = model[3], model[4], model[11], model[12]
        share = p / (p + q) if p + q > 0.0 else 0.0
        bad = unit(bits(key, I64(1), c, I64(0))) < share
        state[c] = 1 if bad else 0
        if bad:
            nxt[c] = -1 + geometric(bits(key, I64(2), c, I64(0)), q, stay_bad)
        else:
            nxt[c] = -1 + geometric(bits(key, I64(2), c, I64(0)), p, stay_good)
        count[c] = 1


@kernel
def pick_free(key: np.uint64, t: int, draw: int, row: np.ndarray) -> int:
    """A uniformly random worker whose ``row`` entry is still free (< 0): the healthy workers
    not yet given a delay (rejection, stream 7)."""
    n = row.shape[0]
    attempt = 0
    while True:
        i = min(int(unit(bits(key, I64(7), t, (draw << 32) + attempt)) * n), n - 1)
        if row[i] < 0.0:
            return i
        attempt += 1


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
    fill: bool,
) -> tuple[int, float, float]:
    """Advance the chains to round ``t`` and write its base delays into ``row`` (n,):
    ``exp(sigma Z) x base``, times the slowdown where the worker's chain or its group's is
    bad. Returns the round's regime.

    Straggling workers draw their own Z (a ziggurat normal each). The h healthy workers are
    drawn as order statistics, from the top: their minimum (``S(Z_min) = U^(1/h)``, S the
    normal's survival function), then, the others being i.i.d. above it, their maximum, the
    next, ... until one is below ``(1 + mu)`` x the round's fastest delay (with a margin of
    1e-9): no arm can find such a worker late, and it is neither the fastest nor the slowest,
    so the round rule does not read the delays below it. Each order statistic goes to a
    uniformly random healthy worker without one. The rest get the round's fastest delay
    (``fill=False``, the step: the rule's outcome is the same), or their own draws, i.i.d.
    between the minimum and the last order statistic (``fill=True``, ``delay_profile``).
    Returns the round's regime and its fastest and slowest delay (``row``'s min and max)."""
    pick = regime_of(key, t, regimes, model)
    p, q, stay_good, stay_bad = (
        regimes[pick, 0],
        regimes[pick, 1],
        regimes[pick, 2],
        regimes[pick, 3],
    )
    length = int(model[6])
    if length > 0 and t > 0 and t % length == 0:
        # a new block: the sojourns whose leaving rate changed are drawn afresh from round
        # t - 1 (the others go on: geometric sojourns are memoryless)
        before = regime_of(key, t - 1, regimes, model)
        new_p, new_q = regimes[before, 0] != p, regimes[before, 1] != q
        for c in range(n):
            if state[c] != 0 and new_q:
                nxt[c] = t - 1 + geometric(bits(key, I64(2), c, count[c]), q, stay_bad)
                count[c] += 1
            elif state[c] == 0 and new_p:
                nxt[c] = t - 1 + geometric(bits(key, I64(2), c, count[c]), p, stay_good)
                count[c] += 1
    for c in range(state.shape[0]):
        if nxt[c] == t:
            bad = state[c] == 0
            state[c] = 1 if bad else 0
            if c >= n:
                rate, stay = (model[4], model[12]) if bad else (model[3], model[11])
            else:
                rate, stay = (q, stay_bad) if bad else (p, stay_good)
            nxt[c] = t + geometric(bits(key, I64(2), c, count[c]), rate, stay)
            count[c] += 1
    sigma, base, slowdown, mu = model[0], model[1], model[2], model[7]
    size = int(model[5])
    grouped = state.shape[0] > n
    round_key = bits(key, I64(4), t, I64(0))
    fastest, slowest = math.inf, -math.inf
    healthy = 0
    for i in range(n):
        if state[i] != 0 or (grouped and state[n + i // size] != 0):
            z = normal(mix(round_key + np.uint64(i) * GAMMA), table)
            value = math.exp(z * sigma) * base * slowdown
            row[i] = value
            fastest = min(fastest, value)
            slowest = max(slowest, value)
        else:
            row[i] = -1.0
            healthy += 1
    if healthy == 0:
        return pick, fastest, slowest
    u = (float(bits(key, I64(6), t, I64(0)) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)
    top = -math.expm1(math.log(u) / healthy)  # P(Z < Z_min)
    low_z = -inverse_survival(top)
    lowest = math.exp(low_z * sigma) * base
    row[pick_free(key, t, I64(0), row)] = lowest
    fastest = min(fastest, lowest)
    slowest = max(slowest, lowest)
    ceiling = (1.0 + mu) * fastest * (1.0 - 1e-9)
    below = 1.0 - top  # the survival at Z_min: the others' survivals are uniform below it
    above = 0.0  # the survival of the last order statistic drawn
    last = lowest
    left = healthy - 1
    while left > 0:
        v = (float(bits(key, I64(6), t, healthy - left) >> np.uint64(11)) + 0.5) * (
            1.0 / 9007199254740992.0
        )
        above += (below - above) * -math.expm1(math.log(v) / left)
        z = inverse_survival(above)
        last = max(
            min(math.exp(z * sigma) * base, last if left < healthy - 1 else math.inf), lowest
        )
        row[pick_free(key, t, healthy - left, row)] = last
        slowest = max(slowest, last)
        left -= 1
        if last < ceiling:
            break
    for i in range(n):
        if row[i] < 0.0:
            if fill:
                w = above + (below - above) * unit(bits(key, I64(8), t, i))
                value = math.exp(inverse_survival(w) * sigma) * base
                row[i] = max(min(value, last), lowest)
            else:
                row[i] = fastest
    return pick, fastest, slowest


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
                starts[m] = min(int(unit(bits(key, I64(5), I64(0), I64(0))) * (last + 1)), last)
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
                if t < jobs:
                    floor[m] += floor_term(row, extra, mu)
            else:
                pick, fastest, slowest = draw_round(
                    keys[m], t, n, regimes, model, table, state[m], nxt[m], count[m], row, False
                )
                regime[m, t] = pick
                if t < jobs:  # floor_term(row): min_i(row_i + extra) = fastest + extra, as
                    # rounding is monotone; likewise the slowest
                    floor[m] += min((1.0 + mu) * (fastest + extra), slowest + extra)


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
        regime[t] = draw_round(key, t, n, regimes, model, table, state, nxt, count, out[t], True)[0]
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
