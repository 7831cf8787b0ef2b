"""``netgym/MoeGliderRouting-v0``: the env contract (checkers, determinism, bad input), the
pool structures and the pair bound."""

from __future__ import annotations

import math

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.envs.moe.glider.env import MoeGliderRoutingEnv
from netgym.envs.moe.glider.params import GliderParams
from netgym.envs.moe.glider.pool import build_pool, held_in_categories
from netgym.envs.moe.glider.sim import pair_bound, pair_bound_exhaustive

ENV_ID = "netgym/MoeGliderRouting-v0"


@pytest.mark.parametrize(
    "params", ["small", GliderParams.small(action_mode="assign"), GliderParams.small(pool="flan")]
)
def test_passes_gymnasium_and_sb3_checkers(params):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = MoeGliderRoutingEnv(params)
    check_env(env, skip_render_check=True)
    sb3_check_env(MoeGliderRoutingEnv(params))


def test_registered_and_made_through_gym_make():
    env = gym.make(ENV_ID, pool="flan", batch_size=2)
    obs, _ = env.reset(seed=0)
    assert env.unwrapped.pool.n_experts == 166
    assert obs.shape == (2 * (166 + 5),)


def test_t0_pool_has_35_experts_in_the_published_categories_and_11_held_out_tasks():
    pool = build_pool(GliderParams())
    assert (pool.n_experts, pool.n_held_in, pool.n_held_out) == (35, 35, 11)
    sizes = np.bincount(pool.category)
    assert sizes.tolist() == [11, 4, 2, 5, 3, 2, 5, 3, 3, 5, 2, 1]


def test_flan_pool_has_166_experts_in_its_four_collections():
    pool = build_pool(GliderParams.flan())
    assert pool.n_experts == 166
    per_collection = {}
    for name, count in held_in_categories("flan"):
        collection = name.rsplit("_", 1)[0]
        per_collection[collection] = per_collection.get(collection, 0) + count
    assert per_collection == {"p3": 36, "flan_v2": 36, "niv2": 75, "extra": 19}


def test_same_seed_and_actions_give_identical_trajectories():
    def run(mode: str) -> list:
        env = MoeGliderRoutingEnv(GliderParams.small(action_mode=mode, success="bernoulli"))
        env.action_space.seed(3)
        out = [env.reset(seed=7)[0]]
        for _ in range(10):
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            out += [obs, reward, info["query_accuracy"], info["query_task"]]
            if terminated or truncated:
                out.append(env.reset()[0])
        return out

    for mode in ("glider", "assign"):
        first, second = run(mode), run(mode)
        for a, b in zip(first, second, strict=True):
            np.testing.assert_array_equal(a, b)


def test_pool_depends_on_pool_seed_not_on_the_reset_seed():
    env = MoeGliderRoutingEnv("small")
    before = env.pool.gain.copy()
    env.reset(seed=123)
    np.testing.assert_array_equal(env.pool.gain, before)
    other = build_pool(GliderParams.small(pool_seed=1))
    assert not np.array_equal(other.gain, before)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pool": "t5"}, "GliderParams.pool must be one of"),
        ({"action_mode": "top2"}, "GliderParams.action_mode must be one of"),
        ({"batch_size": 0}, "GliderParams.batch_size must be >= 1"),
        ({"held_in_fraction": 1.5}, "GliderParams.held_in_fraction must be <= 1.0"),
        ({"scales": (0.0, -3.0)}, r"GliderParams.scales\[1\] must be >= 0.0"),
        ({"scales": ()}, "GliderParams.scales must have at least 1 entries"),
        ({"max_k": 0}, "GliderParams.max_k must be >= 1"),
        ({"global_cost": math.nan}, "GliderParams.global_cost must be finite"),
        ({"base_accuracy": (0.6, 0.4)}, "low <= high"),
        ({"embed_dim": 1}, "GliderParams.embed_dim must be >= 2"),
        ({"success": "sampled"}, "GliderParams.success must be one of"),
        ({"bogus": 1}, "unknown MoeGliderRouting parameters"),
    ],
)
def test_bad_params_are_refused_with_the_field_and_range(changes, message):
    with pytest.raises(ValueError, match=message):
        MoeGliderRoutingEnv(**changes)


def test_bad_actions_are_refused_naming_query_field_and_range():
    env = MoeGliderRoutingEnv("small")
    env.reset(seed=0)
    good = np.zeros(12, dtype=np.int64)
    with pytest.raises(ValueError, match=r"must have shape \(12,\)"):
        env.step(good[:6])
    bad = good.copy()
    bad[4] = 5  # query 1, scale index, 5 scales
    with pytest.raises(
        ValueError, match=r"action\[4\] \(query 1, scale index\) must be in \[0, 4\]"
    ):
        env.step(bad)
    bad = good.copy()
    bad[2] = -1
    with pytest.raises(ValueError, match=r"query 0, k - 1\) must be in \[0, 2\]"):
        env.step(bad)
    with pytest.raises(ValueError, match="whole numbers"):
        env.step(good + 0.5)
    assign = MoeGliderRoutingEnv(GliderParams.small(action_mode="assign"))
    assign.reset(seed=0)
    bad = np.zeros(8, dtype=np.int64)
    bad[1] = 36
    with pytest.raises(ValueError, match=r"second expert \(K = none\)\) must be in \[0, 35\]"):
        assign.step(bad)


def test_step_before_reset_is_refused():
    with pytest.raises(RuntimeError, match="call reset"):
        MoeGliderRoutingEnv("small").step(np.zeros(12, dtype=np.int64))


