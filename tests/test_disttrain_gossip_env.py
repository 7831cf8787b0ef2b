"""``netgym/AsyncGossip-v0``: the Gymnasium API, determinism, the vector env, the reward's
accounting, the budget, divergence, bad input and parameter limits (the simulator itself is
tested in ``test_disttrain_gossip_sim.py``)."""

from __future__ import annotations

import math

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from netgym.envs.disttrain.gossip.dadao import DadaoSim
from netgym.envs.disttrain.gossip.env import AsyncGossipEnv, AsyncGossipVectorEnv
from netgym.envs.disttrain.gossip.graphs import GRAPHS, build_graph
from netgym.envs.disttrain.gossip.losses import draw_loss
from netgym.envs.disttrain.gossip.params import AsyncGossipParams

SMALL = AsyncGossipParams.small()


def _episode(env, actions, seed: int = 0) -> tuple[list, list, dict]:
    obs, info = env.reset(seed=seed)
    observations, rewards = [obs], []
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        if terminated or truncated:
            break
    return observations, rewards, info


@pytest.mark.parametrize("preset", ["default", "small", "time_varying", "wireless", "edges"])
def test_env_passes_the_gymnasium_checker(preset: str) -> None:
    changes = {"horizon": 5, "nodes": 9} if preset in ("time_varying", "wireless") else {}
    env = AsyncGossipEnv(AsyncGossipParams.preset(preset, **changes))
    check_env(env, skip_render_check=True)


def test_gym_make_registers_the_id_with_params_and_overrides() -> None:
    env = gym.make("netgym/AsyncGossip-v0", params="small", kappa=100.0)
    assert env.unwrapped.params == SMALL.replace(kappa=100.0)
    assert env.action_space == gym.spaces.Discrete(5)


def test_same_seed_same_trajectory_and_other_seed_differs() -> None:
    actions = [2, 3, 1, 4, 2, 2, 3]
    a = _episode(AsyncGossipEnv(SMALL), actions, seed=3)
    b = _episode(AsyncGossipEnv(SMALL), actions, seed=3)
    c = _episode(AsyncGossipEnv(SMALL), actions, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0], strict=True))
    assert a[1] == b[1] and a[2] == b[2]
    assert a[1] != c[1]


def test_problem_seed_fixes_the_problem_across_resets() -> None:
    env = AsyncGossipEnv(SMALL.replace(problem_seed=11))
    env.reset(seed=0)
    first = env.episode.loss.x_star.copy()
    env.reset(seed=1)
    assert np.array_equal(first, env.episode.loss.x_star)
    free = AsyncGossipEnv(SMALL)
    free.reset(seed=0)
    x0 = free.episode.loss.x_star.copy()
    free.reset(seed=1)
    assert not np.array_equal(x0, free.episode.loss.x_star)


def test_vector_env_sub_env_i_equals_the_scalar_env_seeded_seed_plus_i() -> None:
    vec = AsyncGossipVectorEnv(3, SMALL)
    obs, _ = vec.reset(seed=5)
    scalars = [AsyncGossipEnv(SMALL) for _ in range(3)]
    for i, env in enumerate(scalars):
        o, _ = env.reset(seed=5 + i)
        assert np.array_equal(o, obs[i])
    for step in range(6):
        acts = np.array([2, 3, (step % 3) + 2])
        obs, rew, term, trunc, _ = vec.step(acts)
        for i, env in enumerate(scalars):
            o, r, te, tr, _ = env.step(int(acts[i]))
            assert np.array_equal(o, obs[i]) and r == rew[i] and (te, tr) == (term[i], trunc[i])


def test_rewards_sum_to_the_log_error_drop_minus_the_charged_cost() -> None:
    env = AsyncGossipEnv(SMALL.replace(cost_weight=0.05, edge_cost="random"))
    env.reset(seed=2)
    err0 = env.sim.episodes[0].err0
    total = 0.0
    for _ in range(15):
        _, reward, _, _, info = env.step(3)
        total += reward
    expected = math.log(err0 / info["error"]) - 0.05 * info["communication_cost"]
    assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert info["gossips"] > 0 and info["gradients"] > 0
    assert info["lower_bound"] == 0.0 and 0 < info["theory_time"] < info["iteration_time"]


