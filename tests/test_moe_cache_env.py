"""netgym/MoeExpertCache-v0 (envs/moe/cache/env.py, sim.py): API checks, the return equals
minus the total stall, the env agrees with replay, the lookahead window hides the future, masks,
determinism and clear errors."""

from __future__ import annotations

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.envs.moe.cache.env import MoeExpertCacheEnv
from netgym.envs.moe.cache.params import CacheParams
from netgym.envs.moe.cache.replay import replay
from netgym.envs.moe.cache.sim import ExpertCacheSim
from netgym.envs.moe.cache.stream import AccessStream, decode_stream
from netgym.envs.moe.cost import MoeCostModel
from netgym.envs.moe.traces import SyntheticRouting

ENV_ID = "netgym/MoeExpertCache-v0"
SMALL = dict(n_requests=12, max_tokens=64)


def _lru_action(env: MoeExpertCacheEnv) -> int:
    sim = env.sim
    ages = sim.ages(sim.resident).astype(float)
    ages[~env.action_masks()] = -1
    return int(np.argmax(ages))


def _run(env: MoeExpertCacheEnv, seed: int, chooser) -> tuple[float, dict, list]:
    obs, info = env.reset(seed=seed)
    total, done, observations = 0.0, False, [obs]
    while not done:
        obs, reward, done, truncated, info = env.step(chooser(env))
        assert not truncated
        total += reward
        observations.append(obs)
    return total, info, observations


def test_gymnasium_checks_pass():
    check_env(gym.make(ENV_ID, **SMALL).unwrapped, skip_render_check=True)
    qwen = MoeExpertCacheEnv(model="qwen15moe", capacity=200, n_requests=4, max_tokens=16)
    check_env(qwen, skip_render_check=True)


@pytest.mark.parametrize("prefetch_head", [0, 2])
def test_sb3_check_passes(prefetch_head):
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(MoeExpertCacheEnv(prefetch_head=prefetch_head, **SMALL))


@pytest.mark.parametrize("prefetch", [False, True])
def test_return_is_minus_total_stall_and_counts_add_up(prefetch):
    env = MoeExpertCacheEnv(prefetch=prefetch, **SMALL)
    total, info, _ = _run(env, 0, lambda e: int(e.np_random.integers(e.capacity)))
    assert total == pytest.approx(-info["stall_ms"], abs=1e-9)
    assert info["stall_ms"] > 0
    assert info["hits"] + info["misses"] == info["accesses"] == len(env.sim.stream)
    assert info["loads"] == info["misses"] >= info["belady_misses"]


@pytest.mark.parametrize("prefetch", [False, True])
@pytest.mark.parametrize("model", ["readme", "mixtral"])
def test_env_evicting_like_lru_reproduces_replay_exactly(model, prefetch):
    kwargs = dict(SMALL, model=model, capacity=4, batch_size=4, prefetch=prefetch)
    if model == "mixtral":  # 256 (layer, expert) keys: a short episode is long enough
        kwargs.update(capacity=96, n_requests=4, max_tokens=24)
    env = MoeExpertCacheEnv(**kwargs)
    _, info, _ = _run(env, 1, _lru_action)
    expected = replay(env.sim.stream, env.capacity, "lru", cost=env.cost, prefetch=prefetch)
    assert info["misses"] == expected.misses
    assert info["stall_ms"] == pytest.approx(expected.stall_ms, rel=1e-12)
    bound = replay(env.sim.stream, env.capacity, "belady", cost=env.cost, prefetch=prefetch)
    assert info["belady_misses"] == bound.misses
    assert info["belady_stall_ms"] == pytest.approx(bound.stall_ms)


def test_same_seed_and_actions_give_the_same_trajectory():
    first = _run(MoeExpertCacheEnv(**SMALL), 7, _lru_action)
    second = _run(MoeExpertCacheEnv(**SMALL), 7, _lru_action)
    assert first[0] == second[0]
    for a, b in zip(first[2], second[2], strict=True):
        for key in a:
            assert np.array_equal(a[key], b[key])
    assert _run(MoeExpertCacheEnv(**SMALL), 8, _lru_action)[0] != first[0]


def _next_use_feature(sim: ExpertCacheSim, keys) -> np.ndarray:
    """Numpy reference of the next-use feature: ``1 - exp(-d / W)`` for a visible next use at
    distance d, 1 when none is visible."""
    distance = sim.visible_next_use(keys).astype(float)
    scale = max(sim.window, 1)
    feature = 1.0 - np.exp(-np.maximum(distance, 0.0) / scale)
    feature[distance < 0] = 1.0
    return feature


def _age_feature(ages: np.ndarray) -> np.ndarray:
    """Numpy reference of the age feature: ``log1p(age) / (1 + log1p(age))`` in [0, 1)."""
    logged = np.log1p(np.maximum(ages, 0))
    return logged / (1.0 + logged)


def _freq_feature(sim: ExpertCacheSim, freqs: np.ndarray) -> np.ndarray:
    """Numpy reference of the frequency feature: the decayed count times (1 - decay)."""
    decay = 0.5 ** (1.0 / sim.freq_half_life)
    return np.clip(freqs * (1.0 - decay), 0.0, 1.0)


