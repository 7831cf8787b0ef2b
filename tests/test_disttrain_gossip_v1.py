"""``netgym/AsyncGossip-v1``: v0's model through one compiled event loop. Its unit equals v0's
exact simulation of the same events, the scalar env is sub-env i of the vector env bit for bit
(autoresets included), episodes are deterministic, the params and their checks are v0's, the
reproduction (T2, T3) holds within v0's tolerances, and v0's baselines work and keep their
ordering."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.baselines import make_policy
from netgym.baselines.disttrain import BASELINES
from netgym.baselines.disttrain.gossip import BestConstant, ConstantRate
from netgym.envs.disttrain.gossip import v1kernels as kern
from netgym.envs.disttrain.gossip.dadao import DadaoSim, Events, Interval
from netgym.envs.disttrain.gossip.env import AsyncGossipEnv
from netgym.envs.disttrain.gossip.graphs import gossip_graph
from netgym.envs.disttrain.gossip.losses import Quadratic
from netgym.envs.disttrain.gossip.params import RHOS, AsyncGossipParams
from netgym.envs.disttrain.gossip.reproduce import (
    SCALING_GRAPHS,
    graph_scaling,
    kappa_scaling,
    run_to_target,
)
from netgym.envs.disttrain.gossip.v1env import AsyncGossipV1Env, AsyncGossipV1VectorEnv
from netgym.envs.disttrain.gossip.v1sim import EpisodeV1, GossipBatchV1
from test_disttrain_gossip_env import LIMITS

ID = "netgym/AsyncGossip-v1"
SMALL = AsyncGossipParams.small()


def _state(sim: GossipBatchV1, m: int) -> np.ndarray:
    """(n, 6, d) env ``m``'s six vectors (v0's ``STATE`` order) read off its modes."""
    u, fs = sim.modal[m], sim.fs[m]
    s, c, d, f, hy, hyt = (u[:, k] for k in range(6))
    nu, pf, pft = fs[kern.NU], fs[kern.PF], fs[kern.PFT]
    base = -(nu * s + c)
    parts = [s + d, s - d, base + nu * d + pf * f + hy, base + pft * f + hyt]
    return np.stack([*parts, c + 2 / 3 * f, c - f / 3], axis=1)


def _events(sim: GossipBatchV1, m: int, rate: float) -> Events:
    """The events env ``m``'s next unit will run (uniform edges of the graph in force, the
    budget's drops), replayed in Python from its keys and counters with the kernel's own
    generator."""
    n, fs = sim.params.nodes, sim.fs[m]
    keys = int(sim.ints[m, kern.KEY_GAP]), int(sim.ints[m, kern.KEY_PICK])
    counters = [int(sim.ints[m, kern.CTR_GAP]), int(sim.ints[m, kern.CTR_PICK])]
    start, total, tau = float(sim.ints[m, kern.T]), n + rate, 0.0
    budget, unit = sim.params.budget, fs[kern.GRATE]
    left = math.inf if budget is None else max(budget * unit - fs[kern.COST] * unit, 0.0)
    graphs, period = sim.ecount.shape[1], fs[kern.PERIOD]
    grads, nodes, gossips, pairs, spent, exhausted = [], [], [], [], 0.0, False
    while True:
        tau += -math.log(1.0 - kern.uniform(keys[0], counters[0])) / total
        counters[0] += 1
        if tau >= 1.0:
            break
        v = kern.uniform(keys[1], counters[1]) * total
        counters[1] += 1
        if v < n:
            grads.append(start + tau)
            nodes.append(min(int(v), n - 1))
            continue
        g = int((start + tau) // period) % graphs if graphs > 1 else 0
        count = int(sim.ecount[m, g])
        e = min(int((v - n) / rate * count), count - 1)
        cost = sim.ecost[m, g, e]
        if exhausted or not spent + cost <= left + 1e-12:
            exhausted = True
            continue
        spent += cost
        gossips.append(start + tau)
        pairs.append(sim.edges[m, g, e])
    return Events(
        np.array(grads),
        np.array(nodes, dtype=np.int64),
        np.array(gossips),
        np.array(pairs, dtype=np.int64).reshape(-1, 2),
        Interval(),
    )


EXACT_CASES = {
    "quadratic": SMALL.replace(kappa=30.0),
    "logistic": SMALL.replace(loss="logistic", kappa=30.0),
    "wireless": AsyncGossipParams.wireless(nodes=9, horizon=20, budget=4.0),
}


@pytest.mark.parametrize("case", sorted(EXACT_CASES))
def test_a_v1_unit_equals_v0s_exact_simulation_of_the_same_events(case: str) -> None:
    """Quadratic and logistic losses; time-varying graphs with distance costs and a budget
    that runs out (the replay drops the gossips past it, as the kernel does)."""
    sim = GossipBatchV1(EXACT_CASES[case], 1)
    sim.reset(slice(None), [np.random.default_rng(4)], {})
    ep = sim.episodes[0]
    rngs = np.random.default_rng(0), np.random.default_rng(1)
    exact = DadaoSim(ep.loss, list(ep.graph.graphs), ep.graph.period, ep.x0, *rngs)
    assert np.allclose(_state(sim, 0), exact.state, rtol=0, atol=1e-14)
    total = 0
    for step, index in enumerate([2, 3, 4, 2, 1, 2, 3, 0, 2, 2]):
        rate = RHOS[index] * ep.graph.rate
        events = _events(sim, 0, rate)
        total += len(events.grad_times) + len(events.gossip_times)
        exact.run(events, float(step + 1), exact.const.beta_tilde(ep.graph.chi1 / rate))
        sim.step(slice(None), np.array([index]), [])
        assert int(sim.ints[0, kern.GOSSIPS]) + int(sim.ints[0, kern.GRADS]) == total
        scale = np.abs(exact.state).max()
        assert np.abs(_state(sim, 0) - exact.state).max() <= 1e-12 * scale, step
        assert sim.error[0] == pytest.approx(exact.error(), rel=1e-12)
    assert total > 100
    if case == "wireless":
        assert int(sim.ints[0, kern.DROPPED]) > 0 and len(ep.graph.graphs) > 1


def _rollout_pairs(params: AsyncGossipParams, actions: np.ndarray, mode: str, seed: int = 7):
    """Steps of the vector env and of scalar envs seeded seed + i, compared bit for bit (the
    scalar env resets where the vector env autoresets)."""
    b = actions.shape[1]
    vec = AsyncGossipV1VectorEnv(b, params, autoreset_mode=mode)
    scalars = [AsyncGossipV1Env(params) for _ in range(b)]
    obs, info = vec.reset(seed=seed)
    for i, env in enumerate(scalars):
        o, inf = env.reset(seed=seed + i)
        assert np.array_equal(o, obs[i]) and inf == {k: info[k][i].item() for k in inf}
    done = np.zeros(b, dtype=bool)
    ends = 0
    for row in actions:
        obs, rew, term, trunc, info = vec.step(row)
        for i, env in enumerate(scalars):
            if mode == "NextStep" and done[i]:
                o, inf = env.reset()
                assert np.array_equal(o, obs[i]) and rew[i] == 0.0
                assert inf == {k: info[k][i].item() for k in inf}
                continue
            o, r, te, tr, inf = env.step(row[i].item() if row.ndim == 1 else row[i])
            if mode == "SameStep" and (te or tr):
                assert np.array_equal(o, info["final_obs"][i])
                assert inf == {k: info["final_info"][k][i].item() for k in inf if k[0] != "_"}
                o, inf = env.reset()
            assert np.array_equal(o, obs[i]) and r == rew[i] and (te, tr) == (term[i], trunc[i])
            assert inf == {k: info[k][i].item() for k in inf}
        done = term | trunc
        ends += int(done.sum())
    return ends


@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
@pytest.mark.parametrize("preset", ["small", "time_varying", "wireless"])
def test_scalar_env_equals_vector_sub_env_bit_for_bit_with_autoresets(preset: str, mode: str):
    changes = {"horizon": 6, "nodes": 9} if preset != "small" else {"horizon": 6}
    params = AsyncGossipParams.preset(preset, **changes)
    actions = np.random.default_rng(1).integers(0, 5, (20, 3))
    assert _rollout_pairs(params, actions, mode) >= 6


def test_scalar_env_equals_vector_sub_env_in_the_edges_mode() -> None:
    params = AsyncGossipParams.edges_preset(nodes=8, horizon=4)
    edges = AsyncGossipV1Env(params).action_space.shape[0]
    actions = np.random.default_rng(2).random((9, 2, edges)).astype(np.float32)
    assert _rollout_pairs(params, actions, "NextStep") >= 2


def test_same_seed_same_trajectory_other_seed_differs_and_the_problem_is_v0s() -> None:
    def run(seed: int) -> list:
        env = AsyncGossipV1Env(SMALL)
        out = [env.reset(seed=seed)[0]]
        for index in [2, 3, 1, 4, 2, 2, 3]:
            out.extend(env.step(index)[:2])
        return out

    a, b, c = run(3), run(3), run(4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    v0, v1 = AsyncGossipEnv(SMALL), AsyncGossipV1Env(SMALL)
    obs0, _ = v0.reset(seed=3)
    obs1, _ = v1.reset(seed=3)
    assert np.array_equal(v0.episode.x0, v1.episode.x0)
    assert np.array_equal(v0.episode.loss.x_star, v1.episode.loss.x_star)
    assert np.array_equal(obs0, obs1)  # the same problem: the same first observation
    assert v0.np_random.random() == v1.np_random.random()  # and the same draws consumed


@pytest.mark.parametrize("preset", ["default", "small", "time_varying", "wireless", "edges"])
def test_v1_passes_the_gymnasium_checker(preset: str) -> None:
    changes = {"horizon": 5, "nodes": 9} if preset in ("time_varying", "wireless") else {}
    check_env(AsyncGossipV1Env(AsyncGossipParams.preset(preset, **changes)), skip_render_check=True)


def test_v1_takes_v0s_params_class_presets_and_errors() -> None:
    env = gym.make(ID, params="small", kappa=100.0)
    assert env.unwrapped.params == SMALL.replace(kappa=100.0)
    assert AsyncGossipV1Env.params_class is AsyncGossipEnv.params_class
    assert env.action_space == gym.spaces.Discrete(5)
    assert env.observation_space == gym.make("netgym/AsyncGossip-v0").observation_space
    with pytest.raises(ValueError, match="nodes.*square"):
        gym.make(ID, graph="grid", nodes=12)
    with pytest.raises(ValueError, match="action_mode.*fixed graph"):
        gym.make_vec(ID, num_envs=2, action_mode="edges", graph="random_geometric")
    with pytest.raises(ValueError, match="outside the menu"):
        env.reset(seed=0)
        env.step(5)


def test_the_clocks_fire_n_gradients_and_the_gossip_rate_per_unit_on_average() -> None:
    env = AsyncGossipV1Env(SMALL.replace(horizon=400, target=1e-14))
    env.reset(seed=0)
    for _ in range(400):
        _, _, done, cut, info = env.step(3)
        if done or cut:
            break
    t, rate = info["iteration_time"], 2.0 * env.episode.graph.rate
    assert abs(info["gradients"] - 8 * t) < 4 * math.sqrt(8 * t)
    assert abs(info["gossips"] - rate * t) < 4 * math.sqrt(rate * t)


def test_counter_generator_is_uniform_and_keyed() -> None:
    u = np.array([kern.uniform(12345, k) for k in range(20_000)])
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 1800
    assert kern.uniform(12346, 0) != kern.uniform(12345, 0)


def test_budget_rewards_and_divergence_follow_v0s_accounting() -> None:
    env = AsyncGossipV1Env(SMALL.replace(budget=3.0, edge_cost="distance", cost_weight=0.05))
    env.reset(seed=2)
    err0, total = env.sim.fs[0, kern.ERR0], 0.0
    for _ in range(40):
        _, reward, done, cut, info = env.step(4)
        total += reward
        if done or cut:
            break
    assert info["communication_cost"] <= 3.0 + 1e-9 and info["dropped_gossips"] > 0
    expected = math.log(err0 / info["error"]) - 0.05 * info["communication_cost"]
    assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)
    slow = AsyncGossipV1Env(AsyncGossipParams(horizon=100))
    slow.reset(seed=0)
    for _ in range(100):
        _, reward, done, cut, info = slow.step(0)
        assert math.isfinite(reward)
        if done or cut:
            break
    assert info["diverged"] and info["step"] < 100
    assert slow.observation_space.contains(slow.sim.observation()[0])


@pytest.mark.parametrize("changes", LIMITS)
def test_v1_parameters_at_their_limits_keep_observations_in_the_space(changes: dict) -> None:
    """v0's limit cases (``test_disttrain_gossip_env.LIMITS``) on v1, autoresets included."""
    changes = dict(changes)
    env = AsyncGossipV1Env(SMALL.replace(horizon=changes.pop("horizon", 8), **changes))
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    rng = np.random.default_rng(0)
    for _ in range(10):
        obs, reward, done, trunc, info = env.step(int(rng.integers(5)))
        assert env.observation_space.contains(obs), obs
        assert math.isfinite(reward)
        assert all(math.isfinite(float(v)) for v in info.values())
        if done or trunc:
            obs, info = env.reset()


