"""``netgym/RepeaterChain-v0`` and ``repeater_chain_v0``: API checkers, scalar == vector
trajectories, the invariants of reference/quantum.md 6.3, reward modes and bad input."""

from __future__ import annotations

import warnings

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from netgym.baselines.quantum.chain import random_actions, swap_asap_actions
from netgym.envs.quantum import ChainParams, ChainSim, physics, repeater_chain_v0
from netgym.envs.quantum.chain.env import RepeaterChainEnv, RepeaterChainVectorEnv
from pettingzoo.test import parallel_api_test, parallel_seed_test

CHAIN = "netgym/RepeaterChain-v0"
CONFIGS = [
    {},
    {"params": "nv2019", "n_nodes": 4, "max_steps": 60},
    {"params": "starlight", "max_steps": 60},
    {"n_nodes": 5, "p_gen": 0.3, "cutoff": 2, "obs_mode": "tabular"},
    {"params": "ion_dual_species", "n_nodes": 4, "max_steps": 60},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_gymnasium_checker_passes(kwargs: dict) -> None:
    env = gym.make(CHAIN, **kwargs)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_sb3_checker_passes(kwargs: dict) -> None:
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    env = gym.make(CHAIN, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "unconventional shape" warning either
        sb3_checker.check_env(env.unwrapped)


def test_pettingzoo_api_and_seed_tests_pass() -> None:
    parallel_api_test(repeater_chain_v0.parallel_env(n_nodes=4, max_steps=40), num_cycles=120)
    parallel_api_test(repeater_chain_v0.parallel_env(params="nv2019", max_steps=40), num_cycles=60)
    parallel_seed_test(lambda: repeater_chain_v0.parallel_env(n_nodes=4, max_steps=40))


def test_make_vec_uses_native_vector_env() -> None:
    vec = gym.make_vec(CHAIN, num_envs=3, params="nv2019")
    assert isinstance(vec, RepeaterChainVectorEnv)
    obs, info = vec.reset(seed=0)
    assert obs["link_exists"].shape == (3, 2 * 3)
    assert info["_step"].all()


@pytest.mark.parametrize(
    "kwargs",
    [{"params": "nv2019", "n_nodes": 4, "max_steps": 25}, {"n_nodes": 4, "p_gen": 0.6}],
)
def test_vector_env_matches_scalar_envs(kwargs: dict) -> None:
    num = 3
    vec = RepeaterChainVectorEnv(num, **kwargs)
    scalars = [RepeaterChainEnv(**kwargs) for _ in range(num)]
    obs_v, _ = vec.reset(seed=7)
    obs_s = [env.reset(seed=7 + i)[0] for i, env in enumerate(scalars)]
    chooser = np.random.default_rng(0)
    prev_done = np.zeros(num, dtype=bool)
    episodes = 0
    for _ in range(150):
        for i in range(num):
            for key in obs_v:
                np.testing.assert_array_equal(obs_v[key][i], obs_s[i][key])
        actions = random_actions(vec.sim, chooser)
        obs_v, rew_v, term_v, trunc_v, _ = vec.step(actions)
        for i, env in enumerate(scalars):
            if prev_done[i]:
                obs_s[i], _ = env.reset()
                assert rew_v[i] == 0.0 and not term_v[i] and not trunc_v[i]
                continue
            obs_s[i], rew, term, trunc, _ = env.step(actions[i])
            assert (rew, term, trunc) == (rew_v[i], term_v[i], trunc_v[i])
        prev_done = term_v | trunc_v
        episodes += int(prev_done.sum())
    assert episodes > 0


def test_same_seed_same_trajectory_and_different_seed_differs() -> None:
    def run(seed: int) -> list:
        env = RepeaterChainEnv(params="nv2019", max_steps=80)
        env.reset(seed=seed)
        chooser = np.random.default_rng(1)
        out = []
        for _ in range(80):
            obs, reward, *_ = env.step(random_actions(env.sim, chooser)[0])
            out.append((obs["link_fid"].copy(), reward))
        return out

    a, b, c = run(3), run(3), run(4)
    assert all(np.array_equal(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b, strict=True))
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c, strict=True))


