"""The quantum family's layout on the shared bases: one folder per env, old module paths kept as
re-exports for one release, the BatchSim contract of ``ChainSim``, shared formula functions."""

from __future__ import annotations

import importlib
import math

import gymnasium as gym
import netgym.envs  # noqa: F401  (registers the env ids)
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from netgym.envs.core.parallel import SimParallelEnv
from netgym.envs.core.params import EnvParams
from netgym.envs.core.scalar import SimEnv
from netgym.envs.core.sim import BatchSim
from netgym.envs.core.vector import EVERY_ENV, NumpyVectorEnv
from netgym.envs.quantum import physics
from netgym.envs.quantum.chain.env import RepeaterChainEnv, RepeaterChainVectorEnv
from netgym.envs.quantum.chain.parallel import RepeaterChainParallelEnv
from netgym.envs.quantum.chain.params import ChainParams
from netgym.envs.quantum.chain.sim import OUTCOME, ChainSim
from netgym.envs.quantum.family import FAMILY
from netgym.envs.quantum.nv2019 import NV2019_DEVICE, nv2019_gate_fid, nv2019_meas_fid
from netgym.envs.quantum.scheduling.env import QuantumNetworkSchedulingEnv
from netgym.envs.quantum.scheduling.params import SchedulingParams
from netgym.envs.quantum.scheduling.purification import Protocol, PumpingScheme

OLD_PATHS = {
    "chain_env": ("chain.env", ["RepeaterChainEnv", "RepeaterChainVectorEnv"]),
    "chain_sim": ("chain.sim", ["ChainSim"]),
    "chain_mdp": ("chain.mdp", ["ChainMdp", "first_level_mask", "nested_pairs"]),
    "chain_spaces": ("chain.spaces", ["central_spaces", "check_actions", "n_pairs"]),
    "chain_parallel": ("chain.parallel", ["RepeaterChainParallelEnv"]),
    "params": ("chain.params", ["ChainParams", "SCHEMES"]),
    "scheduling_env": ("scheduling.env", ["QuantumNetworkSchedulingEnv", "DEMAND_FEATURES"]),
    "scheduling_params": ("scheduling.params", ["SchedulingParams", "LinkTable"]),
    "scheduling_sim": ("scheduling.sim", ["SchedulingSim", "Execution"]),
    "scheduling_protocols": ("scheduling.purification", ["Protocol", "build_protocols"]),
    "scheduling_metrics": ("scheduling.metrics", ["JobRecord", "qos_metrics"]),
    "demands": ("scheduling.demands", ["Demand", "load_demands"]),
}


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_old_module_paths_re_export_the_moved_objects(old: str) -> None:
    new, names = OLD_PATHS[old]
    old_module = importlib.import_module(f"netgym.envs.quantum.{old}")
    new_module = importlib.import_module(f"netgym.envs.quantum.{new}")
    for name in names:
        assert getattr(old_module, name) is getattr(new_module, name)


def test_old_paths_of_the_nv_table_and_the_pettingzoo_factories_still_work() -> None:
    from netgym.envs.quantum import chain_parallel, nv2019, params, repeater_chain_v0

    assert params.NV2019_LINK_TABLE is nv2019.NV2019_LINK_TABLE
    assert params.nv2019_link is nv2019.nv2019_link
    assert chain_parallel.parallel_env is repeater_chain_v0.parallel_env
    assert isinstance(chain_parallel.parallel_env(n_nodes=3), RepeaterChainParallelEnv)


def test_family_entry_points_name_the_new_modules() -> None:
    entry_points = [spec.entry_point for spec in FAMILY.envs]
    entry_points += [spec.vector_entry_point for spec in FAMILY.envs if spec.vector_entry_point]
    for entry in entry_points:
        module = entry.split(":")[0]
        assert module.endswith((".chain.env", ".scheduling.env")), entry


def test_envs_stand_on_the_shared_bases() -> None:
    assert issubclass(RepeaterChainEnv, SimEnv)
    assert issubclass(QuantumNetworkSchedulingEnv, SimEnv)
    assert issubclass(RepeaterChainVectorEnv, NumpyVectorEnv)
    assert issubclass(RepeaterChainParallelEnv, SimParallelEnv)
    assert issubclass(ChainParams, EnvParams) and issubclass(SchedulingParams, EnvParams)
    assert isinstance(ChainSim(ChainParams(), 2), BatchSim)


def test_params_coerce_preset_names_dicts_and_instances() -> None:
    assert ChainParams.coerce("nv2019") == ChainParams.nv2019()
    assert ChainParams.coerce("default", {"n_nodes": 4}) == ChainParams.abstract(n_nodes=4)
    assert ChainParams.coerce({"p_gen": 0.2}).p_gen == 0.2
    base = SchedulingParams(horizon_slots=50)
    assert SchedulingParams.coerce(base) is base
    assert SchedulingParams.coerce("nv_noisy") == SchedulingParams.nv_noisy()
    with pytest.raises(ValueError, match="unknown ChainParams preset"):
        ChainParams.preset("ions")
    with pytest.raises(ValueError, match="unknown QuantumNetworkScheduling parameters"):
        SchedulingParams.coerce(None, {"colour": "red"})


