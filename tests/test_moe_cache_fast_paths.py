"""The cache sim's fast paths (envs/moe/cache/sim.py, bound.py) against straightforward references
on random traces: the scan-based Belady MIN equals replay's heap-based one, and the features the
env reads at each decision (table lookups, inlined access loop) equal a brute-force recomputation
from the access history."""

from __future__ import annotations

import math

import numpy as np
import pytest
from netgym.envs.moe.cache.bound import min_miss_positions
from netgym.envs.moe.cache.replay import (
    belady_miss_positions,
    next_use_positions,
    replay,
    stall_timeline,
    victim_last_steps,
)
from netgym.envs.moe.cache.sim import ExpertCacheSim
from netgym.envs.moe.cache.stream import AccessStream, decode_stream
from netgym.envs.moe.cost import MoeCostModel
from netgym.envs.moe.traces import SyntheticRouting


@pytest.mark.parametrize("seed", range(4))
def test_scan_belady_equals_the_heap_belady_on_random_traces(seed):
    rng = np.random.default_rng(seed)
    n_keys = int(rng.integers(3, 40))
    skewed = (rng.zipf(1.3, size=3000) - 1) % n_keys
    uniform = rng.integers(0, n_keys, size=3000)
    for keys in (skewed, uniform, np.r_[uniform[:50], np.arange(n_keys)]):  # ties at the end
        following = next_use_positions(keys).tolist()
        for capacity in (1, 2, 3, 5, 8, 16):
            expected = belady_miss_positions(keys, capacity)
            got = min_miss_positions(keys.tolist(), following, capacity)
            assert np.array_equal(got, expected), (capacity, n_keys)


def test_sim_bound_uses_the_heap_above_the_scan_capacity():
    keys = np.random.default_rng(0).integers(0, 60, size=2000)
    sim = ExpertCacheSim(AccessStream.from_keys(keys, 60), 24, MoeCostModel.preset("readme"))
    assert np.array_equal(sim.belady_miss_positions(), belady_miss_positions(keys, 24))
    small = ExpertCacheSim(AccessStream.from_keys(keys, 60), 6, MoeCostModel.preset("readme"))
    assert small.belady_miss_positions().size == replay(keys, 6, "belady").misses


def _reference_features(sim: ExpertCacheSim, history: list[int], keys: list[int]):
    """Features at the pending decision, recomputed from the served accesses alone."""
    position = sim.position
    assert len(history) == position
    stream_keys = sim.stream.keys.tolist()
    horizon = int(sim.visible_end[position])
    decay = 0.5 ** (1.0 / sim.freq_half_life)
    rows = ([], [], [])
    for key in keys:
        ahead = [j for j in range(position + 1, horizon) if stream_keys[j] == key]
        distance = ahead[0] - position if ahead else None
        rows[0].append(1.0 if distance is None else 1.0 - math.exp(-distance / max(sim.window, 1)))
        uses = [i for i, k in enumerate(history) if k == key]
        age = position - (uses[-1] if uses else -1)
        rows[1].append(math.log1p(age) / (1.0 + math.log1p(age)))
        count = sum(decay ** (position - i) for i in uses)
        rows[2].append(min(count * (1.0 - decay), 1.0))
    return rows


@pytest.mark.parametrize(
    ("kind", "window", "lookahead"), [("keys", 5, None), ("keys", 0, None), ("decode", 16, 0)]
)
def test_features_at_each_decision_equal_a_brute_force_recomputation(kind, window, lookahead):
    rng = np.random.default_rng(11)
    if kind == "keys":
        stream = AccessStream.from_keys((rng.zipf(1.5, size=400) - 1) % 9, n_keys=9)
    else:
        trace = SyntheticRouting.for_model("readme").generate(rng.integers(8, 30, size=6), rng)
        stream = decode_stream(trace, 3, "path")
    sim = ExpertCacheSim(
        stream,
        3,
        MoeCostModel.preset("readme"),
        window=window,
        lookahead_iterations=lookahead,
        freq_half_life=20.0,
    )
    stream_keys = stream.keys.tolist()
    decisions = 0
    while not sim.done:
        keys = [*sim.resident_keys(), sim.incoming]
        history = stream_keys[: sim.position]
        expected = _reference_features(sim, history, keys)
        got = sim.features(keys)
        for feature, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert a == pytest.approx(b, rel=1e-9, abs=1e-12), (feature, sim.position)
        assert sim.hits + sim.misses == sim.position
        sim.evict(int(rng.integers(sim.capacity)))
        decisions += 1
    assert decisions > 20
    assert sim.hits + sim.misses == len(stream)


@pytest.mark.parametrize("prefetch", [False, True])
def test_sim_stall_of_misses_equals_replay_stall_timeline(prefetch):
    rng = np.random.default_rng(5)
    trace = SyntheticRouting.for_model("mixtral").generate(rng.integers(4, 20, size=5), rng)
    stream = decode_stream(trace, 3, "layer", prompt_tokens=7)
    cost = MoeCostModel.preset("mixtral")
    sim = ExpertCacheSim(stream, 40, cost, prefetch=prefetch)
    for share in (0.02, 0.3, 1.0):  # sparse misses leave steps without any in between
        misses = np.flatnonzero(rng.random(len(stream)) < share)
        # victims last used up to three steps back (-1: a fill), some in the previous step
        steps = stream.step[misses]
        victim_steps = np.maximum(steps - rng.integers(1, 4, size=misses.size), -1)
        victim_steps[rng.random(misses.size) < 0.2] = -1
        expected = stall_timeline(stream, misses, cost, prefetch, victim_steps)[0]
        assert sim.stall_of_misses(misses, victim_steps) == expected  # same arithmetic, bit for bit
    victims: list = []
    bound = sim.belady_miss_positions(victims)
    bound_steps = victim_last_steps(stream, bound, np.concatenate(victims))
    expected = replay(stream, 40, "belady", cost, prefetch).stall_ms
    assert sim.stall_of_misses(bound, bound_steps) == expected
    none = np.array([], dtype=np.int64)
    assert sim.stall_of_misses(none, none) == 0.0
