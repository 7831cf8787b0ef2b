"""Property tests of the MoE envs at the edges of every parameter's accepted range: any
configuration the params accept gives finite rewards and observations inside the declared
spaces (or is refused at construction with a ``ValueError``, never later)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgym.envs.moe.arrivals import MAX_LENGTH
from netgym.envs.moe.batching.env import MoeBatchingEnv
from netgym.envs.moe.batching.params import CV_RANGE, MIN_RATE_PER_S
from netgym.envs.moe.cache.env import MoeExpertCacheEnv
from netgym.envs.moe.routing.env import MoeRoutingEnv
from netgym.envs.moe.routing.params import (
    BIAS_RANGE,
    MAX_PENALTY,
    MAX_STD,
    MIN_LINK_GBYTES_PER_S,
)

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TINY = 5e-324
"""the smallest positive float"""


def edges(low: float, high: float, *inside: float) -> st.SearchStrategy[float]:
    """The two ends of a range, values just inside them, and some given points."""
    points = [low, high, *inside]
    if low < high:
        points += [math.nextafter(low, math.inf), math.nextafter(high, -math.inf)]
    return st.sampled_from(points)


def finite(value: object) -> bool:
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    array = np.asarray(value)
    return array.dtype.kind not in "fc" or bool(np.all(np.isfinite(array)))


def roll(env, steps: int, seed: int, act=None) -> None:
    """``steps`` steps over at most two episodes, checking every output."""
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    assert env.observation_space.contains(obs) and finite(obs) and finite(info)
    episodes = 1
    for _ in range(steps):
        action = act(env) if act is not None else env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        assert env.observation_space.contains(obs), obs
        assert finite(obs) and math.isfinite(reward) and finite(info), (reward, info)
        if terminated or truncated:
            if episodes == 2:
                return
            obs, info = env.reset()
            assert env.observation_space.contains(obs)
            episodes += 1


# ------------------------------------------------------------------------------ routing
@st.composite
def routing_params(draw) -> dict:
    mode = draw(st.sampled_from(["bias", "assign", "duo"]))
    gates = draw(st.sampled_from(["synthetic", "trace"])) if mode != "duo" else "synthetic"
    return dict(
        n_tokens=draw(st.sampled_from([1, 16])),
        n_experts=8,
        top_k=draw(st.sampled_from([1, 2, 8])),
        capacity_factor=draw(st.sampled_from([None, TINY, 1.0, 1e308])),
        n_devices=draw(st.sampled_from([1, 8])),
        action_mode=mode,
        bias_max=draw(edges(*BIAS_RANGE, 4.0)),
        max_steps=draw(st.sampled_from([1, 5, 2**62])),
        popularity_std=draw(edges(0.0, MAX_STD)),
        popularity_drift=draw(edges(0.0, 1.0)),
        n_domains=draw(st.sampled_from([1, 3])),
        domain_std=draw(edges(0.0, MAX_STD)),
        token_std=draw(edges(0.0, MAX_STD)),
        router_rank=draw(st.sampled_from([1, 4])),
        gates=gates,
        trace_noise_std=draw(st.sampled_from([0.0, 0.5, 1e300])),
        vocab_size=draw(st.sampled_from([1, 50])),
        drop_penalty=draw(edges(0.0, MAX_PENALTY)),
        imbalance_penalty=draw(edges(0.0, MAX_PENALTY)),
        latency_penalty=draw(edges(0.0, MAX_PENALTY)),
        link_gbytes_per_s=draw(edges(MIN_LINK_GBYTES_PER_S, 1e300, 64.0)),
        lp_bound=draw(st.booleans()),
        duo_layers=draw(st.sampled_from([1, 3])),
        duo_small_cost=draw(edges(0.0, 1.0)),
        duo_small_share=draw(edges(0.0, 1.0)),
        duo_big_share=draw(edges(0.0, 1.0)),
        duo_cost_penalty=draw(edges(0.0, MAX_PENALTY)),
    )


@SETTINGS
@given(routing_params(), st.integers(0, 2**31 - 1))
def test_routing_env_stays_finite_and_inside_its_spaces_at_parameter_edges(params, seed):
    try:
        env = MoeRoutingEnv(**params)
    except ValueError as err:  # a generated trace of T x max_steps tokens over the budget
        assert "memory budget" in str(err) and params["gates"] == "trace", err
        return
    roll(env, 8, seed)


# ------------------------------------------------------------------------------ batching
@st.composite
def batching_params(draw) -> dict:
    prompt = draw(edges(1.0, MAX_LENGTH, 24.0))
    output = draw(edges(1.0, MAX_LENGTH, 96.0))
    return dict(
        model=draw(st.sampled_from(["readme", "mixtral"])),
        n_requests=draw(st.sampled_from([1, 3])),
        rate_per_s=draw(edges(MIN_RATE_PER_S, 1e300, 20.0)),
        arrival_cv=draw(edges(*CV_RANGE, 1.0)),
        prompt_median=prompt,
        prompt_p99=draw(edges(prompt, MAX_LENGTH)),
        output_median=output,
        output_p99=draw(edges(output, MAX_LENGTH)),
        arrivals=draw(st.sampled_from([None, "azure_conv", "azure_code"])),
        max_batch_tokens=draw(st.sampled_from([1, 64, 2**62])),
        n_slots=draw(st.sampled_from([1, 3])),
        action_mode=draw(st.sampled_from(["priority", "select"])),
        max_iterations=draw(st.sampled_from([1, 40, 2**62])),
    )


@SETTINGS
@given(batching_params(), st.integers(0, 2**31 - 1))
def test_batching_env_stays_finite_and_inside_its_spaces_at_parameter_edges(params, seed):
    env = MoeBatchingEnv(**params)
    roll(env, 12, seed)


# ------------------------------------------------------------------------------ cache
@st.composite
def cache_params(draw) -> dict:
    model = draw(st.sampled_from(["readme", "mixtral"]))
    n_keys = 7 if model == "readme" else 8 * 32
    return dict(
        model=model,
        capacity=draw(st.sampled_from([1, n_keys - 1])),
        batch_size=draw(st.sampled_from([1, 64])),
        n_requests=draw(st.sampled_from([1, 3])),
        max_tokens=draw(st.sampled_from([2, 40])),
        window=draw(st.sampled_from([0, 3, 2**62])),
        lookahead_iterations=draw(st.sampled_from([None, 0, 2**62])),
        oracle=draw(st.booleans()),
        prefetch=draw(st.booleans()),
        reward=draw(st.sampled_from(["stall", "miss"])),
        freq_half_life=draw(st.sampled_from([TINY, 256.0, 1e300])),
        pin=draw(st.sampled_from([None, 0, 1, 10**6])),
        prefetch_head=draw(st.sampled_from([0, 3])),
    )


@SETTINGS
@given(cache_params(), st.integers(0, 2**31 - 1))
def test_cache_env_stays_finite_and_inside_its_spaces_at_parameter_edges(params, seed):
    try:
        env = MoeExpertCacheEnv(**params)
        env.reset(seed=seed)
    except ValueError as err:  # a drawn trace too short to fill the cache: said at reset
        assert "never fills the cache" in str(err), err
        return
    rng = np.random.default_rng(seed)

    def act(e):
        mask = e.action_masks()
        if not e.prefetch_head:
            return int(rng.choice(np.flatnonzero(mask)))
        return e.action_space.sample()

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow or invalid value
        try:
            roll(env, 12, seed, act)
        except ValueError as err:  # the second episode's draws too short: said at its reset
            assert "never fills the cache" in str(err), err
