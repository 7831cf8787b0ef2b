"""The batched UAV kernel in plane layout (``envs/uav/planes.py``): its summation order, its
association against the reference ``greedy_association``, the lazily filled received-power
tables and the SINRs computed when read, each bit for bit against the arithmetic it replaces."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from netgym.envs.uav import UavParams, UavSim
from netgym.envs.uav.association import greedy_association
from netgym.envs.uav.memory import bytes_per_env, table_mode
from netgym.envs.uav.planes import assign_best, associate_planes, pairwise_sum, strongest

ENV_ID = "netgym/UavOffload-v0"


@pytest.mark.parametrize("n_terms", [1, 2, 3, 7, 8, 9, 15, 16, 17, 127, 128, 129, 200, 300])
def test_pairwise_sum_adds_in_the_order_of_numpys_sum_over_a_contiguous_axis(n_terms):
    rng = np.random.default_rng(n_terms)
    values = np.exp(rng.normal(0.0, 8.0, (5, 7, n_terms)))  # wide range: rounding shows
    expected = values.sum(axis=-1)
    total = pairwise_sum([values[..., k] for k in range(n_terms)])
    np.testing.assert_array_equal(total, expected)
    out = np.empty((5, 7))
    assert pairwise_sum([values[..., k] for k in range(n_terms)], out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("single_option", [False, True])
def test_associate_planes_equals_greedy_association_with_many_ties(single_option):
    rng = np.random.default_rng(7)
    for _ in range(300):
        n_envs, n_users = rng.integers(1, 6), rng.integers(1, 40)
        n_uavs, capacity = rng.integers(1, 6), rng.integers(1, 9)
        sinr = np.round(rng.normal(5.0, 4.0, (n_envs, n_users, n_uavs)))  # many exact ties
        if single_option:  # at most one UAV per user at or above the threshold
            best = sinr.argmax(axis=2)
            others = np.arange(n_uavs) != best[..., None]
            sinr[others] = np.minimum(sinr[others], 4.0)
        expected_association, expected_load = greedy_association(sinr, 5.0, capacity, single_option)
        planes = np.ascontiguousarray(sinr.transpose(2, 0, 1))  # (K, M, N)
        association, load = associate_planes(planes, 5.0, capacity, single_option)
        np.testing.assert_array_equal(association, expected_association)
        np.testing.assert_array_equal(load, expected_load)
        out = np.full((n_envs, n_users), 99, dtype=np.int64)
        if single_option or n_uavs == 1:
            assert associate_planes(planes, 5.0, capacity, single_option, out=out)[0] is out
            np.testing.assert_array_equal(out, expected_association)


def test_a_full_uav_keeps_its_best_users_and_breaks_ties_by_user_index():
    # one env, UAV 0 has five candidates for two places: SINRs 9, 7, 7, 7, 6 (users 0-4)
    planes = np.array([[[9.0, 7.0, 7.0, 7.0, 6.0]], [[0.0, 0.0, 0.0, 0.0, 0.0]]])
    target, best = strongest(planes)
    association, load = assign_best(target, best, 5.0, 2, 2)
    np.testing.assert_array_equal(association, [[0, 0, -1, -1, -1]])
    np.testing.assert_array_equal(load, [[2, 0]])


def test_strongest_gives_the_first_argmax_and_the_maximum():
    rng = np.random.default_rng(3)
    values = np.round(rng.normal(0.0, 2.0, (6, 4, 30)))  # ties between UAVs
    target, best = strongest(values)
    np.testing.assert_array_equal(target, values.argmax(axis=0))
    np.testing.assert_array_equal(best, values.max(axis=0))


def _associate_full(sim: UavSim) -> tuple[np.ndarray, np.ndarray]:
    """The association from every user/UAV SINR (the general path of the batched kernel)."""
    bs = sim.bs_rx_mw if sim.params.bs_interference else 0.0
    sinr = sim._sinr_planes(sim._rx, bs)
    return associate_planes(sinr, sim.params.sinr_threshold_db, sim.params.capacity, False)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"capacity": 3},
        {"n_uavs": 1, "interference": "none"},
        {"capacity": 4, "bs_interference": True, "n_bs": 3},
        {"n_uavs": 9, "capacity": 5},
    ],
)
def test_association_by_the_strongest_uav_equals_the_association_of_all_sinrs(changes):
    params = UavParams.paper(**changes)
    sim = UavSim(params, 8)
    assert sim._by_strongest
    rngs = [np.random.default_rng(s) for s in range(8)]
    sim.reset(slice(None), rngs)
    rng = np.random.default_rng(0)
    sim.uav_xy[0] = sim.uav_xy[0, :1]  # every UAV of env 0 on one lattice point, moving
    sim._cells[0] = sim._cells[0, 0]  # together: equal powers, exact ties
    for _ in range(40):
        actions = rng.integers(0, params.n_actions, (8, params.n_uavs))
        actions[0] = actions[0, 0]
        sim.step(slice(None), actions, rngs)
        np.testing.assert_array_equal(sim.uav_xy[0], np.repeat(sim.uav_xy[0, :1], params.n_uavs, 0))
        association, load = _associate_full(sim)
        np.testing.assert_array_equal(sim.association, association)
        np.testing.assert_array_equal(sim.load, load)


def test_sinr_db_is_computed_when_read_and_equals_the_radios_sinr():
    params = UavParams.paper(bs_interference=True)
    sim = UavSim(params, 5)
    rngs = [np.random.default_rng(s) for s in range(5)]
    sim.reset(slice(None), rngs)
    actions = np.random.default_rng(1)
    for _ in range(3):  # several steps without a read
        sim.step(slice(None), actions.integers(0, params.n_actions, (5, params.n_uavs)), rngs)
    assert sim._sinr_stale
    expected = sim._sinr_db(sim.rx_mw(sim.uav_xy, sim.user_xy), sim.bs_rx_mw)
    np.testing.assert_array_equal(sim.sinr_db, expected)
    assert not sim._sinr_stale
    assert sim.sinr_db.shape == (5, params.n_users, params.n_uavs)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_lazy_received_power_table_gives_the_trajectory_of_the_channel_model(mode):
    kwargs = {"params": "paper", "max_steps": 30, "capacity": 8}
    lazy = gym.make_vec(ENV_ID, num_envs=6, autoreset_mode=mode, **kwargs)
    direct = gym.make_vec(ENV_ID, num_envs=6, autoreset_mode=mode, **kwargs)
    assert lazy.sim._table_mode == "lazy"
    direct.sim._tables = None  # the channel model on every step
    obs_l, _ = lazy.reset(seed=4)
    obs_d, _ = direct.reset(seed=4)
    np.testing.assert_array_equal(obs_l, obs_d)
    lazy.action_space.seed(5)
    for _ in range(75):  # two autoresets
        actions = lazy.action_space.sample()
        step_l, step_d = lazy.step(actions), direct.step(actions)
        for got, expected in zip(step_l[:4], step_d[:4], strict=True):
            np.testing.assert_array_equal(got, expected)
        for name in ("sinr_db", "association", "load", "rewards", "uav_xy"):
            np.testing.assert_array_equal(getattr(lazy.sim, name), getattr(direct.sim, name))


def test_a_batch_fills_its_received_power_table_lazily_within_its_memory_estimate():
    params = UavParams.paper()
    assert table_mode(params, 1) == "per_env"  # one env: built whole at each reset
    assert table_mode(params, 256) == "lazy"
    assert table_mode(params.replace(n_users=2000), 256) is None  # over MAX_LAZY_ENTRIES
    assert table_mode(params.replace(continuous=True), 256) is None
    lazy_row_bytes = params.n_cells * params.n_users * 8
    assert bytes_per_env(params, 256) - bytes_per_env(params, 100_000) >= lazy_row_bytes


@pytest.mark.parametrize("changes", [{"n_uavs": 8, "capacity": 8}, {"n_uavs": 10, "n_users": 300}])
def test_single_env_fast_step_equals_the_batched_step_with_eight_uavs_or_more(changes):
    """With K >= 8 numpy's sum adds pairwise; the fast path now sums in that same order
    (``pairwise_sum``), so it matches the batched kernel and the vector env bit for bit."""
    fast = gym.make(ENV_ID, params="paper", **changes).unwrapped
    slow = gym.make(ENV_ID, params="paper", **changes).unwrapped
    vector = gym.make_vec(ENV_ID, num_envs=1, params="paper", **changes)
    assert fast.sim._fast_one
    slow.sim._fast_one = False
    rng = np.random.default_rng(2)
    for episode in range(2):
        fast.reset(seed=episode)
        slow.reset(seed=episode)
        vector.reset(seed=episode)
        for _ in range(fast.params.max_steps):
            action = rng.integers(0, fast.params.n_actions, fast.params.n_uavs)
            step_f, step_s = fast.step(action), slow.step(action)
            obs_v, reward_v, *_ = vector.step(action[None])
            assert step_f[1] == step_s[1] == reward_v[0]
            np.testing.assert_array_equal(step_f[0], obs_v[0])
            for name in ("sinr_db", "association", "load", "rewards"):
                np.testing.assert_array_equal(getattr(fast.sim, name), getattr(slow.sim, name))
                np.testing.assert_array_equal(getattr(fast.sim, name), getattr(vector.sim, name))