def test_the_episode_truncates_at_the_horizon_or_terminates_at_the_target() -> None:
    env = AsyncGossipEnv(SMALL.replace(horizon=7))
    _, rewards, info = _episode(env, [2] * 50)
    assert len(rewards) == 7 and info["iteration_time"] == 7.0
    easy = AsyncGossipEnv(SMALL.replace(target=0.5, horizon=500))
    _, rewards, info = _episode(easy, [2] * 500)
    assert len(rewards) < 500 and not info["diverged"]
    assert info["error"] <= 0.5 * easy.sim.episodes[0].err0


def test_the_budget_caps_the_communication_cost_and_drops_gossips() -> None:
    env = AsyncGossipEnv(SMALL.replace(budget=3.0, edge_cost="distance"))
    _, _, info = _episode(env, [4] * 40)
    assert info["communication_cost"] <= 3.0 + 1e-9
    assert info["dropped_gossips"] > 0
    obs = env.sim.observation()[0]
    assert obs[4] == pytest.approx(max(1 - info["communication_cost"] / 3.0, 0.0), abs=1e-6)


def test_too_little_gossip_diverges_and_terminates_with_finite_numbers() -> None:
    env = AsyncGossipEnv(AsyncGossipParams(horizon=100))
    _, rewards, info = _episode(env, [0] * 100)
    assert info["diverged"] and len(rewards) < 100
    assert all(math.isfinite(r) for r in rewards)
    assert env.observation_space.contains(env.sim.observation()[0])


def test_edge_weights_set_the_rate_from_the_implied_laplacian() -> None:
    params = AsyncGossipParams.edges_preset(nodes=8, horizon=5)
    env = AsyncGossipEnv(params)
    env.reset(seed=0)
    edges = build_graph("barbell", 8)
    _, _, _, _, info = env.step(np.ones(len(edges), dtype=np.float32))
    assert info["rate"] == pytest.approx(1.0)
    bridge = np.full(len(edges), 0.05, dtype=np.float32)
    bridge[np.argmax((edges[:, 0] < 4) & (edges[:, 1] >= 4))] = 1.0
    _, _, _, _, info = env.step(bridge)
    assert info["rate"] != pytest.approx(1.0)


