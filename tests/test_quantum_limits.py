"""Limits of the quantum envs: configurations too large for memory (or for any sensible wait)
are refused before anything is built, with the parameters and the estimate in the message; the
scheduling env's cost per demand stays small enough for thousands of demands."""

from __future__ import annotations

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest
from netgym.envs.core.budget import BUDGET_VARIABLE
from netgym.envs.quantum.chain.mdp import ChainMdp, state_count_bound
from netgym.envs.quantum.chain.params import ChainParams
from netgym.envs.quantum.physics import bbpssw
from netgym.envs.quantum.scheduling.demands import Demand, EndPairs
from netgym.envs.quantum.scheduling.env import QuantumNetworkSchedulingEnv
from netgym.envs.quantum.scheduling.params import SchedulingParams, nv_link_table
from netgym.envs.quantum.scheduling.purification import (
    build_protocols,
    estimate,
    fast_estimate,
    pumped_fidelity,
)
from netgym.envs.quantum.topologies import candidate_paths, from_networkx, grid, star, symm8

SCHED = "netgym/QuantumNetworkScheduling-v0"


@pytest.fixture(autouse=True)
def default_budget(monkeypatch):
    monkeypatch.delenv(BUDGET_VARIABLE, raising=False)


# ------------------------------------------------------------------------------ scheduling
def test_a_million_demands_are_refused_before_anything_is_built():
    with pytest.raises(ValueError, match=r"n_demands=1000000 .*GiB.*NETGYM_MEMORY_BUDGET"):
        gym.make(SCHED, n_demands=10**6)


def test_a_horizon_of_1e11_slots_is_refused_with_the_jobs_it_would_release():
    with pytest.raises(ValueError, match=r"horizon_slots=100000000000 releasing up to"):
        gym.make(SCHED, horizon_slots=10**11)


def test_poisson_arrivals_faster_than_one_per_slot_are_counted_at_their_rate():
    with pytest.raises(ValueError, match=r"up to 1e\+10 jobs .* up to 1e\+04 arrivals per slot"):
        gym.make(SCHED, demands=[(0, 1, 0.6, 1e6)], horizon_slots=10**6, release_mode="poisson")
    gym.make(SCHED, demands=[(0, 1, 0.6, 1e6)], horizon_slots=10**6)  # periodic: one per slot


def test_the_budget_override_lets_a_large_configuration_through(monkeypatch):
    monkeypatch.setenv(BUDGET_VARIABLE, "0")
    env = QuantumNetworkSchedulingEnv(horizon_slots=10**11)  # built: releases are drawn at reset
    assert env.params.horizon_slots == 10**11


def test_thousands_of_demands_reset_and_step_inside_their_spaces():
    env = gym.make(SCHED, n_demands=3000)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(30):
        action = rng.choice(np.flatnonzero(env.unwrapped.action_masks()))
        obs, reward, _, _, info = env.step(action)
        assert env.observation_space.contains(obs) and np.isfinite(reward)
    assert info["released_jobs"] >= 3000


def test_protocols_of_many_demands_equal_those_built_one_demand_at_a_time():
    """Estimating once per node pair and F_min changes nothing."""
    params = SchedulingParams(topology="symm8", n_paths=3, max_depth=2)
    topo, table = symm8(), nv_link_table()
    rng = np.random.default_rng(3)
    demands = [
        Demand(int(a), int(b), float(f), 1.0)
        for a, b, f in zip(
            rng.integers(0, 2, 40),
            rng.integers(2, 4, 40),
            rng.choice([0.55, 0.6, 0.62], 40),
            strict=False,
        )
    ]
    together = build_protocols(topo, demands, params, table)
    alone = [p for demand in demands for p in build_protocols(topo, [demand], params, table)]
    for a, b in zip(together, alone, strict=True):
        assert (a.path, a.edges, a.depth, a.setting, a.feasible) == (
            b.path,
            b.edges,
            b.depth,
            b.setting,
            b.feasible,
        )
        assert (a.expected_slots, a.expected_fidelity) == (b.expected_slots, b.expected_fidelity)
        np.testing.assert_array_equal(a.link_fidelity, b.link_fidelity)
        np.testing.assert_array_equal(a.success_prob, b.success_prob)


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("hops", [1, 2, 7])
def test_fast_estimate_equals_the_per_hop_estimate_bit_for_bit(depth, hops):
    rng = np.random.default_rng(depth * 10 + hops)
    params = SchedulingParams.nv_noisy(memory_time_s=0.37)
    for _ in range(20):
        fidelity = rng.uniform(0.3, 1.0, hops)
        q = rng.uniform(1e-4, 1.0, hops)
        assert fast_estimate(fidelity, q, depth, params) == estimate(fidelity, q, depth, params)
    assert pumped_fidelity(0.8, 1) == bbpssw(0.8, 0.8)[1]


def test_end_pairs_index_the_same_pairs_as_the_listing_in_the_same_order():
    graph = nx.Graph()
    for a, b in [(0, 1), (2, 3), (4, 5), (5, 6), (1, 7), (3, 8)]:
        graph.add_edge(a, b, length_km=1.0)
    topo = from_networkx(graph)
    ends, component = topo.end_nodes, topo.component_of
    listed = [(a, b) for a in ends for b in ends if a != b and component[a] == component[b]]
    assert list(EndPairs(topo)) == listed and len(EndPairs(topo)) == len(listed)
    with pytest.raises(IndexError):
        EndPairs(topo)[len(listed)]


