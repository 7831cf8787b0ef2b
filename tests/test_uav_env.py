"""netgym/UavOffload-v0 and uav_offload_v0: the invariants of reference/uav.md 6.6, the API
checks (PettingZoo, Gymnasium, SB3), vector/scalar equivalence, bad parameters and training."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import netgym.envs  # noqa: F401 (registers the ids)
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode
from netgym.envs.uav import UavParams, UavSim, env, greedy_association, parallel_env
from netgym.envs.uav.channel import make_channel
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, render_test

ENV_ID = "netgym/UavOffload-v0"
SMALL = {"params": "small"}
MODES = [
    {"params": "small"},
    {"params": "small", "obs_mode": "vector", "reward": "difference"},
    {"params": "small", "obs_mode": "image", "continuous": True, "reward": "mixed"},
    {"params": "small", "directions": 8, "reward": "local", "user_speed_mps": 1.0},
]


def reference_greedy(sinr_db: np.ndarray, threshold: float, capacity: int) -> np.ndarray:
    """The association rule written as its definition: a loop over the sorted pairs."""
    n_users, n_uavs = sinr_db.shape
    association = np.full(n_users, -1)
    load = np.zeros(n_uavs, dtype=int)
    for flat in np.argsort(-sinr_db.ravel(), kind="stable"):
        user, uav = divmod(int(flat), n_uavs)
        if sinr_db[user, uav] >= threshold and association[user] < 0 and load[uav] < capacity:
            association[user] = uav
            load[uav] += 1
    return association


def independent_sinr_db(params: UavParams, uav_xy: np.ndarray, user_xy: np.ndarray) -> np.ndarray:
    """SINR (N, K) recomputed from the channel model and the reference formula (outdoor users,
    no BS interference)."""
    channel = make_channel(params.channel, **params.channel_kwargs)
    horizontal = np.linalg.norm(user_xy[:, None] - uav_xy[None], axis=-1)
    rx_dbm = params.uav_tx_dbm - channel.path_loss_db(
        horizontal, params.uav_altitude_m, params.fc_hz
    )
    rx_mw = 10 ** (rx_dbm / 10)
    noise_mw = 10 ** ((-174 + 10 * math.log10(params.bandwidth_hz) + params.noise_figure_db) / 10)
    interference = rx_mw.sum(axis=1, keepdims=True) - rx_mw
    if params.interference == "none":
        interference = 0.0
    return 10 * np.log10(rx_mw / (noise_mw + interference))


def rollout(kwargs: dict, seed: int, steps: int, policy_seed: int = 0):
    """Scalar-env trajectory with random actions: a list of (obs, reward, info, env state)."""
    scalar = gym.make(ENV_ID, **kwargs).unwrapped
    obs, info = scalar.reset(seed=seed)
    scalar.action_space.seed(policy_seed)
    out = [(obs, 0.0, info, scalar.uav_xy, scalar.association)]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = scalar.step(scalar.action_space.sample())
        out.append((obs, reward, info, scalar.uav_xy, scalar.association))
        if truncated:
            break
    return out


# ---------------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("kwargs", MODES)
def test_invariants_hold_on_every_step(kwargs):
    penv = parallel_env(**kwargs)
    params = penv.params
    observations, _ = penv.reset(seed=3)
    lattice_max = (np.array(params.lattice_shape) - 1) * params.grid_cell_m
    step = 0
    while penv.agents:
        before = penv.uav_xy
        actions = {agent: penv.action_space(agent).sample() for agent in penv.agents}
        observations, rewards, terminations, truncations, infos = penv.step(actions)
        step += 1
        xy = penv.uav_xy
        # 1. positions in bounds, on the lattice (discrete), displacement <= v_max dt
        assert (xy >= 0).all() and (xy <= np.array(params.area_m)).all()
        if not params.continuous:
            assert (xy <= lattice_max).all()
            np.testing.assert_allclose(xy / params.grid_cell_m, np.rint(xy / params.grid_cell_m))
            hovered = [k for k, a in enumerate(actions.values()) if a == 0]
            np.testing.assert_array_equal(xy[hovered], before[hovered])
        assert (np.linalg.norm(xy - before, axis=1) <= params.max_step_m + 1e-9).all()
        # 2. association consistency and greedy maximality
        association = penv.association
        load = np.bincount(association[association >= 0], minlength=params.n_uavs)
        info = infos["uav_0"]
        assert (load <= params.capacity).all()
        np.testing.assert_array_equal(load, info["load"])
        assert load.sum() == info["n_assoc"] == (association >= 0).sum()
        if params.user_speed_mps == 0:
            sinr = independent_sinr_db(params, xy, penv.user_xy)
            np.testing.assert_allclose(sinr, penv.sinr_db, atol=1e-9)
        sinr = penv.sinr_db
        served = np.flatnonzero(association >= 0)
        assert (sinr[served, association[served]] >= params.sinr_threshold_db).all()
        free = association < 0
        spare = load < params.capacity
        assert not (free[:, None] & spare[None] & (sinr >= params.sinr_threshold_db)).any()
        # 3. bounds
        assert info["n_assoc"] <= min(params.n_users, params.n_uavs * params.capacity)
        assert info["upper_bound"] == params.upper_bound
        assert info["assoc_fraction"] == pytest.approx(info["n_assoc"] / params.upper_bound)
        assert info["n_assoc"] <= info["bound_interference_free"] <= params.upper_bound
        assert 0 <= info["assoc_fraction_interference_free"] <= 1
        # 4. rewards
        values = np.array(list(rewards.values()))
        global_reward = info["n_assoc"] / params.n_users
        if params.reward == "global":
            np.testing.assert_allclose(values, global_reward)
        elif params.reward == "local":
            assert values.sum() == pytest.approx(global_reward)
        elif params.reward == "mixed":
            assert ((values >= 0) & (values <= 1)).all()
        else:  # negative when a UAV's interference costs more users than it serves
            assert ((values >= -1) & (values <= global_reward + 1e-12)).all()
        # observations inside their spaces; never terminated
        for agent, obs in observations.items():
            assert penv.observation_space(agent).contains(obs)
        assert not any(terminations.values())
        assert all(t == (step == params.max_steps) for t in truncations.values())
    # 8. truncation exactly at max_steps, agents empty afterwards
    assert step == params.max_steps and penv.agents == []


def test_greedy_association_equals_the_sorted_pair_loop_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n_users, n_uavs, capacity = rng.integers(1, 30), rng.integers(1, 5), rng.integers(1, 8)
        sinr = np.round(rng.normal(5, 4, (4, n_users, n_uavs)))  # many exact ties
        association, load = greedy_association(sinr, 5.0, capacity)
        for m in range(4):
            np.testing.assert_array_equal(association[m], reference_greedy(sinr[m], 5.0, capacity))
        assert (load <= capacity).all()


def test_count_associated_matches_the_env_association():
    scalar = gym.make(ENV_ID, params="paper").unwrapped
    scalar.reset(seed=1)
    sim: UavSim = scalar.sim
    rng = np.random.default_rng(2)
    candidates = rng.uniform(0, 1000, (16, 3, 2))
    counts = sim.count_associated(candidates, scalar.user_xy)
    assert counts.shape == (16,) and counts.dtype.kind == "i"
    per_candidate = [(scalar.association_for(c) >= 0).sum() for c in candidates]
    np.testing.assert_array_equal(counts, per_candidate)
    np.testing.assert_array_equal(scalar.association_for(scalar.uav_xy), scalar.association)
    users = np.broadcast_to(scalar.user_xy, (16, 100, 2))
    np.testing.assert_array_equal(sim.count_associated(candidates, users), counts)
    assert (counts <= scalar.params.upper_bound).all()


def test_difference_reward_is_the_loss_without_each_uav():
    penv = parallel_env(params="small", reward="difference")
    penv.reset(seed=5)
    _, rewards, *_ = penv.step({a: 0 for a in penv.agents})
    xy = penv.uav_xy
    n_users = penv.params.n_users
    total = (penv.association >= 0).sum()
    sim = UavSim(penv.params.replace(n_uavs=1), 1)
    for k, agent in enumerate(penv.possible_agents):
        others = np.delete(xy, k, axis=0)
        sim = UavSim(penv.params.replace(n_uavs=len(others)), 1)
        without = sim.count_associated(others[None], penv.user_xy)[0]
        assert rewards[agent] == pytest.approx((total - without) / n_users)


def test_interference_and_capacity_change_the_association():
    kwargs = {"params": "paper", "uav_start": "center"}
    crowded = gym.make(ENV_ID, **kwargs).unwrapped
    crowded.reset(seed=0)
    snr = gym.make(ENV_ID, interference="none", **kwargs).unwrapped
    snr.reset(seed=0)
    assert (snr.sinr_db > crowded.sinr_db).all()  # co-located UAVs interfere
    assert crowded.params.upper_bound == 60


# ---------------------------------------------------------------------------------- determinism
def test_same_seed_same_trajectory_and_different_seeds_different_layouts():
    first = rollout(SMALL, seed=7, steps=10)
    second = rollout(SMALL, seed=7, steps=10)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == b[1]
        np.testing.assert_array_equal(a[3], b[3])
        np.testing.assert_array_equal(a[4], b[4])
    layouts = []
    for seed in (1, 2):
        scalar = gym.make(ENV_ID, **SMALL).unwrapped
        scalar.reset(seed=seed)
        layouts.append(scalar.user_xy)
    assert not np.allclose(layouts[0], layouts[1])


def test_layout_seed_fixes_the_users_across_episodes_and_seeds():
    layouts, starts = [], []
    for seed in (1, 2, 3):
        scalar = gym.make(ENV_ID, params="small", layout_seed=5, indoor_ratio=0.5).unwrapped
        for episode in range(2):  # the second episode continues the same generator
            scalar.reset(seed=seed if episode == 0 else None)
            layouts.append((scalar.user_xy, scalar.indoor_loss_db))
            starts.append(scalar.uav_xy)
    for users, loss in layouts[1:]:
        np.testing.assert_array_equal(users, layouts[0][0])
        np.testing.assert_array_equal(loss, layouts[0][1])
    assert not all(np.array_equal(xy, starts[0]) for xy in starts[1:])  # episode-seeded starts
    other = gym.make(ENV_ID, params="small", layout_seed=6).unwrapped
    other.reset(seed=1)
    assert not np.allclose(other.user_xy, layouts[0][0])
    fixed = gym.make(ENV_ID, params="small", layout_seed=5, uav_start="fixed").unwrapped
    fixed_starts = [fixed.reset(seed=seed)[0] for seed in (1, 2)]
    np.testing.assert_array_equal(fixed_starts[0], fixed_starts[1])


def test_without_layout_seed_each_episode_draws_new_users():
    scalar = gym.make(ENV_ID, params="small").unwrapped
    scalar.reset(seed=1)
    first = scalar.user_xy
    scalar.reset()
    assert not np.allclose(first, scalar.user_xy)
    assert UavParams.paper(layout_seed=0).layout_seed == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"params": "small"},
        {"params": "small", "layout_seed": 3, "indoor_ratio": 0.5},
        {"params": "small", "continuous": True},
        {"params": "small", "user_speed_mps": 4.0, "bs_interference": True},
        {"params": "paper"},
    ],
)
def test_info_bounds_hold_on_every_step_and_match_bounds_py(kwargs):
    from netgym.baselines.uav.bounds import interference_free_bound

    central = gym.make(ENV_ID, **kwargs).unwrapped
    params = central.params
    _, info = central.reset(seed=4)
    central.action_space.seed(0)
    done = False
    while True:
        bound = info["bound_interference_free"]
        assert info["n_assoc"] <= bound <= info["upper_bound"] == params.upper_bound
        assert info["assoc_fraction_interference_free"] == pytest.approx(
            info["n_assoc"] / max(bound, 1)
        )
        if not params.continuous:  # bounds.py ranges over lattice positions
            expected = interference_free_bound(central.user_xy, params, central.indoor_loss_db)
            assert bound == expected
        if done:
            break
        _, _, _, done, info = central.step(central.action_space.sample())


def test_fixed_layout_table_gives_the_same_episode_as_the_channel_model():
    table = gym.make(ENV_ID, params="paper", layout_seed=2).unwrapped
    direct = gym.make(ENV_ID, params="paper", layout_seed=2, continuous=False).unwrapped
    direct.sim._table_mode = None  # force the per-step channel model
    table.reset(seed=9)
    direct.reset(seed=9)
    rng = np.random.default_rng(0)
    for _ in range(50):
        action = rng.integers(0, table.params.n_actions, table.params.n_uavs)
        obs_t, reward_t, *_ = table.step(action)
        obs_d, reward_d, *_ = direct.step(action)
        np.testing.assert_array_equal(obs_t, obs_d)
        assert reward_t == reward_d
        np.testing.assert_allclose(table.sinr_db, direct.sinr_db, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(table.association, direct.association)


@pytest.mark.parametrize("layout", ["hotspot", "uniform", "clusters"])
def test_layouts_stay_in_the_area(layout):
    scalar = gym.make(ENV_ID, params="paper", user_layout=layout, indoor_ratio=0.5).unwrapped
    scalar.reset(seed=0)
    users = scalar.user_xy
    assert users.shape == (100, 2) and (users >= 0).all() and (users <= 1000).all()
    assert (scalar.indoor_loss_db > 0).sum() == 50


# ---------------------------------------------------------------------------------- vector env
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("kwargs", [SMALL, {"params": "small", "obs_mode": "vector"}])
def test_vector_env_equals_scalar_envs_across_autoresets(mode, kwargs):
    num_envs, seed, horizon = 3, 11, 60  # 60 steps: two autoresets of 25-step episodes
    vector = gym.make_vec(ENV_ID, num_envs=num_envs, autoreset_mode=mode, **kwargs)
    assert vector.metadata["autoreset_mode"] == mode
    scalars = [gym.make(ENV_ID, **kwargs).unwrapped for _ in range(num_envs)]
    obs, _ = vector.reset(seed=seed)
    scalar_obs = [s.reset(seed=seed + i)[0] for i, s in enumerate(scalars)]
    np.testing.assert_array_equal(obs, np.stack(scalar_obs))
    rng = np.random.default_rng(0)
    pending = [False] * num_envs
    for _ in range(horizon):
        actions = rng.integers(0, scalars[0].params.n_actions, (num_envs, 2))
        obs, rewards, terminated, truncated, info = vector.step(actions)
        assert not terminated.any()
        for i, scalar in enumerate(scalars):
            if pending[i]:  # NEXT_STEP: this step only resets
                expected_obs, _ = scalar.reset()
                assert rewards[i] == 0.0 and not truncated[i]
                pending[i] = False
            else:
                expected_obs, reward, _, trunc, step_info = scalar.step(actions[i])
                assert rewards[i] == reward and truncated[i] == trunc
                if trunc and mode == AutoresetMode.SAME_STEP:
                    assert info["final_info"]["n_assoc"][i] == step_info["n_assoc"]
                    np.testing.assert_array_equal(info["final_obs"][i], expected_obs)
                    expected_obs, _ = scalar.reset()
                else:
                    assert info["n_assoc"][i] == step_info["n_assoc"]
                    pending[i] = trunc
            np.testing.assert_array_equal(obs[i], expected_obs)
    for key in ("n_assoc", "load", "coverage", "upper_bound", "assoc_fraction"):
        assert info[f"_{key}"].all()


def test_vector_env_rejects_bad_actions_and_modes():
    vector = gym.make_vec(ENV_ID, num_envs=2, **SMALL)
    vector.reset(seed=0)
    with pytest.raises(ValueError, match="must be in"):
        vector.step(np.array([[0, 99], [0, 0]]))
    with pytest.raises(ValueError, match="shape"):
        vector.step(np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="autoreset_mode"):
        gym.make_vec(ENV_ID, num_envs=2, autoreset_mode="bogus")


# ---------------------------------------------------------------------------------- API checks
@pytest.mark.parametrize("kwargs", MODES)
def test_pettingzoo_api_seed_and_render_tests_pass(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel_api_test(parallel_env(**kwargs), num_cycles=60)
        parallel_seed_test(lambda: parallel_env(**kwargs))
        api_test(env(**kwargs), num_cycles=30)
        # render_test builds a "human" env only to read the metadata; there is no human mode
        render_test(
            lambda render_mode=None: env(
                render_mode=None if render_mode == "human" else render_mode, **kwargs
            )
        )
    assert parallel_env(**kwargs).metadata["name"] == "uav_offload_v0"


@pytest.mark.parametrize("kwargs", MODES)
def test_central_env_passes_gymnasium_and_sb3_checks(kwargs):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(gym.make(ENV_ID, **kwargs).unwrapped)
        sb3_check_env(gym.make(ENV_ID, **kwargs).unwrapped)


def test_observation_spaces_are_memoised_and_state_is_global():
    penv = parallel_env(params="small", obs_mode="vector")
    assert penv.observation_space("uav_0") is penv.observation_space("uav_0")
    penv.reset(seed=0)
    state = penv.state()
    assert penv.state_space.contains(state)
    central = gym.make(ENV_ID, params="small", obs_mode="vector").unwrapped
    obs, _ = central.reset(seed=0)
    np.testing.assert_array_equal(obs, state)


def test_tabular_cells_are_a_bijection_with_the_lattice():
    params = UavParams.small()
    nx, ny = params.lattice_shape
    sim = UavSim(params, 1)
    points = np.stack(np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij"), -1).reshape(-1, 2)
    cells = []
    for chunk in points.reshape(-1, 1, 2):
        sim.uav_xy[0, :1] = chunk * params.grid_cell_m
        cells.append(sim.cells()[0, 0])
    assert sorted(cells) == list(range(params.n_cells))


def test_render_shape_is_stable_from_before_the_first_step():
    central = gym.make(ENV_ID, render_mode="rgb_array", **SMALL)
    central.reset(seed=0)
    first = central.render()
    assert first.shape == (400, 400, 3) and first.dtype == np.uint8
    for _ in range(5):
        central.step(central.action_space.sample())
        assert central.render().shape == first.shape
    assert gym.make(ENV_ID, **SMALL).unwrapped.render() is None


def test_episode_end_requires_reset():
    central = gym.make(ENV_ID, params="small", max_steps=2).unwrapped
    central.reset(seed=0)
    assert central.step([0, 0])[3] is False
    _, _, terminated, truncated, _ = central.step([0, 0])
    assert truncated and not terminated
    with pytest.raises(RuntimeError, match="reset"):
        central.step([0, 0])


# ---------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_users": -3}, "n_users must be >= 1"),
        ({"n_uavs": 0}, "n_uavs must be >= 1"),
        ({"sinr_threshold_db": float("nan")}, "sinr_threshold_db must be finite"),
        ({"area_m": (30.0, 30.0)}, "smaller than one grid cell"),
        ({"channel": "martian"}, "unknown channel 'martian'"),
        ({"reward": "selfish"}, "reward must be one of"),
        ({"speed_levels_mps": (7.0,)}, "whole number"),
        ({"directions": 6}, "directions must be one of"),
    ],
)
def test_bad_parameters_raise_clear_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        UavParams(**changes)


def test_unknown_kwargs_and_bad_actions_raise():
    with pytest.raises(ValueError, match="unknown UavOffload parameters"):
        gym.make(ENV_ID, n_drones=3)
    with pytest.raises(ValueError, match="unknown UavParams preset"):
        parallel_env(params="huge")
    central = gym.make(ENV_ID, **SMALL).unwrapped
    central.reset(seed=0)
    with pytest.raises(ValueError, match="must be in"):
        central.step([0, 9])
    penv = parallel_env(**SMALL)
    penv.reset(seed=0)
    with pytest.raises(ValueError, match="missing"):
        penv.step({"uav_0": 0})


# ---------------------------------------------------------------------------------- training
@pytest.mark.parametrize(
    ("env_id", "agent", "extra"),
    [
        (ENV_ID, "ppo", ["--hyperparams", "n_envs=2", "n_steps=64", "batch_size=64"]),
        ("pz:netgym.envs.uav:parallel_env", "sarsa", []),
        ("pz:netgym.envs.uav:parallel_env", "qlearning", []),
    ],
)
def test_train_py_trains_on_the_small_preset(tmp_path, env_id, agent, extra):
    from netgym.cli.train import main

    args = ["--env", env_id, "--agent", agent, "--timesteps", "256"]
    args += ["--env-kwargs", '{"params": "small"}', "--out", str(tmp_path / agent)]
    assert main([*args, *extra, "--no-progress", "--eval-episodes", "1"]) == 0
    assert (tmp_path / agent / "model").exists()


def test_no_move_is_longer_than_its_speed_times_dt_with_eight_directions():
    from netgym.envs.uav.sim import move_table

    params = UavParams.paper(directions=8)
    table = move_table(params)
    levels = np.repeat(np.asarray(params.speed_levels_mps), 8)
    lengths = np.linalg.norm(table[1:], axis=1)
    assert (lengths <= levels * params.dt_s + 1e-9).all()
    assert lengths.max() == params.max_speed_mps * params.dt_s


@pytest.mark.parametrize(
    "kwargs",
    [
        {"params": "paper"},
        {"params": "paper", "layout_seed": 3, "reward": "local"},
        {"params": "paper", "reward": "mixed", "capacity": 5, "bs_interference": True},
        {"params": "paper", "interference": "none", "sinr_threshold_db": 0.0},
    ],
)
def test_single_env_fast_step_equals_the_batched_step(kwargs):
    """The single-env fast path (``UavSim._step_one``: (N, K) arrays, no re-evaluation when no
    UAV changes cell) gives bit-identical states to the generic batched step."""
    fast = gym.make(ENV_ID, **kwargs).unwrapped
    slow = gym.make(ENV_ID, **kwargs).unwrapped
    assert fast.sim._fast_one
    slow.sim._fast_one = False
    rng = np.random.default_rng(4)
    for episode in range(2):
        fast.reset(seed=episode)
        slow.reset(seed=episode)
        for t in range(fast.params.max_steps):
            action = rng.integers(0, fast.params.n_actions, fast.params.n_uavs)
            if t % 7 < 2:
                action[:] = 0  # hover: the fast path keeps the last evaluation
            step_f = fast.step(action)
            step_s = slow.step(action)
            np.testing.assert_array_equal(step_f[0], step_s[0])
            assert step_f[1:4] == step_s[1:4]
            assert step_f[4].keys() == step_s[4].keys()
            for key in step_f[4]:
                np.testing.assert_array_equal(step_f[4][key], step_s[4][key])
            for name in ("uav_xy", "sinr_db", "association", "load", "n_assoc", "rewards"):
                np.testing.assert_array_equal(getattr(fast.sim, name), getattr(slow.sim, name))
            np.testing.assert_array_equal(fast.sim.global_reward, slow.sim.global_reward)