@pytest.mark.parametrize(
    ("action", "match"),
    [(5, "outside the menu"), (-1, "outside the menu"), (1.5, "integer"), ([1, 2], "shape")],
)
def test_bad_intensity_actions_are_errors_naming_the_menu(action, match: str) -> None:
    env = AsyncGossipEnv(SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(action)


def test_bad_edge_weights_are_errors_naming_the_range() -> None:
    env = AsyncGossipEnv(AsyncGossipParams.edges_preset(nodes=8, horizon=5))
    env.reset(seed=0)
    m = len(build_graph("barbell", 8))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.ones(m + 1))
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        env.step(np.full(m, 2.0))
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        env.step(np.full(m, np.nan))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"nodes": 65}, "nodes"),
        ({"graph": "grid", "nodes": 12}, "nodes.*square"),
        ({"graph": "barbell", "nodes": 9}, "nodes.*even"),
        ({"graph": "torus"}, "graph"),
        ({"loss": "hinge"}, "loss"),
        ({"kappa": 1.0}, "kappa"),
        ({"dim": 11}, "dim"),
        ({"action_mode": "edges", "graph": "random_geometric"}, "action_mode.*fixed graph"),
        ({"budget": -1.0}, "budget"),
        ({"target": 0.0}, "target"),
        ({"edge_cost": "hops"}, "edge_cost"),
    ],
)
def test_bad_parameters_are_errors_naming_the_field(changes: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        AsyncGossipParams(**changes)


LIMITS = [
    {"graph": "path", "nodes": 2, "dim": 1},
    {"graph": "complete", "nodes": 64, "dim": 2, "horizon": 3},
    {"graph": "star", "nodes": 64, "dim": 10, "horizon": 3, "loss": "logistic"},
    {"kappa": 1e4, "loss": "logistic"},
    {"kappa": 2.0, "cost_weight": 100.0},
    {"graph": "random_geometric", "nodes": 64, "radius": 0.01, "graph_count": 2, "horizon": 3},
    {"graph": "random_geometric", "nodes": 5, "radius": 1.5, "graph_count": 3},
    {"budget": 0.0, "edge_cost": "random"},
    {"target": 0.999},
]


@pytest.mark.parametrize("changes", LIMITS)
def test_parameters_at_their_limits_keep_observations_in_the_space(changes: dict) -> None:
    env = AsyncGossipEnv(SMALL.replace(horizon=changes.pop("horizon", 8), **changes))
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    rng = np.random.default_rng(0)
    for _ in range(10):
        obs, reward, done, trunc, info = env.step(int(rng.integers(5)))
        assert env.observation_space.contains(obs), obs
        assert math.isfinite(reward)
        assert all(math.isfinite(float(v)) for v in info.values())
        if done or trunc:
            assert info["iteration_time"] >= info["lower_bound"] * (1 - 1e-12)
            obs, info = env.reset()


@settings(max_examples=25, deadline=None)
@given(
    graph=st.sampled_from([g for g in GRAPHS if g not in ("random_geometric", "grid")]),
    n=st.sampled_from([4, 6, 8]),
    seed=st.integers(0, 10_000),
    beta_tilde=st.floats(0.01, 10.0),
)
def test_every_gossip_event_preserves_the_sums_of_z_z_tilde_and_y_plus_z(
    graph: str, n: int, seed: int, beta_tilde: float
) -> None:
    edges = build_graph(graph, n)
    rng = np.random.default_rng(seed)
    loss = draw_loss("quadratic", n, 2, 10.0, rng)
    sim = DadaoSim(loss, [edges], math.inf, rng.standard_normal((n, 2)), rng, rng)
    sim.advance(1.5, 5.0, beta_tilde)
    for i, j in edges[rng.integers(0, len(edges), 5)]:
        before = sim.state
        sim.gossip(int(i), int(j), beta_tilde)
        after = sim.state
        for a, b in ((before[:, 4], after[:, 4]), (before[:, 5], after[:, 5])):
            assert np.allclose(a.sum(0), b.sum(0), atol=1e-9 * (1 + np.abs(a).max()))
        yz_a, yz_b = before[:, 2] + before[:, 4], after[:, 2] + after[:, 4]
        assert np.allclose(yz_a.sum(0), yz_b.sum(0), atol=1e-9 * (1 + np.abs(yz_a).max()))
        assert np.allclose(yz_b[i], yz_b[j], atol=1e-9 * (1 + np.abs(yz_a).max()))


# ---------------------------------------------------------------- PettingZoo: one agent per node
def test_parallel_env_passes_the_pettingzoo_api_test() -> None:
    from netgym.envs.disttrain.async_gossip_v0 import parallel_env
    from pettingzoo.test import parallel_api_test

    parallel_api_test(parallel_env(params="small"), num_cycles=10)


def test_equal_node_choices_replay_the_central_intensity_env_exactly() -> None:
    from netgym.envs.disttrain.async_gossip_v0 import parallel_env

    penv = parallel_env(params="small")
    observations, _ = penv.reset(seed=3)
    env = AsyncGossipEnv(SMALL)
    obs, _ = env.reset(seed=3)
    assert np.array_equal(penv.state(), obs)
    for index in (2, 3, 2, 4):
        observations, rewards, _, _, infos = penv.step(dict.fromkeys(penv.agents, index))
        obs, reward, *_ = env.step(index)
        assert np.array_equal(penv.state(), obs)
        assert set(rewards.values()) == {reward}
        assert infos["node_0"]["rho"] == [0.25, 0.5, 1.0, 2.0, 4.0][index]


def test_per_node_rates_weight_the_edges_of_busier_nodes() -> None:
    from netgym.envs.disttrain.async_gossip_v0 import parallel_env

    penv = parallel_env(params="small")
    penv.reset(seed=0)
    rhos = np.array([4.0] + [1.0] * 7)
    rate, _, probs = penv.sim.node_clock(0, rhos)
    edges = penv.sim.episodes[0].graph.graphs[0]
    touches = (edges == 0).any(axis=1)
    assert np.all(probs[touches] > probs[~touches].max())
    assert rate == pytest.approx(penv.sim.episodes[0].graph.rate * (1 + 2 * 1.5 / 8))


def test_parallel_env_errors_name_the_agent_and_the_fixed_graph_rule() -> None:
    from netgym.envs.disttrain.async_gossip_v0 import parallel_env

    penv = parallel_env(params="small")
    penv.reset(seed=0)
    actions = dict.fromkeys(penv.agents, 2)
    actions["node_3"] = 7
    with pytest.raises(ValueError, match="node_3.*outside the menu"):
        penv.step(actions)
    with pytest.raises(ValueError, match="fixed graph"):
        parallel_env(params="time_varying")
