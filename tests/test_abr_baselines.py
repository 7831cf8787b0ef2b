"""Behaviour of the ABR heuristics and of the vectorised robustMPC."""

from __future__ import annotations

import itertools

import gymnasium as gym
import netgym.envs  # noqa: F401
import numpy as np
import pytest
from netgym.baselines import BASELINES, make_policy
from netgym.baselines.abr import BBA, BOLA, FixedQuality, RandomPolicy, RateBased, RobustMPC
from netgym.baselines.abr.mpc import plan_table
from netgym.leaderboard import evaluate

ENV_ID = "netgym/AbrStreaming-v0"


def _env(**kwargs):
    env = gym.make(ENV_ID, **kwargs)
    env.reset(seed=3)
    return env


@pytest.mark.parametrize(
    ("buffer_s", "level"),
    [(0.0, 0), (4.99, 0), (5.0, 0), (7.0, 1), (9.0, 2), (14.99, 4), (15.0, 5), (60.0, 5)],
)
def test_bba_maps_buffer_to_level_like_pensieve(buffer_s, level):
    policy = BBA()
    policy.reset(_env())
    assert policy.act(None, {"buffer_s": buffer_s}) == level


def test_rate_based_picks_highest_rung_below_harmonic_mean():
    policy = RateBased()
    policy.reset(_env())
    # harmonic mean of 1 and 3 Mbps = 1.5 Mbps -> 1200 kbps rung
    assert policy.act(None, {"throughput_mbps": 1.0}) == 1  # 1000 kbps -> 750 rung
    assert policy.act(None, {"throughput_mbps": 3.0}) == 2
    policy.reset(_env())
    assert policy.act(None, {"throughput_mbps": 0.1}) == 0  # below the lowest rung


def test_bola_moves_up_with_buffer():
    policy = BOLA()
    policy.reset(_env())
    levels = [policy.act(None, {"buffer_s": b}) for b in np.linspace(0, 60, 61)]
    assert levels[0] == 0
    assert levels[-1] == 5
    assert all(b >= a for a, b in zip(levels, levels[1:], strict=False))


def test_fixed_and_random_policies_stay_in_range():
    env = _env()
    highest = FixedQuality(-1)
    highest.reset(env)
    assert highest.act(None, {}) == 5
    rand = RandomPolicy(seed=1)
    rand.reset(env)
    draws = {rand.act(None, {}) for _ in range(200)}
    assert draws == set(range(6))
    with pytest.raises(ValueError, match="outside"):
        FixedQuality(9).reset(env)


def _reference_mpc(
    sizes_mb,
    ladder,
    bandwidth,
    buffer_s,
    last_level,
    next_chunk,
    n_chunks,
    horizon=5,
    offset=1,
    max_jump=None,
):
    """Pensieve test/mpc.py's plan loop written out literally (one plan at a time)."""
    length = min(horizon, n_chunks - next_chunk)
    best_reward, best = -1e18, None
    for full in itertools.product(range(len(ladder)), repeat=horizon):
        combo = full[:length]
        if max_jump is not None:
            path = (last_level, *combo)
            if any(abs(b - a) > max_jump for a, b in zip(path, path[1:], strict=False)):
                continue
        rebuffer, buffer, bitrate_sum, smooth, last = 0.0, buffer_s, 0.0, 0.0, last_level
        for position, level in enumerate(combo):
            download = sizes_mb[level, next_chunk + offset + position] / bandwidth
            if buffer < download:
                rebuffer += download - buffer
                buffer = 0.0
            else:
                buffer -= download
            buffer += 4.0
            bitrate_sum += ladder[level]
            smooth += abs(ladder[level] - ladder[last])
            last = level
        reward = bitrate_sum / 1000.0 - 4.3 * rebuffer - smooth / 1000.0
        if reward >= best_reward:
            best_reward, best = reward, combo
    return best[0]


@pytest.mark.parametrize("max_jump", [None, 1])
def test_vectorised_mpc_matches_the_plan_loop(max_jump):
    env = _env()
    base = env.unwrapped
    policy = RobustMPC(max_jump=max_jump)
    policy.reset(env)
    sizes_mb = base.video_sizes / 1e6
    ladder = list(base.params.ladder_kbps)
    rng = np.random.default_rng(0)
    for _ in range(40):
        bandwidth = float(rng.uniform(0.05, 1.5))
        buffer_s = float(rng.uniform(0, 30))
        last = int(rng.integers(6))
        chunk = int(rng.integers(1, 48))
        expected = _reference_mpc(
            sizes_mb, ladder, bandwidth, buffer_s, last, chunk, 48, max_jump=max_jump
        )
        assert policy.best_first_level(bandwidth, buffer_s, last, chunk) == expected


def test_jump_plans_count_like_netllm():
    # NetLLM's calculate_jump_action_combo: 96/170/209/209/170/96 plans per start level.
    counts = [len(plans) for plans in plan_table(6, 5, 1)]
    assert counts == [96, 170, 209, 209, 170, 96]


def test_mpc_error_history_is_fresh_each_episode_unless_carried():
    env = _env()
    fresh, carried = RobustMPC(), RobustMPC(carry_errors=True)
    for policy in (fresh, carried):
        obs, info = env.reset(seed=1)
        policy.reset(env)
        done = False
        while not done:
            obs, _, done, _, info = env.step(policy.act(obs, info))
        policy.reset(env)
    assert fresh._errors == []
    assert len(carried._errors) == 47


@pytest.mark.parametrize("name", sorted(BASELINES[ENV_ID]))
def test_every_registered_baseline_plays_valid_episodes(name):
    result = evaluate(name, ENV_ID, episodes=2, seed=5)
    assert all(np.isfinite(result.returns))
    assert result.lengths == [47, 47]


def test_unknown_baseline_lists_known_names():
    with pytest.raises(ValueError, match="known"):
        make_policy(ENV_ID, "nope")


def test_mpc_beats_bba_and_random_on_synthetic_traces():
    kwargs = {"trace_order": "sequential", "start": "beginning"}
    scores = {
        name: evaluate(name, ENV_ID, episodes=20, seed=0, env_kwargs=kwargs).mean_reward
        for name in ("mpc", "bba", "random")
    }
    assert scores["mpc"] > scores["bba"] > scores["random"]