# ------------------------------------------------------------- reproduction (v0's tolerances)
def test_v1_t2_gradients_to_1e_6_grow_like_sqrt_kappa() -> None:
    grads, slope = kappa_scaling(seeds=(0,), version=1)
    assert grads[0] < grads[1] < grads[2]
    assert slope == pytest.approx(0.5, abs=0.1)


def test_v1_t3_communications_grow_like_sqrt_chi1_chi2_across_graph_families() -> None:
    roots, comms, slope = graph_scaling(seeds=(0,), version=1)
    assert len(roots) == len(comms) == len(SCALING_GRAPHS)
    assert slope == pytest.approx(1.0, abs=0.2)


def test_v1_dadao_reaches_1e_6_on_every_graph_family_with_n_gradients_per_unit() -> None:
    for kind, n in SCALING_GRAPHS[:3]:
        run = run_to_target(kind, n, 10.0, seed=2, max_time=2000, version=1)
        assert run.reached
        assert run.gradients == pytest.approx(n * run.time, rel=0.1)
        assert run.gossips == pytest.approx(run.rate * run.time, rel=0.1)


def test_v1_dadao_converges_linearly_on_the_reference_cycle() -> None:
    """v0's check of the reference's run (``test_disttrain_gossip_sim.py``) on the v1 sim:
    cycle of 16, 5-dim quadratics, kappa 10, DADAO's rate for 300 units."""
    g = gossip_graph("cycle", 16, np.random.default_rng(0))
    loss = Quadratic.draw(16, 5, 10.0, np.random.default_rng(0))
    params = AsyncGossipParams(horizon=1000, target=1e-14)
    sim = GossipBatchV1(params, 1)
    x0 = np.random.default_rng(7).standard_normal((16, 5))
    sim.start(0, EpisodeV1(params, g, loss, np.ones((1, 16, 16)), x0, (7, 8)))
    errors = []
    for _ in range(300):
        sim.step(slice(None), np.array([RHOS.index(1.0)]), [])
        errors.append(float(sim.error[0]))
    e = np.array(errors)
    slope = np.polyfit(np.arange(100, 300), np.log(e[99:299]), 1)[0]
    assert e[-1] < 1e-4 * e[0]
    assert -0.1 < slope < -0.03  # the reference's run: ln(9e-2 / 1.3e-6) / 215 = 0.052
    assert np.all(e[150::30] < e[120:-30:30])


