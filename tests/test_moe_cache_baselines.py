"""Eviction baselines (netgym.baselines.moe.eviction) in replay and in the env: hand-checked miss
counts, Belady's MIN below every policy, Read-ME's qualitative result on the readme preset."""

from __future__ import annotations

import numpy as np
import pytest
from netgym.baselines import make_policy
from netgym.baselines.moe.eviction import EVICTION_POLICIES, make_eviction_policy
from netgym.envs.moe.cache.env import MoeExpertCacheEnv
from netgym.envs.moe.cache.replay import replay
from netgym.envs.moe.cache.stream import AccessStream, decode_stream
from netgym.envs.moe.traces import SyntheticRouting

ENV_ID = "netgym/MoeExpertCache-v0"
REPLAYABLE = [name for name in EVICTION_POLICIES if name != "belady-window-prefetch"]


def _policy(name: str, n_experts: int = 4, **kwargs):
    if name == "lru-layer":
        kwargs["n_experts"] = n_experts
    if name != "belady-window":
        kwargs.pop("window", None)
    return make_eviction_policy(name, **kwargs)


def test_hand_checked_lfu_lru_static_and_per_layer_counts():
    keys = [0, 0, 1, 2, 0, 1]
    assert replay(keys, 2, _policy("lfu", half_life=1e9)).misses == 4  # keeps the frequent 0
    assert replay(keys, 2, _policy("lru")).misses == 5
    pinning = [0, 0, 0, 1, 2, 1, 2, 1, 2]
    assert replay(pinning, 2, _policy("static")).misses == 7  # 0 pinned: 1 and 2 thrash
    assert replay(pinning, 2, _policy("lru")).misses == 3
    # per-layer LRU (2 experts per layer): key 3 (layer 1) evicts layer-1 key 2, not older 0
    layered = [0, 2, 1, 3, 0]
    assert replay(layered, 3, _policy("lru-layer", n_experts=2)).misses == 4
    assert replay(layered, 3, _policy("lru")).misses == 5


def test_windowed_belady_by_hand():
    keys = AccessStream.from_keys([0, 1, 2, 0, 1, 0])
    # window 2 at the miss on 2 (position 2): sees 0 at 3 and 1 at 4, evicts 1 -> 4 misses
    assert (
        replay(keys, 2, _policy("belady-window", window=2, lookahead_iterations=None)).misses == 4
    )
    # window 1 sees only 0 at 3: 1 is unseen and evicted too
    assert (
        replay(keys, 2, _policy("belady-window", window=1, lookahead_iterations=None)).misses == 4
    )
    # window 0 sees nothing: LRU among all, evicts 0 -> 5 misses
    assert (
        replay(keys, 2, _policy("belady-window", window=0, lookahead_iterations=None)).misses == 5
    )


@pytest.mark.parametrize("seed", range(3))
def test_belady_full_misses_at_most_every_policy_on_random_traces(seed):
    rng = np.random.default_rng(seed)
    keys = (rng.zipf(1.4, size=1500) + rng.integers(0, 3, size=1500)) % 24
    for capacity in (2, 4, 7, 12):
        bound = replay(keys, capacity, "belady").misses
        for name in REPLAYABLE:
            misses = replay(keys, capacity, _policy(name, window=16), seed=seed).misses
            assert bound <= misses, (name, capacity)


def test_every_policy_plays_the_env_within_the_mask_and_above_the_bound():
    env = MoeExpertCacheEnv(n_requests=10, max_tokens=48)
    for name in EVICTION_POLICIES:
        policy = make_policy(ENV_ID, name, seed=0)
        policy.reset(env)
        obs, info = env.reset(seed=4)
        done = False
        while not done:
            obs, _, done, _, info = env.step(policy.act(obs, info))
            assert not info["invalid_action"], name
        assert info["misses"] >= info["belady_misses"], name


@pytest.mark.parametrize("seed", range(3))
def test_prefetching_policies_load_at_least_the_belady_bound(seed):
    # reference 6(A): MIN is optimal for uniform sizes even against prefetching policies
    env = MoeExpertCacheEnv(prefetch_head=3, n_requests=10, max_tokens=48, capacity=3)
    for name in ("belady-window-prefetch", "random", "belady"):
        policy = make_policy(ENV_ID, name, seed=seed)
        policy.reset(env)
        obs, info = env.reset(seed=seed)
        done, total = False, 0.0
        while not done:
            obs, reward, done, _, info = env.step(policy.act(obs, info))
            total += reward
        assert info["loads"] == info["misses"] + info["prefetches"]
        assert info["loads"] >= info["belady_misses"], name
        assert total == pytest.approx(-info["stall_ms"], abs=1e-9)
        if name == "belady-window-prefetch":
            assert info["prefetches"] > 0


def test_read_me_windowed_belady_beats_lru_by_several_points_at_capacity_4():
    # Read-ME Table 4 at capacity 4: Belady 77.21% vs LRU 66.95% (+10 points)
    generator = SyntheticRouting.for_model("readme")
    gains = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        trace = generator.generate(rng.integers(50, 300, size=120), rng)
        stream = decode_stream(trace, 8, unit="path")
        lru = replay(stream, 4, "lru").hit_ratio
        window = replay(stream, 4, _policy("belady-window")).hit_ratio
        full = replay(stream, 4, "belady").hit_ratio
        assert lru < window <= full + 1e-12
        gains.append(window - lru)
    assert np.mean(gains) > 0.05


def test_lfu_half_life_is_not_silently_ignored_in_the_env():
    # in the env, LFU reads the env's decayed counts: a different half-life must be refused
    env = MoeExpertCacheEnv(n_requests=4, max_tokens=16, freq_half_life=64.0)
    make_eviction_policy("lfu", half_life=64.0).reset(env)  # the same one is fine
    with pytest.raises(ValueError, match=r"half_life=16.0\) but the env counts with 64.0"):
        make_eviction_policy("lfu", half_life=16.0).reset(env)


def test_unknown_policy_names_raise():
    with pytest.raises(ValueError, match="unknown eviction policy 'mru'"):
        make_eviction_policy("mru")
    with pytest.raises(ValueError, match="unknown policy 'mru' for netgym/MoeExpertCache-v0"):
        make_policy(ENV_ID, "mru")
    with pytest.raises(ValueError, match="runs in the env, not in replay"):
        replay([0, 1, 2], 2, make_eviction_policy("belady-window-prefetch"))
    with pytest.raises(ValueError, match="LruPerLayer needs n_experts"):
        replay([0, 1, 2], 2, make_eviction_policy("lru-layer"))
