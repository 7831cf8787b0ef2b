"""Limits of the MoE envs: configurations too large for memory are refused before anything is
allocated, with the parameters and the estimate in the message; the per-step LP bound switches
itself off (with a warning) above its documented size; absurd values are refused."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from netgym.envs.core.budget import BUDGET_VARIABLE
from netgym.envs.moe.arrivals import LengthDistribution
from netgym.envs.moe.cache.lookup import SHARED_TABLE_SIZE, lookup_table
from netgym.envs.moe.cache.params import CacheParams
from netgym.envs.moe.cache.stream import batch_schedule
from netgym.envs.moe.routing.duo import duo_lp
from netgym.envs.moe.routing.params import LP_BOUND_MAX_SIZE, RoutingParams
from scipy.optimize import linprog

ROUTING = "netgym/MoeRouting-v0"
BATCHING = "netgym/MoeBatching-v0"
CACHE = "netgym/MoeExpertCache-v0"


@pytest.fixture(autouse=True)
def default_budget(monkeypatch):
    monkeypatch.delenv(BUDGET_VARIABLE, raising=False)


# ------------------------------------------------------------------------------ routing
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"n_tokens": 10**9}, "n_tokens=1000000000"),
        ({"n_experts": 10**7, "n_devices": 1}, "n_experts=10000000"),
        ({"vocab_size": 10**10}, "vocab_size=10000000000"),
        ({"action_mode": "duo", "duo_layers": 10**7}, "duo_layers=10000000"),
        ({"gates": "trace", "max_steps": 10**8}, "max_steps=100000000"),
    ],
)
def test_routing_configurations_over_the_budget_are_refused_naming_the_parameters(kwargs, named):
    with pytest.raises(ValueError, match=rf"MoeRouting: .*[GT]iB \(.*{named}.*memory budget"):
        gym.make(ROUTING, **kwargs)


def test_routing_vector_env_refuses_ten_million_sub_envs():
    with pytest.raises(ValueError, match=r"MoeRoutingVectorEnv.*num_envs=10000000 x"):
        gym.make_vec(ROUTING, num_envs=10**7, vectorization_mode="vector_entry_point")


def test_routing_vector_env_reports_its_memory_per_env():
    env = gym.make_vec(ROUTING, num_envs=2, vectorization_mode="vector_entry_point")
    per_env = env.unwrapped.memory_per_env()
    p = env.unwrapped.params
    assert per_env > 4 * p.n_tokens * p.n_experts * 3  # at least logits, probs and scores


def test_the_lp_bound_switches_itself_off_with_a_warning_above_its_size():
    with pytest.warns(UserWarning, match="LP bound is switched off: its LP has 1048576"):
        env = gym.make(ROUTING, n_tokens=4096, n_experts=256, n_devices=8, lp_bound=True)
    assert env.unwrapped.params.lp_bound and not env.unwrapped.params.lp_active
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(env.action_space.sample())
    assert "upper_bound" not in info


def test_the_lp_bound_stays_on_at_the_default_size_and_the_presets():
    for preset in ("default", "mixtral", "deepseekmoe16b", "qwen15moe"):
        params = RoutingParams.preset(preset, lp_bound=True)
        assert params.lp_size <= LP_BOUND_MAX_SIZE and params.lp_active
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at the default size
        env = gym.make(ROUTING, lp_bound=True)
    env.reset(seed=0)
    assert "upper_bound" in env.step(env.action_space.sample())[4]


def test_lp_bound_false_never_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym.make(ROUTING, n_tokens=4096, n_experts=256, n_devices=8, lp_bound=False)


def test_the_duo_lp_size_counts_two_variables_per_token():
    duo = {"action_mode": "duo", "lp_bound": True}
    assert RoutingParams(n_tokens=LP_BOUND_MAX_SIZE // 2, **duo).lp_active
    assert not RoutingParams(n_tokens=LP_BOUND_MAX_SIZE, **duo).lp_active


def test_the_sparse_duo_lp_equals_the_dense_one():
    rng = np.random.default_rng(0)
    for _ in range(100):
        t = int(rng.integers(2, 60))
        big = rng.uniform(0, 1, t)
        small, cost, penalty = 0.5 * big, rng.uniform(0, 1), rng.uniform(0, 0.5)
        caps = int(rng.integers(0, t // 2 + 1)), int(rng.integers(0, t // 2 + 1))
        value = duo_lp(small, big, cost, penalty, *caps)
        v_small, v_big = (small - penalty * cost) / t, (big - penalty) / t
        greedy = np.where(np.maximum(v_small, v_big) <= 0, 0, np.where(v_big >= v_small, 2, 1))
        if (greedy == 1).sum() <= caps[0] and (greedy == 2).sum() <= caps[1]:
            continue  # no LP solved
        matrix = np.zeros((t + 2, 2 * t))
        matrix[np.arange(t), np.arange(t)] = matrix[np.arange(t), t + np.arange(t)] = 1.0
        matrix[t, :t] = matrix[t + 1, t:] = 1.0
        limits = np.concatenate([np.ones(t), caps])
        dense = linprog(
            -np.concatenate([v_small, v_big]),
            A_ub=matrix,
            b_ub=limits,
            bounds=(0.0, 1.0),
            method="highs-ds",
        )
        assert value == float(-dense.fun)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("popularity_std", 1e300),
        ("token_std", 1e300),
        ("domain_std", 1e300),
        ("bias_max", 1e300),
        ("drop_penalty", 1e308),
        ("imbalance_penalty", 1e308),
        ("latency_penalty", 1e308),
        ("duo_cost_penalty", 1e308),
    ],
)
def test_routing_scales_and_penalties_are_bounded(field, value):
    with pytest.raises(ValueError, match=f"RoutingParams.{field} must be <="):
        RoutingParams(**{field: value})


def test_a_link_too_slow_for_a_finite_layer_time_is_refused():
    with pytest.raises(ValueError, match="link_gbytes_per_s must be >= 1e-06"):
        RoutingParams(link_gbytes_per_s=1e-300)


def test_a_huge_capacity_factor_means_no_capacity_limit():
    params = RoutingParams(capacity_factor=1e308)
    assert params.capacity == params.n_tokens


# ------------------------------------------------------------------------------ batching
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [({"n_slots": 10**8}, "n_slots=100000000"), ({"n_requests": 10**6}, "n_requests=1000000")],
)
def test_batching_configurations_over_the_budget_are_refused(kwargs, named):
    with pytest.raises(ValueError, match=rf"MoeBatchingEnv: .*GiB.*{named}"):
        gym.make(BATCHING, **kwargs)


def test_batching_scores_outside_the_box_are_refused_not_clipped():
    env = gym.make(BATCHING, params="small")
    env.reset(seed=0)
    n = env.unwrapped.params.n_slots
    with pytest.raises(ValueError, match=r"must lie in the action space \[-1, 1\]"):
        env.unwrapped.step(np.full(n, 2.0))
    env.unwrapped.step(np.full(n, 1.0))  # the edge of the Box is fine


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("arrival_cv", 1e-300, "arrival_cv must be >= 0.001"),
        ("arrival_cv", 1e300, "arrival_cv must be <= 1000.0"),
        ("rate_per_s", 1e-300, "rate_per_s must be >= 1e-09"),
        ("prompt_p99", 1e300, "prompt_p99 must be <= 1000000000.0"),
    ],
)
def test_batching_arrival_parameters_are_bounded(field, value, message):
    with pytest.raises(ValueError, match=message):
        gym.make(BATCHING, **{field: value})


@pytest.mark.parametrize(
    "lengths",
    [
        LengthDistribution(),
        LengthDistribution(median=129.0, p99=601.0, max_tokens=256),
        LengthDistribution(median=5.0, p99=5.0),
        LengthDistribution(median=1.0, p99=1e9),
    ],
)
def test_the_mean_length_bound_is_above_the_sampled_mean(lengths):
    drawn = lengths.sample(200_000, np.random.default_rng(0))
    assert drawn.mean() <= lengths.mean_upper() <= lengths.max_tokens + lengths.min_tokens + 0.5


# ------------------------------------------------------------------------------ cache
def test_a_million_cache_requests_are_refused_before_any_trace_is_drawn():
    with pytest.raises(ValueError, match=r"MoeExpertCacheEnv: .*n_requests=1000000 .*accesses"):
        gym.make(CACHE, n_requests=10**6)


def test_a_recorded_trace_over_the_budget_is_refused_with_its_size(tmp_path, monkeypatch):
    from netgym.envs.moe.traces import SyntheticRouting

    trace = SyntheticRouting.for_model("mixtral").generate(
        np.full(40, 64), np.random.default_rng(0)
    )
    path = tmp_path / "mixtral.npz"
    trace.save(path)
    params = CacheParams(model="mixtral", trace=str(path), capacity=40)
    estimate, _ = params.memory_estimate()
    monkeypatch.setenv(BUDGET_VARIABLE, str(int(estimate) - 1))
    with pytest.raises(ValueError, match=r"the trace with about 2.56e\+03 tokens"):
        gym.make(CACHE, model="mixtral", trace=str(path), capacity=40)
    monkeypatch.setenv(BUDGET_VARIABLE, str(int(estimate) + 1))
    gym.make(CACHE, model="mixtral", trace=str(path), capacity=40).reset(seed=0)


def test_the_cache_estimate_covers_what_an_episode_builds():
    env = gym.make(CACHE, model="mixtral", capacity=40, n_requests=12, max_tokens=64)
    env.reset(seed=0)
    params = env.unwrapped.params
    stream = env.unwrapped.sim.stream
    _, detail = params.memory_estimate()
    accesses = float(detail.split(" tokens and ")[1].split(" cache")[0])
    assert len(stream) <= accesses


def test_a_batch_larger_than_the_requests_schedules_like_one_slot_per_request():
    lengths = np.array([5, 3, 7])
    np.testing.assert_array_equal(batch_schedule(lengths, 10**12), batch_schedule(lengths, 3))
    assert batch_schedule(lengths, 10**12).tolist() == [0, 0, 0]


def test_long_feature_tables_are_not_kept_for_the_process():
    small = lookup_table("age", 0.0, 1024)
    assert lookup_table("age", 0.0, 1024) is small  # shared
    large = lookup_table("age", 0.0, 2 * SHARED_TABLE_SIZE)
    assert lookup_table("age", 0.0, 2 * SHARED_TABLE_SIZE) is not large
    assert large[:1024] == small


@pytest.mark.parametrize(
    ("field", "value"), [("window", 2**70), ("lookahead_iterations", 2**70), ("prefetch_head", 99)]
)
def test_cache_positions_and_heads_are_bounded(field, value):
    with pytest.raises(ValueError, match=f"MoeExpertCacheEnv.{field} must be <="):
        CacheParams(**{field: value})


def test_the_defaults_solve_no_lp_and_their_info_has_no_upper_bound():
    """Issue #21: the per-step LP bound is opt-in; without it ``info`` has no ``upper_bound``
    key (no NaN, no stale value), and everything else equals a run that asks for it."""
    assert not RoutingParams().lp_bound and not RoutingParams().lp_active
    for mode in ("bias", "assign", "duo"):
        plain = gym.make(ROUTING, params="small", action_mode=mode)
        with_bound = gym.make(ROUTING, params="small", action_mode=mode, lp_bound=True)
        plain.action_space.seed(1)
        for env in (plain, with_bound):
            env.reset(seed=4)
        for _ in range(plain.unwrapped.params.max_steps):
            action = plain.action_space.sample()
            obs, reward, terminated, truncated, info = plain.step(action)
            obs_b, reward_b, terminated_b, truncated_b, info_b = with_bound.step(action)
            assert "upper_bound" not in info and np.isfinite(info_b["upper_bound"])
            assert info_b["linear"] <= info_b["upper_bound"] + 1e-9
            np.testing.assert_array_equal(obs, obs_b)
            assert (reward, terminated, truncated) == (reward_b, terminated_b, truncated_b)
            assert info.keys() == info_b.keys() - {"upper_bound"}
            for key in info:
                np.testing.assert_array_equal(info[key], info_b[key])
    vector = gym.make_vec(ROUTING, num_envs=3, params="small")
    vector.reset(seed=0)
    assert "upper_bound" not in vector.step(vector.action_space.sample())[4]