# ------------------------------------------------------------------------------- baselines
def _return(env, policy, seed: int) -> float:
    obs, info = env.reset(seed=seed)
    policy.reset(env)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        total += reward
        if terminated or truncated:
            return total


@pytest.mark.parametrize("preset", ["small", "edges"])
def test_every_v0_baseline_is_registered_for_v1_and_plays_whole_episodes(preset: str) -> None:
    assert set(BASELINES[ID]) == set(BASELINES["netgym/AsyncGossip-v0"])
    for name in sorted(BASELINES[ID]):
        env = AsyncGossipV1Env(AsyncGossipParams.preset(preset, horizon=6))
        assert np.isfinite(_return(env, make_policy(ID, name, seed=0), 0)), name


def test_v1_best_constant_is_the_argmax_and_leaves_the_env_untouched() -> None:
    params = SMALL.replace(horizon=30)
    env = AsyncGossipV1Env(params)
    env.reset(seed=1)
    before = env.sim.modal.copy(), env.sim.ints.copy()
    oracle = BestConstant()
    oracle.reset(env)
    assert np.array_equal(env.sim.modal, before[0]) and np.array_equal(env.sim.ints, before[1])
    assert oracle.index == int(np.argmax(oracle.returns))
    for index in range(len(RHOS)):
        got = _return(AsyncGossipV1Env(params), ConstantRate(index, "c"), 1)
        assert got == oracle.returns[index]