def test_a_20000_node_line_builds_and_resets():
    graph = nx.path_graph(20000)
    nx.set_edge_attributes(graph, 0.001, "length_km")
    env = QuantumNetworkSchedulingEnv(topology=from_networkx(graph, "line"))
    assert env.topology.end_nodes == (0, 19999)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert candidate_paths(env.topology, 0, 19999, 2) == [tuple(range(20000))]


def test_a_ring_whose_path_search_would_run_for_an_hour_is_refused():
    graph = nx.cycle_graph(20000)
    nx.set_edge_attributes(graph, 0.001, "length_km")
    nx.set_node_attributes(graph, 0, "end_node")
    graph.nodes[0]["end_node"] = graph.nodes[10000]["end_node"] = 1
    with pytest.raises(ValueError, match=r"would take about \d+ s on 20000 nodes .*n_paths"):
        QuantumNetworkSchedulingEnv(topology=from_networkx(graph, "ring")).reset(seed=0)


def test_path_memory_is_checked_pair_by_pair(monkeypatch):
    graph = nx.path_graph(3000)
    nx.set_edge_attributes(graph, 0.001, "length_km")
    env = QuantumNetworkSchedulingEnv(topology=from_networkx(graph, "line"), max_depth=8)
    monkeypatch.setenv(BUDGET_VARIABLE, "4MB")
    with pytest.raises(ValueError, match="the last with 2999 hops over 1 paths"):
        env.reset(seed=0)


def test_capacity_bounds_are_computed_once_per_pair_and_match_the_function():
    from netgym.envs.quantum.scheduling.purification import capacity_bound_ebit_s

    env = QuantumNetworkSchedulingEnv(topology="grid", n_demands=30)
    env.reset(seed=2)
    sim = env.sim
    expected = [
        capacity_bound_ebit_s(env.topology, env.link_table, d.source, d.destination)
        for d in sim.demands
    ]
    np.testing.assert_array_equal(sim.capacity_bound_ebit_s, expected)
    assert sim.capacity_bound_ebit_s is sim.capacity_bound_ebit_s  # computed once per episode
    assert len(sim._capacity_memo) <= len(EndPairs(grid()))


def test_a_fixed_demand_whose_period_overflows_the_clock_is_refused():
    with pytest.raises(ValueError, match="period of .* slots, at least"):
        QuantumNetworkSchedulingEnv(demands=[(0, 1, 0.6, 1e-300)])


def test_penalties_and_slots_are_bounded_so_rewards_stay_finite():
    with pytest.raises(ValueError, match="miss_penalty must be <= 1000000.0"):
        SchedulingParams(miss_penalty=1e308)
    with pytest.raises(ValueError, match="invalid_action_penalty must be <="):
        SchedulingParams(invalid_action_penalty=1e300)
    with pytest.raises(ValueError, match="slot_s must be >= 1e-09"):
        SchedulingParams(slot_s=1e-300)
    with pytest.raises(ValueError, match="slot_s must be <="):
        SchedulingParams(slot_s=1e300)


# ------------------------------------------------------------------------------ chain
def test_ten_million_chains_are_refused_before_the_sim_is_built():
    with pytest.raises(ValueError, match=r"RepeaterChainVectorEnv.*num_envs=10000000 x"):
        gym.make_vec(
            "netgym/RepeaterChain-v0", num_envs=10**7, vectorization_mode="vector_entry_point"
        )


def test_chain_vector_env_reports_a_per_env_memory():
    env = gym.make_vec(
        "netgym/RepeaterChain-v0",
        num_envs=2,
        vectorization_mode="vector_entry_point",
        n_nodes=9,
        mem_per_side=2,
    )
    assert 4096 < env.unwrapped.memory_per_env() < 16384


def test_the_tabular_mdp_with_a_huge_cutoff_is_refused_before_it_is_explored():
    with pytest.raises(ValueError, match=r"n_nodes=5, cutoff=1000: up to \d+ states"):
        gym.make("netgym/RepeaterChain-v0", n_nodes=5, cutoff=1000, obs_mode="tabular")
    with pytest.raises(ValueError, match="ChainMdp"):
        ChainMdp(5, 0.5, 1.0, 1000)


@pytest.mark.parametrize(("n_nodes", "cutoff"), [(3, 0), (3, 8), (4, 5), (5, 3), (5, 8), (6, 2)])
def test_the_state_count_bound_holds(n_nodes, cutoff):
    assert ChainMdp(n_nodes, 0.5, 0.7, cutoff).n_states <= state_count_bound(n_nodes, cutoff)


def test_a_link_whose_success_probability_underflows_is_refused():
    with pytest.raises(ValueError, match=r"succeeds with probability 0 per step"):
        ChainParams(scheme="single_click", link_km=1e5)
    with pytest.raises(ValueError, match="link_km must be <= 100000.0"):
        ChainParams(scheme="double_click", link_km=1e300)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("beta", 1e308),
        ("step_cost", 1e308),
        ("invalid_action_penalty", 1e308),
        ("modes", 10**30),
        ("slot_s", 1e300),
        ("t_prep_s", 1e300),
    ],
)
def test_chain_weights_and_times_are_bounded(field, value):
    with pytest.raises(ValueError, match=f"ChainParams.{field} must be <="):
        ChainParams(**{field: value})


def test_star_topology_paths_are_found_without_a_spur_search():
    topo = star()
    assert candidate_paths(topo, 0, 1, 3) == [(0, 3, 1)]
    assert (0, 1, 0) in topo.path_memo  # remembered as the only path, for any k
