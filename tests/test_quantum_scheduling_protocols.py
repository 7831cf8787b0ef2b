"""Protocol choice, fidelity estimates, the link table view and the capacity bound."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from netgym.envs.quantum import physics
from netgym.envs.quantum.nv2019 import NV2019_ALPHAS, NV2019_FIDELITIES, NV2019_RATES_HZ
from netgym.envs.quantum.scheduling.demands import Demand
from netgym.envs.quantum.scheduling.params import (
    LinkTable,
    SchedulingParams,
    nv_link_table,
    protocol_slots_estimate,
    success_prob_per_slot,
)
from netgym.envs.quantum.scheduling.purification import (
    build_protocols,
    capacity_bound_ebit_s,
    chain_fidelity,
    estimate,
    pumped_fidelity,
)
from netgym.envs.quantum.topologies import from_networkx, star


def test_pumping_and_chains_use_the_physics_closed_forms():
    assert pumped_fidelity(0.8, 0) == 0.8
    assert pumped_fidelity(0.8, 1) == pytest.approx(physics.bbpssw(0.8, 0.8)[1])
    two = physics.bbpssw(physics.bbpssw(0.8, 0.8)[1], 0.8)[1]
    assert pumped_fidelity(0.8, 2) == pytest.approx(two)
    assert chain_fidelity(np.array([0.9]), 1.0, 1.0) == 0.9
    perfect = chain_fidelity(np.array([0.9, 0.8, 0.85]), 1.0, 1.0)
    assert perfect == pytest.approx(physics.swap_werner(physics.swap_werner(0.9, 0.8), 0.85))
    assert perfect < 0.8  # below the worst link: swapping never raises fidelity
    noisy = chain_fidelity(np.array([0.9, 0.8, 0.85]), 0.98, 0.97)
    assert noisy == pytest.approx(
        physics.swap_werner(physics.swap_werner(0.9, 0.8, 0.98, 0.97), 0.85, 0.98, 0.97)
    )
    assert noisy < perfect


def test_estimate_waits_half_the_expected_execution_in_memory():
    params = SchedulingParams()
    q = success_prob_per_slot(np.array([20.0, 20.0]), 0.01)
    slots, fidelity = estimate(np.array([0.85, 0.85]), q, 0, params)
    assert slots == pytest.approx(protocol_slots_estimate(q, 0)) == pytest.approx(2 / q[0] + 1)
    hop = physics.depolarised_fidelity(0.85, 0.5 * slots * 0.01, params.memory_time_s)
    assert fidelity == pytest.approx(physics.swap_werner(hop, hop))
    assert q[0] == pytest.approx(1 - math.exp(-0.2))


def test_each_action_uses_the_fastest_row_that_reaches_f_min():
    params = SchedulingParams(n_paths=1, max_depth=1)
    table = nv_link_table()
    demand = Demand(0, 1, 0.58, 1.25)
    protocols = build_protocols(star(), [demand], params, table)
    assert [p.depth for p in protocols] == [0, 1]
    for proto in protocols:
        if not proto.feasible:
            continue
        assert proto.expected_fidelity >= 0.58
        # every faster row misses F_min
        for row in range(proto.setting + 1, 10):
            fid = np.full(2, NV2019_FIDELITIES[row])
            q = success_prob_per_slot(np.full(2, NV2019_RATES_HZ[5][row]), 0.01)
            assert estimate(fid, q, proto.depth, params)[1] < 0.58
    unreachable = build_protocols(star(), [Demand(0, 1, 0.95, 1.25)], params, table)
    assert not any(p.feasible for p in unreachable)


def test_link_table_interpolates_log_rates_and_refuses_longer_links():
    table = nv_link_table()
    fid5, rate5 = table.at(5.0)
    np.testing.assert_allclose(rate5, NV2019_RATES_HZ[5])
    np.testing.assert_allclose(fid5, NV2019_FIDELITIES)
    _, rate7 = table.at(7.5)
    expected = np.sqrt(np.array(NV2019_RATES_HZ[5]) * np.array(NV2019_RATES_HZ[10]))
    np.testing.assert_allclose(rate7, expected)
    np.testing.assert_allclose(table.at(1.0)[1], NV2019_RATES_HZ[5])
    with pytest.raises(ValueError, match="longer than the link table"):
        table.at(51.0)
    with pytest.raises(ValueError, match="increasing"):
        LinkTable(np.array([10.0, 5.0]), np.full((2, 1), 0.8), np.ones((2, 1)))


def test_capacity_bound_is_the_plob_min_cut_of_the_table_links():
    graph = nx.Graph()
    graph.add_edge("a", "b", length_km=5.0)
    topo = from_networkx(graph)
    table = nv_link_table()
    tau = 5.5e-6 + 5.0 / 2e5
    eta = max(r * tau / (2 * a) for r, a in zip(NV2019_RATES_HZ[5], NV2019_ALPHAS, strict=True))
    expected = -math.log2(1 - eta) / tau
    assert capacity_bound_ebit_s(topo, table, 0, 1) == pytest.approx(expected)
    # the star's users share the centre: the bound between two of them is one link's
    assert capacity_bound_ebit_s(star(), table, 0, 1) == pytest.approx(expected)