def test_episode_truncates_after_max_steps_and_never_terminates():
    env = MoeGliderRoutingEnv("small")
    env.reset(seed=0)
    for step in range(8):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated
        assert truncated == (step == 7)


@pytest.mark.parametrize("pool", ["t0", "flan"])
def test_closed_form_bound_equals_the_exhaustive_search_over_expert_pairs(pool):
    params = GliderParams(pool=pool)
    built = build_pool(params)
    tasks = np.arange(built.n_tasks) if pool == "t0" else np.r_[0:6, 160:177]
    closed, first, second = pair_bound(built, tasks, params.expert_cost)
    exhaustive = [pair_bound_exhaustive(built, int(t), params.expert_cost) for t in tasks]
    np.testing.assert_allclose(closed, exhaustive, rtol=0, atol=1e-12)
    # held-in tasks: the own expert alone; the first expert is always the best single one
    held_in = tasks < built.n_held_in
    assert np.array_equal(first[held_in], tasks[held_in])
    assert np.array_equal(second[held_in], tasks[held_in])
    assert np.array_equal(first, built.gain[tasks].argmax(axis=1))
    # a held-out task that takes a pair gains the composition bonus from it
    pairs = ~held_in & (first != second)
    assert pairs.sum() >= 5


def test_assigning_the_bound_experts_reaches_the_bound():
    env = MoeGliderRoutingEnv(GliderParams(action_mode="assign"))
    env.reset(seed=0)
    for _ in range(5):
        first, second = env.best_experts()
        second = np.where(second == first, env.pool.n_experts, second)
        action = np.stack([first, second], axis=1).ravel()
        _, reward, _, _, info = env.step(action)
        assert reward == pytest.approx(info["reward_bound"], abs=1e-12)


def test_info_reports_accuracy_split_costs_and_per_query_arrays():
    env = MoeGliderRoutingEnv(GliderParams(batch_size=32))
    env.reset(seed=1)
    action = np.tile([1, 3, 1], 32)  # global, scale 100, k = 2
    _, reward, _, _, info = env.step(action)
    assert info["global_calls"] == 32 and info["mean_k"] == 2.0
    assert info["cost"] == pytest.approx(0.02 + 2 * 0.002)
    assert reward == pytest.approx(info["accuracy"] - info["cost"])
    held_in = info["query_held_in"]
    assert info["accuracy_held_in"] == pytest.approx(info["query_accuracy"][held_in].mean())
    assert info["accuracy_held_out"] == pytest.approx(info["query_accuracy"][~held_in].mean())
    assert np.all(info["query_task"][held_in] < 35) and np.all(info["query_task"][~held_in] >= 35)


def test_ansi_render_lists_the_last_batch():
    env = MoeGliderRoutingEnv("small", render_mode="ansi")
    env.reset(seed=0)
    assert "no batch" in env.render()
    _, reward, _, _, info = env.step(env.action_space.sample())
    lines = env.render().splitlines()
    assert len(lines) == 2 + 4 and f"reward={reward:.4f}" in lines[0]
    assert float(lines[2].split()[-2]) == pytest.approx(info["query_accuracy"][0], abs=1e-4)


def test_rgb_frame_draws_held_in_and_held_out_bars():
    env = MoeGliderRoutingEnv(GliderParams(batch_size=16), render_mode="rgb_array")
    env.reset(seed=0)
    _, _, _, _, info = env.step(env.action_space.sample())
    frame = env.render()
    assert frame.shape == (320, 640, 3)
    held_in = info["query_held_in"]
    assert held_in.any() and not held_in.all()
    for colour in ((44, 160, 44), (31, 119, 180)):
        assert (frame == colour).all(axis=-1).any()


def test_reset_with_a_seed_mid_episode_replays_a_fresh_envs_trajectory():
    """The queries are drawn in chunks of batches: a reset must drop the rest of a chunk."""
    params = GliderParams(batch_size=3, max_steps=40)
    used, fresh = MoeGliderRoutingEnv(params), MoeGliderRoutingEnv(params)
    used.reset(seed=1)
    for _ in range(5):
        used.step(used.action_space.sample())
    actions = [fresh.action_space.sample() for _ in range(45)]
    runs = []
    for env in (used, fresh):
        obs, _ = env.reset(seed=9)
        trace = [obs]
        for action in actions:
            obs, reward, _, truncated, info = env.step(action)
            trace += [obs, reward, info["query_task"]]
            if truncated:
                trace.append(env.reset()[0])
        runs.append(trace)
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_observation_is_a_copy_the_caller_may_change():
    env = MoeGliderRoutingEnv("small")
    obs, _ = env.reset(seed=0)
    obs[:] = 0.0
    first, _ = MoeGliderRoutingEnv("small").reset(seed=0)
    np.testing.assert_array_equal(env._obs, first)


def test_own_expert_share_counts_held_in_queries_routed_to_their_own_expert():
    shares = {}
    for name, action in {"global": [1, 4, 0], "local": [0, 0, 0]}.items():
        env = MoeGliderRoutingEnv(GliderParams(batch_size=64, held_in_fraction=1.0))
        env.reset(seed=0)
        _, _, _, _, info = env.step(np.tile(action, 64))
        shares[name] = info["own_expert_share"]
    assert shares["global"] > 0.9 and shares["global"] > shares["local"] + 0.1
    env = MoeGliderRoutingEnv(GliderParams(batch_size=8, held_in_fraction=0.0))
    env.reset(seed=0)
    assert math.isnan(env.step(np.zeros(24, dtype=np.int64))[4]["own_expert_share"])
