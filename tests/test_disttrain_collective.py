"""``netgym/CollectivePath-v0``: the Gymnasium, vector and PettingZoo envs, their rewards and
bookkeeping, bad input, and the baselines."""

from __future__ import annotations

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.baselines import make_policy
from netgym.baselines.disttrain import BASELINES
from netgym.envs.disttrain import CollectivePathParams
from netgym.envs.disttrain.collective.env import CollectivePathEnv, CollectivePathVectorEnv
from netgym.envs.disttrain.collective_path_v0 import parallel_env
from pettingzoo.test import parallel_api_test

ENV_ID = "netgym/CollectivePath-v0"
SMALL = CollectivePathParams.small()


def _play(env, actions=None, policy=None, seed=0):
    """One episode: returns (rewards, last info, actions taken)."""
    obs, info = env.reset(seed=seed)
    if policy is not None:
        policy.reset(env)
    rng = np.random.default_rng(seed)
    rewards, taken, done = [], [], False
    while not done:
        if policy is not None:
            action = policy.act(obs, info)
        elif actions is not None:
            action = actions[len(taken)]
        else:
            action = (
                env.action_space.sample()
                if env.params.mode == "step"
                else int(rng.integers(env.action_space.n))
            )
        obs, reward, done, truncated, info = env.step(action)
        assert not truncated
        rewards.append(reward)
        taken.append(action)
    return rewards, info, taken


@pytest.mark.parametrize("mode", ["flow", "step"])
def test_env_passes_gymnasium_checker(mode):
    check_env(gym.make(ENV_ID, params=SMALL, mode=mode).unwrapped, skip_render_check=True)


def test_make_and_make_vec_use_the_native_envs():
    env = gym.make(ENV_ID, params="small")
    assert isinstance(env.unwrapped, CollectivePathEnv)
    venv = gym.make_vec(ENV_ID, num_envs=3, params="small")
    assert isinstance(venv, CollectivePathVectorEnv)


@pytest.mark.parametrize(
    "changes",
    [{}, {"reward": "dense", "failed_links": 2, "pieces": 2}, {"collective": "alltoall_pairwise"}],
)
def test_vector_env_replays_scalar_envs_across_autoresets(changes):
    params = SMALL.replace(**changes)
    n = 3
    venv = CollectivePathVectorEnv(num_envs=n, params=params)
    scalars = [CollectivePathEnv(params) for _ in range(n)]
    obs, _ = venv.reset(seed=11)
    rows = [env.reset(seed=11 + i)[0] for i, env in enumerate(scalars)]
    assert np.array_equal(obs, np.stack(rows))
    rng = np.random.default_rng(0)
    done = np.zeros(n, dtype=bool)
    episodes = 0
    for _ in range(400):
        actions = rng.integers(0, params.spines, n)
        obs, reward, terminated, truncated, info = venv.step(actions)
        for i, env in enumerate(scalars):
            if done[i]:  # NEXT_STEP autoreset: this step only reset sub-env i
                row, _ = env.reset()
                assert reward[i] == 0.0
            else:
                row, r, term, trunc, scalar_info = env.step(int(actions[i]))
                assert reward[i] == r and terminated[i] == term and not trunc
                assert info["iteration_time"][i] == scalar_info["iteration_time"]
            assert np.array_equal(obs[i], row)
        episodes += int(terminated.sum())
        done = terminated | truncated
    assert episodes >= 3


@pytest.mark.parametrize("reward", ["sparse", "dense"])
@pytest.mark.parametrize("timing", ["analytic", "fluid"])
def test_return_is_minus_the_time_over_the_bound_minus_one(reward, timing):
    env = CollectivePathEnv(SMALL, reward=reward, timing=timing, collective="halving_doubling")
    rewards, info, _ = _play(env, seed=3)
    assert info["iteration_time"] >= info["lower_bound"]
    expected = -(info["iteration_time"] / info["lower_bound"] - 1)
    assert sum(rewards) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_dense_and_sparse_rewards_sum_to_the_same_return():
    sparse = CollectivePathEnv(SMALL, pieces=2, failed_links=1)
    dense = CollectivePathEnv(SMALL, pieces=2, failed_links=1, reward="dense")
    r_sparse, info, actions = _play(sparse, seed=5)
    r_dense, info_dense, _ = _play(dense, actions=actions, seed=5)
    assert sum(r_dense) == pytest.approx(sum(r_sparse), rel=1e-9)
    assert info_dense["iteration_time"] == info["iteration_time"]
    assert all(r == 0 for r in r_sparse[:-1])  # sparse: charged when the pattern completes
    assert any(r < 0 for r in r_dense[:-1])  # dense: charged as the congestion grows


def test_fluid_time_equals_analytic_time_on_a_ring():
    """Reference T4 through the env: one flow in and out per NIC in every ring step."""
    for pieces in (1, 4):
        analytic = CollectivePathEnv(SMALL, pieces=pieces)
        fluid = CollectivePathEnv(SMALL, pieces=pieces, timing="fluid")
        _, info, actions = _play(analytic, seed=2)
        _, info_fluid, _ = _play(fluid, actions=actions, seed=2)
        assert info_fluid["iteration_time"] == pytest.approx(info["iteration_time"], rel=1e-6)