def test_nv_noise_helpers_keep_the_presets_numbers() -> None:
    device = NV2019_DEVICE
    assert nv2019_gate_fid() == 1.0 - device["ec_gate_depolar"]
    assert nv2019_meas_fid() == 1.0 - (device["readout_error_0"] + device["readout_error_1"]) / 2
    assert ChainParams.nv2019().gate_fid == SchedulingParams.nv_noisy().swap_gate_fid
    assert ChainParams.nv2019().meas_fid == SchedulingParams.nv_noisy().swap_meas_fid


def test_pumping_scheme_keeps_its_old_name_as_an_alias() -> None:
    assert Protocol is PumpingScheme
    env = QuantumNetworkSchedulingEnv(horizon_slots=5)
    env.reset(seed=0)
    assert all(isinstance(scheme, PumpingScheme) for scheme in env.protocols)


def test_decay_werner_is_the_depolarised_fidelity_formula() -> None:
    fidelity, t_s, memory_s = 0.93, 0.01, 1.0
    factor = np.exp(-2.0 * t_s / memory_s)
    assert physics.decay_werner(fidelity, factor) == physics.depolarised_fidelity(
        fidelity, t_s, memory_s
    )
    arrays = np.array([0.25, 0.6, 1.0])
    np.testing.assert_array_equal(
        physics.decay_werner(arrays, factor), physics.depolarised_fidelity(arrays, t_s, memory_s)
    )
    assert physics.decay_werner(0.25, 0.3) == 0.25  # the fully mixed state is a fixed point


def test_chain_sim_writes_full_size_outcome_arrays_and_reset_zeroes_them() -> None:
    params = ChainParams(n_nodes=3, p_gen=1.0, reward_mode="rate", max_steps=5)
    sim = ChainSim(params, 4)
    rngs = [np.random.default_rng(seed) for seed in range(4)]
    sim.reset(EVERY_ENV, rngs)
    swap = np.array([[0, 1, 0]] * 4)
    sim.step(EVERY_ENV, swap, rngs)  # every chain delivers its swapped link
    for name in (*OUTCOME, "terminated", "truncated"):
        assert getattr(sim, name).shape == (4,)
    np.testing.assert_array_equal(sim.delivered, [1, 1, 1, 1])
    rows = np.array([1, 3])
    sim.step(rows, np.zeros((2, 3), dtype=np.int64), rngs)  # chains 1 and 3 wait
    np.testing.assert_array_equal(sim.delivered, [1, 0, 1, 0])
    np.testing.assert_array_equal(sim.steps, [1, 2, 1, 2])
    sim.reset(np.array([0]), rngs, keep_outcome=True)
    assert sim.delivered[0] == 1 and sim.steps[0] == 0
    sim.reset(np.array([0, 2]), rngs)
    np.testing.assert_array_equal(sim.delivered, [0, 0, 0, 0])
    assert sim.reward[0] == 0.0 and sim.delivered_fidelity[2] == 0.0


def test_same_step_info_of_a_new_episode_reports_the_step_that_ended_the_old_one() -> None:
    # v0 behaviour, kept: with SAME_STEP autoreset the returned info shows the new episode's
    # state (step 0) with the finished step's outcome (the delivered link)
    vec = gym.make_vec(
        "netgym/RepeaterChain-v0",
        num_envs=2,
        vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.SAME_STEP,
        n_nodes=3,
        p_gen=1.0,
    )
    vec.reset(seed=0)
    _, reward, terminated, _, info = vec.step(np.array([[0, 1, 0], [0, 1, 0]]))
    assert terminated.all() and (reward == -1.0).all()
    np.testing.assert_array_equal(info["step"], [0, 0])
    np.testing.assert_array_equal(info["delivered"], [1, 1])
    np.testing.assert_array_equal(info["final_info"]["step"], [1, 1])
    assert math.isclose(info["delivered_fidelity"][0], 1.0)
    _, reward, terminated, _, info = vec.step(np.zeros((2, 3), dtype=np.int64))
    np.testing.assert_array_equal(info["delivered"], [0, 0])


def test_scaled_fidelity_maps_the_fidelity_range_onto_the_unit_interval() -> None:
    assert physics.scaled_fidelity(0.25) == 0.0 and physics.scaled_fidelity(1.0) == 1.0
    fidelities = np.array([0.25, 0.5, 0.9, 1.0])
    np.testing.assert_array_equal(physics.scaled_fidelity(fidelities), (fidelities - 0.25) / 0.75)
    assert physics.scaled_fidelity(0.9) == physics.scaled_fidelity(fidelities)[2]


def test_depolarise_bds_gives_the_same_bits_for_a_number_and_an_array_factor() -> None:
    bds = physics.werner_bds(np.array([0.9, 0.7]))
    by_number = physics.depolarise_bds(bds, 0.8, check=False)
    np.testing.assert_array_equal(by_number, physics.depolarise_bds(bds, np.array(0.8)))
    np.testing.assert_array_equal(by_number, 0.8 * bds + (1.0 - 0.8) / 4.0)