def test_v1_keeps_the_baselines_ordering_of_v0s_async_gossip_table() -> None:
    """On the default problem (cycle of 16, kappa 10, 200 units; docs/disttrain.md's table:
    best-constant = dadao > double-rate = consensus-feedback > half-rate > random)."""
    seeds = range(4)
    means = {
        name: np.mean([_return(gym.make(ID).unwrapped, make_policy(ID, name, s), s) for s in seeds])
        for name in ("best-constant", "dadao", "double-rate", "consensus-feedback", "half-rate")
    }
    means["random"] = np.mean(
        [_return(gym.make(ID).unwrapped, make_policy(ID, "random", s), s) for s in seeds]
    )
    assert means["best-constant"] >= means["dadao"] - 1e-9
    assert means["dadao"] > means["double-rate"] > means["half-rate"]
    assert means["consensus-feedback"] > means["half-rate"] and means["half-rate"] < 0
    assert means["dadao"] > means["random"] and means["random"] < 0


def test_v1_resistance_edges_beats_uniform_edges_on_the_barbell_with_distance_costs() -> None:
    params = AsyncGossipParams.edges_preset(horizon=60)
    uniform = np.mean(
        [_return(AsyncGossipV1Env(params), make_policy(ID, "dadao"), s) for s in (0, 1)]
    )
    weighted = np.mean(
        [_return(AsyncGossipV1Env(params), make_policy(ID, "resistance-edges"), s) for s in (0, 1)]
    )
    assert weighted > uniform