def test_persistent_connections_are_decided_once():
    n = SMALL.n_nics
    persistent = CollectivePathEnv(SMALL, pieces=2)
    _, info, taken = _play(persistent, seed=1)
    cross = persistent.plan.flow_a != persistent.plan.flow_b  # one pattern: the ring step
    assert len(taken) == 2 * int(cross.sum()) and cross.size == n
    flowlet = CollectivePathEnv(SMALL, pieces=2, persistent=False)
    _, _, taken_all = _play(flowlet, seed=1)
    assert len(taken_all) == 2 * (n - 1) * len(taken)


def test_step_mode_matches_flow_mode_for_the_same_paths():
    flow = CollectivePathEnv(SMALL, pieces=2, collective="halving_doubling")
    step = CollectivePathEnv(SMALL, pieces=2, collective="halving_doubling", mode="step")
    _, info, actions = _play(flow, seed=4)
    step.reset(seed=4)
    plan = step.plan
    k, cursor, done = 2, 0, False
    while not done:
        flows = step.pattern_flows()
        action = np.zeros(step.action_space.shape, dtype=np.int64)
        for f in np.flatnonzero(flows["pending"]):
            for piece in range(k):
                action[f * k + piece] = actions[cursor]
                cursor += 1
        _, _, done, _, step_info = step.step(action)
    assert cursor == len(actions) == plan.n_decisions * k
    assert step_info["iteration_time"] == pytest.approx(info["iteration_time"], rel=1e-12)


def test_dead_paths_are_masked_and_rerouted():
    env = CollectivePathEnv(SMALL, failed_links=3, failure_factor=0.0)
    env.reset(seed=0)
    rerouted = 0
    for _ in range(200):
        view = env.piece()
        assert np.array_equal(env.action_masks(), view.alive)
        dead = np.flatnonzero(~view.alive)
        action = int(dead[0]) if len(dead) else 0
        _, _, done, _, info = env.step(action)
        rerouted += len(dead) > 0
        assert info["rerouted"] == rerouted
        if done:
            assert np.isfinite(info["iteration_time"])
            env.reset()
            rerouted = 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ranks": 17}, "needs at least 17 NICs"),
        ({"leaves": 0}, "leaves must be >= 1"),
        ({"nic_gbps": -400.0}, "nic_gbps must be > 0.0"),
        ({"oversubscription": 0.0}, "oversubscription must be >= 0.01"),
        ({"collective": "halving_doubling", "ranks": 12}, "power-of-two"),
        ({"collective": "ring"}, "collective must be one of"),
        ({"topology": "fat_tree", "fat_tree_k": 5}, "fat_tree_k must be even"),
        ({"topology": "rail_optimised", "servers": 6}, "multiple of hosts_per_leaf"),
        ({"failed_links": 4, "failure_factor": 0.0}, "cut a switch pair off"),
        ({"failed_links": 99}, "failed_links must be <= 16"),
        ({"pieces": 0}, "pieces must be >= 1"),
        ({"message_mib": float("nan")}, "message_mib must be finite"),
        ({"mode": "joint"}, "mode must be one of"),
    ],
)
def test_bad_params_are_clear_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        CollectivePathEnv(SMALL, **changes)


def test_bad_actions_are_clear_errors():
    env = CollectivePathEnv(SMALL)
    env.reset(seed=0)
    for action in (4, -1, 1.5, np.array([0, 1]), "a"):
        with pytest.raises(ValueError, match="CollectivePath"):
            env.step(action)
    step = CollectivePathEnv(SMALL, mode="step")
    step.reset(seed=0)
    with pytest.raises(ValueError, match="must have shape"):
        step.step(np.zeros(3, dtype=np.int64))
    venv = CollectivePathVectorEnv(num_envs=2, params=SMALL)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"in \[0, 4\)"):
        venv.step(np.array([0, 9]))


def test_memory_budget_refuses_a_huge_vector_env(monkeypatch):
    monkeypatch.setenv("NETGYM_MEMORY_BUDGET", "1MB")
    with pytest.raises(ValueError, match="memory budget"):
        CollectivePathVectorEnv(
            num_envs=64, params=CollectivePathParams(collective="alltoall_oneshot")
        )


@pytest.mark.parametrize("preset", ["fat_tree", "degraded"])
def test_other_fabrics_and_presets_play_whole_episodes(preset):
    changes = {"pieces": 2} if preset == "degraded" else {}
    env = CollectivePathEnv(preset, **changes)
    rewards, info, _ = _play(env, seed=0)
    assert info["iteration_time"] >= info["lower_bound"] > 0
    rail = CollectivePathEnv(topology="rail_optimised", rails=4, servers=8, hosts_per_leaf=4)
    assert _play(rail, seed=0)[1]["iteration_time"] > 0