def _features_at_decisions(keys: list[int], window: int, oracle: bool, decisions: int):
    sim = ExpertCacheSim(
        AccessStream.from_keys(np.array(keys), n_keys=10),
        capacity=2,
        cost=MoeCostModel.preset("readme"),
        window=window,
        lookahead_iterations=None,
        oracle=oracle,
    )
    seen = []
    for _ in range(decisions):
        position = sim.position
        keys_now = np.append(sim.resident, sim.incoming)
        seen.append((position, sim.visible_next_use(keys_now), _next_use_feature(sim, keys_now)))
        sim.evict(0)
    return seen


def test_no_reference_beyond_the_window_leaks_unless_oracle():
    prefix = [0, 1, 2, 0, 1, 2, 0, 1, 2, 3]
    a = prefix + [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    b = prefix + [4, 3, 2, 1, 0, 4, 3, 2, 1, 0]  # same first 10 accesses, other future
    window = 3
    for (pos_a, dist_a, feat_a), (pos_b, dist_b, feat_b) in zip(
        _features_at_decisions(a, window, False, 5),
        _features_at_decisions(b, window, False, 5),
        strict=True,
    ):
        assert pos_a == pos_b
        if pos_a + window < len(prefix):  # the whole window lies in the shared prefix
            assert np.array_equal(dist_a, dist_b) and np.array_equal(feat_a, feat_b)
        assert np.all(dist_a <= window)  # nothing farther than W is ever shown
    oracle_a = _features_at_decisions(a, window, True, 5)
    oracle_b = _features_at_decisions(b, window, True, 5)
    assert any(not np.array_equal(x[1], y[1]) for x, y in zip(oracle_a, oracle_b, strict=True))
    # W = 0 shows nothing: every next-use feature is 1
    for _, distance, feature in _features_at_decisions(a, 0, False, 5):
        assert np.all(distance == -1) and np.all(feature == 1.0)


def test_next_use_by_hand_at_the_first_decision():
    # keys 0 1 2 0 1, capacity 2: the first decision is at position 2 (key 2, cache {0, 1})
    (position, distance, feature), *_ = _features_at_decisions([0, 1, 2, 0, 1], 5, False, 1)
    assert position == 2
    assert distance.tolist() == [1, 2, -1]  # 0 at 3, 1 at 4, key 2 never again
    assert feature[:2] == pytest.approx(1 - np.exp(-np.array([1, 2]) / 5))
    assert feature[2] == 1.0


def test_fast_features_equal_the_array_features():
    env = MoeExpertCacheEnv(model="mixtral", capacity=40, window=32, **SMALL)
    env.reset(seed=3)
    for _ in range(50):
        sim = env.sim
        keys = [*sim.resident_keys(), sim.incoming]
        fast = np.array(sim.features(keys))
        arrays = np.stack(
            [
                _next_use_feature(sim, keys),
                _age_feature(sim.ages(keys)),
                _freq_feature(sim, sim.frequencies(keys)),
            ]
        )
        assert fast == pytest.approx(arrays, abs=1e-12)
        env.step(_lru_action(env))


def test_lookahead_iterations_limit_the_window_to_pre_gated_experts():
    env = MoeExpertCacheEnv(window=10_000, **SMALL)
    env.reset(seed=0)
    sim = env.sim
    iteration = sim.stream.step_iteration[sim.stream.step]
    end = sim.visible_end
    # with lookahead_iterations=0, nothing after the running iteration is visible
    assert np.all(iteration[np.minimum(end, len(iteration)) - 1] == iteration)
    # ... and, with a window longer than any iteration, all of the running iteration is
    inside = end < len(iteration)
    assert inside.any() and np.all(iteration[end[inside]] == iteration[inside] + 1)


def test_masked_actions_are_replaced_and_one_slot_is_always_allowed():
    env = MoeExpertCacheEnv(pin=None, **SMALL)
    env.reset(seed=2)
    flagged = False
    done = False
    while not done:
        mask = env.action_masks()
        assert mask.any()
        action = int(np.argmin(mask)) if not mask.all() else 0
        _, _, done, _, info = env.step(action)
        flagged |= info["invalid_action"]
    assert flagged


def test_prefetch_head_spaces_masks_and_accounting():
    env = MoeExpertCacheEnv(prefetch_head=2, **SMALL)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=5)
    assert env.action_masks().shape == (4 + 3 + 4,)
    prefetched_any = False
    done = False
    while not done:
        mask = env.action_masks()
        slots = np.flatnonzero(mask[:4])
        offered = obs["candidates"] >= 0
        assert np.array_equal(mask[4:7], np.r_[True, offered])  # offered candidates come first
        assert np.all(obs["candidates"][offered.sum() :] == -1)
        slot = int(slots[0])
        target = int(slots[-1])
        candidate = 1 if offered[0] and target != slot else 0
        key = int(obs["candidates"][0])
        obs, reward, done, _, info = env.step(np.array([slot, candidate, target]))
        assert info["prefetched"] == bool(candidate)
        if candidate:
            prefetched_any = True
            # only decisions evict, so the prefetched expert is resident at the next one
            assert done or key in env.sim.resident_keys()
    assert prefetched_any
    assert info["loads"] == info["misses"] + info["prefetches"] >= info["belady_misses"]
    with pytest.raises(ValueError, match="action must be \\[slot, candidate, prefetch slot\\]"):
        env.reset(seed=0)
        env.step(np.array([0, 9, 0]))
    with pytest.raises(ValueError, match="action must be \\[slot, candidate, prefetch slot\\]"):
        env.step([0.7, 0, 1.9])  # not truncated to [0, 0, 1]


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="capacity must be >= 1"):
        MoeExpertCacheEnv(capacity=0)
    with pytest.raises(ValueError, match=r"capacity \(7\) must be < the 7 cache keys"):
        MoeExpertCacheEnv(capacity=7)
    with pytest.raises(ValueError, match="unknown MoE model preset 'gpt'"):
        MoeExpertCacheEnv(model="gpt")
    trace = SyntheticRouting(n_experts=5, n_layers=2, top_k=1).generate(
        [4, 4], np.random.default_rng(0)
    )
    with pytest.raises(ValueError, match="the trace has 5 experts but model 'readme' has 7"):
        MoeExpertCacheEnv(trace=trace)
    # a trace with more layers than the model would show keys outside the observation space
    deep = SyntheticRouting(n_experts=8, n_layers=40, top_k=2).generate(
        [30, 30], np.random.default_rng(0)
    )
    with pytest.raises(ValueError, match="the trace has 40 layers but model 'mixtral' has 32"):
        MoeExpertCacheEnv(model="mixtral", trace=deep, capacity=16)
    # so would generator overrides that change the model's shape; unknown overrides are named
    with pytest.raises(ValueError, match="routing overrides give 40 layers but model 'mixtral'"):
        MoeExpertCacheEnv(model="mixtral", capacity=16, routing={"n_layers": 40})
    with pytest.raises(ValueError, match=r"unknown SyntheticRouting field\(s\) \['nope'\]"):
        MoeExpertCacheEnv(routing={"nope": 1})
    env = MoeExpertCacheEnv(**SMALL)
    with pytest.raises(ValueError, match=r"takes no reset options, got \['capacity'\]"):
        env.reset(seed=0, options={"capacity": 2})  # as the routing and batching envs
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be a slot in \[0, 4\)"):
        env.step(4)