def _check_invariants(sim: ChainSim, cutoff: int | None) -> None:
    exists = sim.right >= 0
    n = sim.n_nodes
    rows, ends, lanes = np.nonzero(exists)
    partners = sim.right[rows, ends, lanes]
    # every link is recorded at both ends, left of its right end: no qubit in two links
    assert np.all(partners > ends)
    assert np.all(sim.left[rows, partners, lanes] == ends)
    assert (sim.left >= 0).sum() == exists.sum()
    bds = sim.bds[exists]
    assert np.all((bds >= -1e-12) & (bds <= 1 + 1e-12))
    np.testing.assert_allclose(bds.sum(axis=1), 1.0, atol=1e-9)
    assert np.all((bds[:, 0] >= 0.25 - 1e-12) & (bds[:, 0] <= 1.0))
    assert np.all(sim.deliveries <= sim.gen_count.min(axis=1))
    if cutoff is not None:
        assert np.all(sim.age[exists] <= cutoff)
    assert np.all(sim.right[:, n - 1] < 0) and np.all(sim.left[:, 0] < 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"params": "nv2019", "n_nodes": 5, "max_steps": 200, "cutoff": 30},
        {"params": "starlight", "n_nodes": 4, "max_steps": 200, "link_km": 2.0},
        {"params": "ion_dual_species", "n_nodes": 6, "max_steps": 200},
        {"n_nodes": 6, "p_gen": 0.4, "cutoff": 3, "p_swap": 0.7, "max_steps": 200},
        {
            "n_nodes": 4,
            "mem_per_side": 2,
            "f_gen": 0.8,
            "memory_time_s": 40.0,
            "t2_s": 60.0,
            "max_steps": 200,
            "gate_fid": 0.99,
            "meas_fid": 0.99,
        },
    ],
)
def test_invariants_hold_under_random_and_swap_asap_play(kwargs: dict) -> None:
    vec = RepeaterChainVectorEnv(16, **kwargs)
    vec.reset(seed=11)
    chooser = np.random.default_rng(2)
    for t in range(200):
        if t % 2:
            actions = random_actions(vec.sim, chooser)
        else:
            actions = swap_asap_actions(vec.sim)
        vec.step(actions)
        _check_invariants(vec.sim, vec.params.cutoff)


def test_fidelity_never_rises_without_purification() -> None:
    vec = RepeaterChainVectorEnv(
        32, f_gen=0.9, memory_time_s=50.0, n_nodes=5, max_steps=300, reward_mode="rate"
    )
    vec.reset(seed=0)
    chooser = np.random.default_rng(0)
    for _ in range(300):
        vec.step(random_actions(vec.sim, chooser))
        assert vec.sim.fidelity().max() <= 0.9 + 1e-12


def test_purification_raises_fidelity_of_identical_pairs() -> None:
    env = RepeaterChainEnv(n_nodes=3, mem_per_side=2, f_gen=0.8, p_gen=1.0, reward_mode="rate")
    env.reset(seed=0)
    # both lanes of both links exist after the first generation; node 1 purifies its left pair
    assert env.sim.right[0, 0, 0] == 1 and env.sim.right[0, 0, 1] == 1
    expected_p, expected_f = physics.bbpssw(0.8, 0.8)
    outcomes = []
    for seed in range(200):
        env.reset(seed=seed)
        env.step(np.array([0, 2, 0]))
        # a failure frees both lanes, which are regenerated fresh (p_gen = 1) at F = 0.8
        fid = env.sim.bds[0, 0, 0, 0]
        assert fid == pytest.approx(expected_f) or fid == pytest.approx(0.8)
        outcomes.append(fid == pytest.approx(expected_f))
    rate = np.mean(outcomes)
    assert abs(rate - expected_p) < 4 * np.sqrt(expected_p * (1 - expected_p) / 200)


def test_delivered_yield_stays_below_repeater_chain_bound() -> None:
    params = ChainParams(
        scheme="double_click",
        n_nodes=3,
        link_km=4.0,
        eta_det=0.9,
        reward_mode="rate",
        max_steps=400,
        modes=2,
    )
    vec = RepeaterChainVectorEnv(64, params)
    vec.reset(seed=5)
    for _ in range(400):
        vec.step(swap_asap_actions(vec.sim))
    yield_per_use = vec.sim.yield_total.sum() / (vec.sim.steps.sum() * params.modes)
    assert vec.sim.deliveries.sum() > 100
    bound = physics.repeater_chain_capacity(params.arm_efficiency())
    assert 0.0 < yield_per_use <= bound
    raw_per_use = vec.sim.deliveries.sum() / (vec.sim.steps.sum() * params.modes)
    assert raw_per_use <= params.link_success_prob().min()


def test_reward_modes() -> None:
    env = RepeaterChainEnv(
        n_nodes=2,
        p_gen=1.0,
        f_gen=0.9,
        reward_mode="fidelity",
        f_target=0.8,
        beta=2.0,
        step_cost=0.1,
        max_steps=5,
    )
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(np.array([0, 0]))
    assert reward == pytest.approx(1 + 2.0 * (0.9 - 0.8) - 0.1) and not terminated
    assert info["delivered"] == 1 and info["delivered_fidelity"] == pytest.approx(0.9)
    env = RepeaterChainEnv(n_nodes=2, p_gen=1.0, f_gen=0.9, reward_mode="rate")
    env.reset(seed=0)
    assert env.step(np.array([0, 0]))[1] == pytest.approx(physics.hashing_yield(0.9))
    env = RepeaterChainEnv(n_nodes=2, p_gen=1.0, reward_mode="time")
    env.reset(seed=0)
    _, reward, terminated, truncated, _ = env.step(np.array([0, 0]))
    assert (reward, terminated, truncated) == (-1.0, True, False)
    # a delivered link below f_target is not consumed; the end node can discard it
    env = RepeaterChainEnv(n_nodes=2, p_gen=1.0, f_gen=0.7, f_target=0.8, max_steps=3)
    env.reset(seed=0)
    assert env.step(np.array([0, 0]))[2] is False
    assert env.action_masks().tolist() == [True, True, True, True]