def test_pettingzoo_env_passes_the_api_test_and_places_like_step_mode():
    parallel_api_test(parallel_env(params=SMALL), num_cycles=20)
    penv = parallel_env(params=SMALL, pieces=2)
    obs, infos = penv.reset(seed=7)
    assert len(obs) == 4 and all(penv.observation_space(a).contains(o) for a, o in obs.items())
    actions = {a: np.zeros(penv.slots, dtype=np.int64) for a in penv.agents}
    _, rewards, terms, _, infos = penv.step(actions)
    assert all(terms.values()) and len(set(rewards.values())) == 1
    step = CollectivePathEnv(SMALL, pieces=2, mode="step")
    step.reset(seed=7)
    _, reward, done, _, info = step.step(np.zeros(step.action_space.shape, dtype=np.int64))
    assert done and reward == pytest.approx(rewards["leaf_0"])
    assert info["iteration_time"] == infos["leaf_0"]["iteration_time"]


@pytest.mark.parametrize("mode", ["flow", "step"])
def test_every_baseline_plays_an_episode_and_never_beats_the_bound(mode):
    env = gym.make(ENV_ID, params=SMALL, pieces=2, failed_links=1, mode=mode)
    for name in BASELINES[ENV_ID]:
        rewards, info, _ = _play(env, policy=make_policy(ENV_ID, name, seed=1), seed=9)
        assert info["iteration_time"] >= info["lower_bound"] * (1 - 1e-12), name
        assert sum(rewards) <= 1e-12


def test_oracle_reaches_the_bound_on_a_healthy_non_blocking_fabric():
    env = gym.make(ENV_ID, params=SMALL)
    for seed in range(3):
        rewards, info, _ = _play(env, policy=make_policy(ENV_ID, "oracle"), seed=seed)
        assert sum(rewards) == pytest.approx(0.0, abs=1e-12)
        assert info["iteration_time"] == pytest.approx(info["spraying_time"])


def test_capacity_aware_greedy_beats_ecmp_on_the_default_ring():
    env = gym.make(ENV_ID)
    greedy = _play(env, policy=make_policy(ENV_ID, "greedy-cap"), seed=0)[0]
    ecmp = _play(env, policy=make_policy(ENV_ID, "ecmp"), seed=0)[0]
    assert sum(greedy) > sum(ecmp)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"failed_links": 3, "failure_factor": 0.0, "collective": "alltoall_pairwise"},
        {"failed_links": 5, "failure_scope": "switch", "collective": "double_binary_tree"},
        {"topology": "fat_tree", "collective": "halving_doubling", "failed_links": 4},
        {"collective": "permutation", "persistent": False, "failed_links": 2},
    ],
)
def test_compiled_pattern_costs_equal_the_numpy_cut_bound_and_spraying_cost(changes):
    """The plan's per-pattern costs (the ``pattern_costs`` kernel) are exactly the values of
    ``cost.step_lower_bound`` and ``cost.spraying_congestion`` of every pattern."""
    from netgym.envs.disttrain.collective.episode import Model, plan_episode
    from netgym.envs.disttrain.cost import spraying_congestion, step_lower_bound

    params = CollectivePathParams.small(**changes)
    model = Model.build(params)
    rng = np.random.default_rng(11)
    for _ in range(3):
        plan = plan_episode(model, rng)
        pats = plan.patterns
        for j in range(pats.count):
            s = plan.pattern_slice(j)
            src, dst, unit = pats.src[s], pats.dst[s], pats.unit[s]
            assert plan.lb_unit[j] == step_lower_bound(plan.fabric, src, dst, unit)
            assert plan.spray_unit[j] == spraying_congestion(plan.fabric, src, dst, unit)


def test_a_flow_cut_off_by_failures_is_a_clear_error():
    from netgym.envs.disttrain.collective.episode import Model, plan_episode

    model = Model.build(CollectivePathParams.small())
    kind = model.fabric.link_kind
    cut = model.fabric.with_factors(np.where(kind == 2, 0.0, 1.0))  # every leaf uplink failed
    broken = Model(**{**model.__dict__, "fabric": cut})
    with pytest.raises(ValueError, match=r"flow \d+ -> \d+ has no alive path between switches"):
        plan_episode(broken, np.random.default_rng(0))


@pytest.mark.parametrize("persistent", [True, False])
def test_compiled_connections_equal_numpy_unique(persistent):
    """Connection ids are ``numpy.unique``'s inverse, and a connection's first flow across
    switches is the one that needs decisions (the plan's layout before the kernel)."""
    from netgym.envs.disttrain.collective.kernels import connections

    rng = np.random.default_rng(5)
    for size in (1, 7, 64, 300):
        keys = rng.integers(0, 40, size)
        a, b = rng.integers(0, 3, size), rng.integers(0, 3, size)
        conn = np.empty(size, dtype=np.int64)
        needs = np.empty(size, dtype=bool)
        count = connections(keys, a, b, persistent, conn, needs)
        if persistent:
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            expected = (a != b) & (first[inverse] == np.arange(size))
        else:
            inverse, expected = np.arange(size), a != b
        assert np.array_equal(conn, inverse) and np.array_equal(needs, expected)
        assert count == inverse.max() + 1