def test_params_object_dict_and_preset_name_give_the_kwargs_env():
    kwargs = dict(SMALL, capacity=3, window=16, reward="miss")
    reference = _run(gym.make(ENV_ID, **kwargs).unwrapped, 4, _lru_action)
    for env in (
        MoeExpertCacheEnv(params=CacheParams(**kwargs)),
        MoeExpertCacheEnv(params=kwargs),
        MoeExpertCacheEnv(params="default", **kwargs),
        gym.make(ENV_ID, params=CacheParams(**SMALL), capacity=3, window=16, reward="miss"),
    ):
        assert env.unwrapped.params == CacheParams(**kwargs)
        total, info, observations = _run(env.unwrapped, 4, _lru_action)
        assert total == reference[0]
        assert all(np.array_equal(info[key], reference[1][key]) for key in reference[1])
        for a, b in zip(observations, reference[2], strict=True):
            assert all(np.array_equal(a[key], b[key]) for key in a)
    with pytest.raises(ValueError, match="unknown MoeExpertCache parameters \\['capacty'\\]"):
        MoeExpertCacheEnv(capacty=3)
    with pytest.raises(ValueError, match="unknown CacheParams preset 'big'"):
        MoeExpertCacheEnv(params="big")


def test_episodes_draw_from_np_random_seeded_like_default_rng():
    env = MoeExpertCacheEnv(**SMALL)
    env.reset(seed=9)
    rng = np.random.default_rng(9)  # gymnasium seeds np_random as default_rng does
    lengths = env.lengths.sample(env.n_requests, rng)
    trace = env.routing.generate(np.maximum(lengths, 2), rng)
    expected = decode_stream(trace, env.batch_size, env.unit)
    assert np.array_equal(env.sim.stream.keys, expected.keys)
    # an unseeded reset continues the same generator
    env.reset()
    lengths = env.lengths.sample(env.n_requests, rng)
    trace = env.routing.generate(np.maximum(lengths, 2), rng)
    assert np.array_equal(env.sim.stream.keys, decode_stream(trace, env.batch_size, env.unit).keys)


def test_recorded_trace_is_replayed_every_episode(tmp_path):
    rng = np.random.default_rng(0)
    trace = SyntheticRouting.for_model("readme").generate(rng.integers(20, 40, size=10), rng)
    path = tmp_path / "readme.npz"
    trace.save(path)
    env = MoeExpertCacheEnv(trace=str(path), capacity=3)
    a = _run(env, 0, _lru_action)
    b = _run(env, 1, _lru_action)
    assert a[0] == b[0] and a[1]["accesses"] == b[1]["accesses"]