def test_invalid_actions_are_masked_noops_with_optional_penalty() -> None:
    env = RepeaterChainEnv(n_nodes=3, p_gen=0.01, invalid_action_penalty=0.5)
    env.reset(seed=0)
    mask = env.action_masks()
    assert mask[2] and not mask[3]  # repeater: wait valid, swap invalid on an empty chain
    _, reward, _, _, info = env.step(np.array([0, 1, 0]))
    assert info["invalid_actions"] == 1 and reward == pytest.approx(-1.5)


def test_tabular_mode_indexes_the_finite_mdp() -> None:
    env = RepeaterChainEnv(n_nodes=4, p_gen=0.5, cutoff=2, obs_mode="tabular")
    obs, _ = env.reset(seed=0)
    assert env.observation_space.n == env.mdp.n_states and env.action_space.n == 4
    for _ in range(60):
        mask = env.action_masks()
        assert mask[0] and mask.shape == (4,)
        obs, _, term, trunc, _ = env.step(int(np.flatnonzero(mask)[-1]))
        assert env.observation_space.contains(obs)
        if term or trunc:
            obs, _ = env.reset()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"p_gen": 0.0}, "p_gen must be > 0"),
        ({"p_gen": 1.5}, "p_gen must be <= 1"),
        ({"link_km": -1.0}, "link_km must be >= 0"),
        ({"f_gen": 0.1}, "f_gen must be >= 0.25"),
        ({"colour": "red"}, "unknown RepeaterChain parameters"),
        ({"params": "ions"}, "unknown ChainParams preset"),
        ({"obs_mode": "tabular", "cutoff": 2, "n_nodes": 6}, "n_nodes <= 5"),
    ],
)
def test_bad_parameters_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        gym.make(CHAIN, **kwargs)


def test_bad_actions_raise() -> None:
    env = RepeaterChainEnv(n_nodes=3)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="end nodes 0-1"):
        env.step(np.array([2, 0, 0]))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.array([0, 0]))
    with pytest.raises(ValueError, match="integers"):
        env.step(np.array([0.5, 0, 0]))
    with pytest.raises(ValueError, match="obs_mode='dict'"):
        repeater_chain_v0.parallel_env(n_nodes=3, cutoff=1, obs_mode="tabular")


@pytest.mark.parametrize(("decay", "limit"), [({"memory_time_s": 2.0}, 0.25), ({"t2_s": 2.0}, 0.5)])
def test_stored_links_decay_to_the_channel_limit(decay: dict, limit: float) -> None:
    env = RepeaterChainEnv(n_nodes=3, p_gen=1.0, reward_mode="rate", max_steps=200, **decay)
    env.reset(seed=0)
    fidelities = []
    for _ in range(150):  # nobody swaps: the two links just age
        env.step(np.zeros(3, dtype=np.int64))
        fidelities.append(env.sim.fidelity()[0, 0, 0])
    assert np.all(np.diff(fidelities) <= 1e-15)
    assert fidelities[-1] == pytest.approx(limit, abs=1e-6)
    assert env.sim.age[0, 0, 0] == 150


@pytest.mark.parametrize("wait_steps", [0, 3])
def test_delivered_werner_factor_is_the_product_of_link_swap_and_memory_factors(
    wait_steps: int,
) -> None:
    # The SeQUeNCe side-by-side (benchmarks/quantum_sequence.py) relies on this closed form:
    # w_out = w_gen^2 * gate_fid * (4 meas_fid^2 - 1) / 3 * x^(2k) for two links stored k steps.
    f_gen, gate_fid, meas_fid, memory_time_s = 0.93, 0.995, 0.99, 0.4
    env = RepeaterChainEnv(
        n_nodes=3,
        p_gen=1.0,
        f_gen=f_gen,
        gate_fid=gate_fid,
        meas_fid=meas_fid,
        memory_time_s=memory_time_s,
        max_steps=20,
    )
    env.reset(seed=0)
    for _ in range(wait_steps):
        env.step(np.zeros(3, dtype=np.int64))
    _, _, terminated, _, info = env.step(np.array([0, 1, 0]))
    x = env.unwrapped.params.depolarising_factor()
    w_gen = (4 * f_gen - 1) / 3
    expected = w_gen**2 * gate_fid * (4 * meas_fid**2 - 1) / 3 * x ** (2 * wait_steps)
    assert terminated and info["delivered"] == 1
    assert (4 * info["delivered_fidelity"] - 1) / 3 == pytest.approx(expected, rel=1e-12)


def test_parallel_env_rejects_non_integer_actions_like_the_central_env() -> None:
    # int(1.7) used to turn a fractional action silently into 1 (a swap)
    par = repeater_chain_v0.parallel_env(n_nodes=3)
    par.reset(seed=0)
    with pytest.raises(ValueError, match="integers"):
        par.step({"node_0": 0, "node_1": 1.7, "node_2": 0})
    with pytest.raises(ValueError, match="node actions must be in"):
        par.step({"node_0": 0, "node_1": 6, "node_2": 0})
    par.step({"node_0": np.int64(0), "node_1": np.array(1), "node_2": 0.0})  # integral: accepted