# ------------------------------------------------------------------------------ PettingZoo
def test_v1_parallel_env_passes_the_api_test_and_replays_the_central_env() -> None:
    from netgym.envs.disttrain.async_gossip_v1 import parallel_env
    from pettingzoo.test import parallel_api_test

    parallel_api_test(parallel_env(params="small"), num_cycles=10)
    penv = parallel_env(params="small")
    penv.reset(seed=3)
    env = AsyncGossipV1Env(SMALL)
    obs, _ = env.reset(seed=3)
    assert np.array_equal(penv.state(), obs)
    for index in (2, 3, 2, 4):
        _, rewards, _, _, infos = penv.step(dict.fromkeys(penv.agents, index))
        obs, reward, *_ = env.step(index)
        assert np.array_equal(penv.state(), obs)
        assert set(rewards.values()) == {reward}
        assert infos["node_0"]["rho"] == RHOS[index]
    with pytest.raises(ValueError, match="fixed graph"):
        parallel_env(params="time_varying")


def test_each_v1_kernel_compiles_one_signature_and_no_fused_multiply_add(tmp_path) -> None:
    """In a fresh process with an empty ``NUMBA_CACHE_DIR`` (as CI's clone): both losses, both
    action modes and the time-varying graphs use one signature per kernel, and the machine code
    has no fused multiply-add (no fastmath: each product is rounded, on every CPU)."""
    code = textwrap.dedent(
        """
        import json
        import re
        from netgym.envs.core.compiled import kernel_report
        from netgym.envs.disttrain.gossip.params import AsyncGossipParams
        from netgym.envs.disttrain.gossip.v1env import AsyncGossipV1VectorEnv

        for preset in ("small", "edges", "wireless"):
            env = AsyncGossipV1VectorEnv(2, AsyncGossipParams.preset(preset, horizon=3, nodes=8))
            env.reset(seed=0)
            for _ in range(4):
                env.step(env.action_space.sample())
        from netgym.envs.disttrain.gossip import v1kernels

        fused = {
            name: len(re.findall(r"\\b(v?fn?m(add|sub)|fml[as])", "".join(
                getattr(v1kernels, name).inspect_asm().values()
            )))
            for name in ("step_envs", "init_envs", "measure", "account", "logistic_grad")
        }
        print(json.dumps({"report": kernel_report(), "fused": fused}))
        """
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    report = result["report"]
    assert result["fused"] == dict.fromkeys(result["fused"], 0)
    names = [name for name in report if name.startswith("netgym.envs.disttrain.gossip.v1")]
    assert "netgym.envs.disttrain.gossip.v1kernels.step_envs" in names
    for name in names:
        assert report[name]["cache_misses"] >= 1, name  # compiled here, not loaded
        assert len(report[name]["signatures"]) == 1, (name, report[name]["signatures"])
