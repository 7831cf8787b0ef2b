"""The formula functions that the UAV env's single-env fast path and its batched kernel share
(SINR, association, per-agent rewards, info), the BatchSim protocol of ``UavSim``, ``UavRadio``
on its own, and the old import paths."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from netgym.envs.core.sim import BatchSim
from netgym.envs.uav import UavParams, UavRadio, UavSim
from netgym.envs.uav.association import associate_one, greedy_association
from netgym.envs.uav.channel import sinr_db
from netgym.envs.uav.linkbudget import sinr_from_mw
from netgym.envs.uav.sim import agent_rewards, step_info


def _running_sum(rx_mw: np.ndarray) -> np.ndarray:
    total = rx_mw[:, 0]
    for k in range(1, rx_mw.shape[1]):
        total = total + rx_mw[:, k]
    return total[:, None]


@pytest.mark.parametrize("n_uavs", [1, 3, 7])
def test_sinr_from_mw_gives_the_batched_and_the_one_env_sinr_bit_for_bit(n_uavs):
    rng = np.random.default_rng(n_uavs)
    rx_mw = np.exp(rng.normal(-20.0, 4.0, (5, 40, n_uavs)))
    bs_rx_mw = np.exp(rng.normal(-25.0, 2.0, (5, 40)))
    for interference in ("co_channel", "none"):
        radio = UavRadio(UavParams.small(n_uavs=n_uavs, interference=interference))
        batched = radio._sinr_db(rx_mw, bs_rx_mw)
        for m in range(len(rx_mw)):
            total = _running_sum(rx_mw[m]) if interference == "co_channel" else None
            out = np.empty_like(rx_mw[m])
            one = sinr_from_mw(rx_mw[m], radio._floor_mw(bs_rx_mw[m]), total, out=out)
            assert one is out
            np.testing.assert_array_equal(one, batched[m])


def test_sinr_from_mw_is_the_formula_of_the_db_helper():
    rx_dbm = np.array([[-60.0, -70.0, -np.inf], [-80.0, -80.0, -75.0]])
    rx_mw = 10.0 ** (rx_dbm / 10.0)
    with np.errstate(divide="ignore"):  # the silent UAV: -inf dB
        expected = 10.0 * np.log10(rx_mw / (rx_mw.sum(axis=1, keepdims=True) - rx_mw + 1e-9))
    np.testing.assert_allclose(sinr_db(rx_dbm, -90.0), expected, rtol=1e-12)
    snr = sinr_from_mw(rx_mw[1:], 1e-9, None)
    np.testing.assert_allclose(snr, rx_dbm[1:] + 90.0, rtol=1e-12)


@pytest.mark.parametrize("single_option", [False, True])
def test_associate_one_equals_row_zero_of_the_batched_association(single_option):
    rng = np.random.default_rng(1)
    for _ in range(200):
        n_users, n_uavs, capacity = rng.integers(1, 30), rng.integers(1, 5), rng.integers(1, 8)
        sinr = np.round(rng.normal(5, 4, (n_users, n_uavs)))  # many exact ties
        if single_option:  # at most one UAV per user at or above the threshold
            best = sinr.argmax(axis=1)
            others = np.arange(n_uavs) != best[:, None]
            sinr[others] = np.minimum(sinr[others], 4.0)
        out = np.empty(n_users, dtype=np.int64)
        load = associate_one(sinr, 5.0, capacity, single_option, out)
        association, loads = greedy_association(sinr[None], 5.0, capacity, single_option)
        np.testing.assert_array_equal(out, association[0])
        np.testing.assert_array_equal(load, loads[0])


@pytest.mark.parametrize("mode", ["global", "local", "mixed"])
def test_agent_rewards_of_one_env_equal_the_batched_rows(mode):
    params = UavParams.small(reward=mode, mixed_weight=0.3)
    load = np.random.default_rng(2).integers(0, 9, (6, params.n_uavs))
    global_reward = load.sum(axis=1) / params.n_users
    batched = np.zeros(load.shape)
    batched[:] = agent_rewards(params, global_reward[:, None], load)
    for m in range(len(load)):
        one = np.zeros(params.n_uavs)
        one[:] = agent_rewards(params, float(global_reward[m]), load[m])
        np.testing.assert_array_equal(one, batched[m])
    if mode == "local":
        assert batched.sum(axis=1) == pytest.approx(global_reward)


def test_agent_rewards_leaves_the_difference_mode_to_the_batched_kernel():
    with pytest.raises(ValueError, match="difference"):
        agent_rewards(UavParams.small(reward="difference"), 0.5, np.zeros(2))


def test_step_info_of_one_env_has_python_scalars_equal_to_the_batched_arrays():
    params = UavParams.small()
    sim = UavSim(params, 3)
    sim.reset(slice(None), [np.random.default_rng(s) for s in range(3)])
    sim.coverable[1] = 0  # the interference-free fraction divides by max(bound, 1)
    batched = sim.info()
    for i in range(3):
        one = step_info(params, int(sim.n_assoc[i]), sim.load[i].copy(), int(sim.coverable[i]), 0)
        assert one.keys() == batched.keys()
        for key, value in one.items():
            if key == "load":
                np.testing.assert_array_equal(value, batched[key][i])
            else:
                assert type(value) in (int, float)
                assert value == batched[key][i]
    assert batched["upper_bound"].dtype == np.int64


def test_uav_sim_follows_the_batch_sim_protocol():
    params = UavParams.small(max_steps=2)
    sim = UavSim(params, 2)
    assert isinstance(sim, BatchSim)
    rngs = [np.random.default_rng(s) for s in range(2)]
    sim.reset(slice(None), rngs, {})
    actions = np.zeros((2, params.n_uavs), dtype=np.int64)
    sim.step(slice(None), actions, rngs)
    assert sim.reward is sim.global_reward
    assert not sim.terminated.any() and not sim.truncated.any()
    sim.step(np.array([1]), actions[1:], rngs)
    np.testing.assert_array_equal(sim.truncated, [False, True])
    observation = sim.observation()
    observation[:] = -1  # a fresh copy
    assert (sim.observation() >= 0).all()
    assert set(sim.info()) == {
        "n_assoc",
        "load",
        "coverage",
        "upper_bound",
        "assoc_fraction",
        "bound_interference_free",
        "assoc_fraction_interference_free",
        "step",
    }


def test_uav_radio_evaluates_placements_like_the_sim():
    params = UavParams.paper(bs_interference=True)
    sim = UavSim(params, 1)
    sim.reset([0], [np.random.default_rng(0)])
    candidates = np.random.default_rng(1).uniform(0, 1000, (8, params.n_uavs, 2))
    users, indoor = sim.user_xy[0], sim.indoor_loss_db[0]
    np.testing.assert_array_equal(
        UavRadio(params).count_associated(candidates, users, indoor),
        sim.count_associated(candidates, users, indoor),
    )


def test_old_import_paths_keep_working():
    uav = importlib.import_module("netgym.envs.uav")
    env_module = importlib.import_module("netgym.envs.uav.env")
    parallel = importlib.import_module("netgym.envs.uav.parallel")
    assert env_module.UavOffloadParallelEnv is parallel.UavOffloadParallelEnv
    assert uav.UavOffloadParallelEnv is parallel.UavOffloadParallelEnv
    assert callable(uav.env) and uav.env is env_module.env  # the AEC factory, not the module
    assert isinstance(uav.parallel_env(params="small"), parallel.UavOffloadParallelEnv)
    sim_module = importlib.import_module("netgym.envs.uav.sim")
    assert sim_module.greedy_association is greedy_association
    channel = importlib.import_module("netgym.envs.uav.channel")
    penetration = importlib.import_module("netgym.envs.uav.penetration")
    assert channel.make_penetration is penetration.make_penetration
    for name in ("agent_action_space", "agent_observation_space", "central_spaces", "raw_env"):
        assert callable(getattr(env_module, name))
