"""Capacity bounds with lossy repeater stations (``physics.lossy``; Laurenza, Walk, Eisert,
Pirandola, PRR 4, 023158 (2022); reference seeds-more.md sections 1 and 6a).

The paper's body could not be read, so every expected value here is derived by hand in the
test from C(x) = -log2(1 - x) and 0.2 dB/km fibre (the reference's [C] table agrees with
them; they are noted where it lists them)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netgym.envs.quantum import physics as ph


def cap(x: float) -> float:
    """C(x) = -log2(1 - x), by hand."""
    return -math.log2(1.0 - x)


def hop_eta(length_km: float, n_repeaters: int) -> float:
    return 10.0 ** (-0.02 * length_km / (n_repeaters + 1))


# ------------------------------------------------------------------------------- chains
@pytest.mark.parametrize("model", ph.LOSSY_MODELS)
def test_lossless_stations_give_the_ideal_chain_bound(model: str) -> None:
    for n in range(0, 40):
        expected = ph.equal_spacing_chain_capacity(200.0, n)
        assert ph.equal_spacing_lossy_chain_capacity(200.0, n, 1.0, model) == pytest.approx(
            expected, rel=1e-12
        )
    etas = [0.3, 0.7, 0.5]
    assert ph.lossy_station_chain_capacity(etas, [1.0, 1.0], model) == pytest.approx(
        ph.repeater_chain_capacity(etas)
    )


def test_station_as_link_caps_the_chain_at_one_station() -> None:
    # 15 stations, tau 0.5 over 200 km: the hops give C(10^-0.25) = 1.1921 > C(0.5) = 1
    assert cap(hop_eta(200.0, 15)) == pytest.approx(1.1921, abs=1e-4)
    assert ph.equal_spacing_lossy_chain_capacity(200.0, 15, 0.5) == pytest.approx(1.0)
    # a good station does not bind: the hops do (reference table: 1.1921)
    assert ph.equal_spacing_lossy_chain_capacity(200.0, 15, 0.9) == pytest.approx(
        cap(hop_eta(200.0, 15))
    )
    # many stations: C(0.9) = log2(10) = 3.3219
    assert ph.equal_spacing_lossy_chain_capacity(200.0, 1000, 0.9) == pytest.approx(math.log2(10))


def test_station_as_link_is_monotone_in_the_number_of_stations() -> None:
    for tau in (0.5, 0.9, 0.99):
        values = [ph.equal_spacing_lossy_chain_capacity(200.0, n, tau) for n in range(0, 300)]
        assert np.all(np.diff(values) >= -1e-12)
        assert values[-1] <= cap(tau) + 1e-12


def test_loss_in_hops_with_pairs_matches_hand_values() -> None:
    pair = (0.9, 0.9)  # tau_in = tau_out = 0.9: an inner hop crosses 0.81 of station loss
    for n, expected in ((7, 0.4269), (63, 1.7439)):  # reference table values
        by_hand = cap(0.81 * hop_eta(200.0, n))
        assert by_hand == pytest.approx(expected, abs=1e-4)
        assert ph.equal_spacing_lossy_chain_capacity(
            200.0, n, pair, "loss_in_hops"
        ) == pytest.approx(by_hand)
    # one station: both hops are end hops, each crossing one side of it
    assert ph.equal_spacing_lossy_chain_capacity(200.0, 1, pair, "loss_in_hops") == pytest.approx(
        cap(0.9 * hop_eta(200.0, 1))
    )
    limit = ph.lossy_chain_capacity_limit(pair)
    assert limit == pytest.approx(math.log2(1 / 0.19)) == pytest.approx(2.3959, abs=1e-4)
    far = ph.equal_spacing_lossy_chain_capacity(200.0, 100_000, pair, "loss_in_hops")
    assert far < limit and far == pytest.approx(limit, rel=1e-3)


def test_one_number_per_station_splits_its_loss_evenly_in_loss_in_hops() -> None:
    links, stations = [0.5, 0.5, 0.5], [0.64, 0.64]
    # end hops 0.8 * 0.5 = 0.4, the inner hop 0.8 * 0.5 * 0.8 = 0.32
    assert ph.lossy_station_chain_capacity(links, stations, "loss_in_hops") == pytest.approx(
        cap(0.32)
    )
    assert ph.lossy_station_chain_capacity(links, stations, "station_as_link") == pytest.approx(
        min(cap(0.5), cap(0.64))
    )
    # a pair is the same station with its loss placed explicitly
    assert ph.lossy_station_chain_capacity(
        links, [(0.8, 0.8), (0.8, 0.8)], "loss_in_hops"
    ) == pytest.approx(cap(0.32))
    # unequal stations and hops: hop i sees station i's read-out and station i+1's read-in
    value = ph.lossy_station_chain_capacity(
        [0.9, 0.6, 0.9], [(1.0, 0.5), (0.7, 1.0)], "loss_in_hops"
    )
    assert value == pytest.approx(min(cap(0.9), cap(0.5 * 0.6 * 0.7), cap(0.9)))


def test_both_readings_tend_to_the_same_single_station_limit() -> None:
    for tau in (0.5, 0.9, 0.99):
        limit = ph.lossy_chain_capacity_limit(tau)
        assert limit == pytest.approx(cap(tau))
        for model in ph.LOSSY_MODELS:
            values = [
                ph.equal_spacing_lossy_chain_capacity(200.0, n, tau, model)
                for n in (2, 10, 100, 10_000)
            ]
            assert max(values) <= limit + 1e-12  # two or more stations: never above C(tau)
            assert values[-1] == pytest.approx(limit, rel=2e-2)


@settings(max_examples=60, deadline=None)
@given(
    length=st.floats(1.0, 1000.0),
    n=st.integers(2, 60),
    tau=st.floats(0.05, 1.0),
)
def test_lossy_bounds_never_exceed_the_ideal_chain(length: float, n: int, tau: float) -> None:
    ideal = ph.equal_spacing_chain_capacity(length, n)
    split = ph.equal_spacing_lossy_chain_capacity(length, n, tau, "station_as_link")
    hops = ph.equal_spacing_lossy_chain_capacity(length, n, tau, "loss_in_hops")
    assert hops <= split + 1e-12 <= ideal + 2e-12
    if tau < 1.0:
        assert split <= cap(tau) + 1e-12


def test_lossy_chain_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        ph.lossy_station_chain_capacity([0.5, 0.5], [0.9], "split")
    with pytest.raises(ValueError, match="one transmissivity per repeater station"):
        ph.lossy_station_chain_capacity([0.5, 0.5], [0.9, 0.9])
    with pytest.raises(ValueError, match=r"shape \(1,\) or \(1, 2\)"):
        ph.lossy_station_chain_capacity([0.5, 0.5], [[0.9, 0.9, 0.9]])
    with pytest.raises(ValueError, match="station_etas must be a probability"):
        ph.lossy_station_chain_capacity([0.5, 0.5], [0.0])
    with pytest.raises(ValueError, match="eta must be a transmissivity"):
        ph.lossy_station_chain_capacity([1.5, 0.5], [0.9])
    with pytest.raises(ValueError, match="n_repeaters must be an integer"):
        ph.equal_spacing_lossy_chain_capacity(100.0, -1, 0.9)
    with pytest.raises(ValueError, match=r"station_eta must be tau or \(tau_in, tau_out\)"):
        ph.equal_spacing_lossy_chain_capacity(100.0, 3, (0.9, 0.9, 0.9))


# ----------------------------------------------------------------------------- networks
DIAMOND = [("s", "a", 0.5), ("s", "b", 0.5), ("a", "t", 0.5), ("b", "t", 0.5)]


def test_node_split_min_cut_of_the_diamond() -> None:
    assert ph.node_split_min_cut_capacity(DIAMOND, "s", "t") == pytest.approx(2.0)
    both = ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"a": 0.25, "b": 0.25})
    assert both == pytest.approx(2 * math.log2(4 / 3)) == pytest.approx(0.830, abs=1e-3)
    one = ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"a": 0.25})
    assert one == pytest.approx(1.0 + math.log2(4 / 3))
    # a station with two internal channels doubles its capacity
    twice = ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"a": (0.25, 2), "b": 0.25})
    assert twice == pytest.approx(3 * math.log2(4 / 3))


def test_widest_path_takes_the_best_single_route() -> None:
    assert ph.widest_path_capacity(DIAMOND, "s", "t") == pytest.approx(1.0)
    assert ph.widest_path_capacity(DIAMOND, "s", "t", {"a": 0.25}) == pytest.approx(1.0)
    assert ph.widest_path_capacity(DIAMOND, "s", "t", {"a": 0.25, "b": 0.1}) == pytest.approx(
        cap(0.25)
    )
    edges = [("s", "a", 0.9), ("a", "t", 0.9), ("s", "t", 0.2)]
    assert ph.widest_path_capacity(edges, "s", "t") == pytest.approx(cap(0.9))
    assert ph.widest_path_capacity(edges, "s", "t", {"a": 0.1}) == pytest.approx(cap(0.2))


def test_node_split_min_cut_of_a_path_is_the_station_as_link_chain_bound() -> None:
    etas = [0.6, 0.8, 0.7, 0.9]
    taus = [0.95, 0.5, 0.8]
    edges = [(i, i + 1, eta) for i, eta in enumerate(etas)]
    stations = {i + 1: tau for i, tau in enumerate(taus)}
    chain = ph.lossy_station_chain_capacity(etas, taus, "station_as_link")
    assert ph.node_split_min_cut_capacity(edges, 0, 4, stations) == pytest.approx(chain)
    assert ph.widest_path_capacity(edges, 0, 4, stations) == pytest.approx(chain)
    assert chain == pytest.approx(cap(0.5))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), nodes=st.integers(3, 8))
def test_network_bounds_are_ordered(seed: int, nodes: int) -> None:
    rng = np.random.default_rng(seed)
    graph = nx.connected_watts_strogatz_graph(nodes, 2, 0.5, seed=seed)
    edges = [(u, v, float(rng.uniform(0.05, 0.95))) for u, v in graph.edges]
    taus = {v: float(rng.uniform(0.05, 1.0)) for v in range(1, nodes - 1)}
    plain = ph.min_cut_capacity(edges, 0, nodes - 1)
    assert ph.node_split_min_cut_capacity(edges, 0, nodes - 1) == pytest.approx(plain)
    lossless = dict.fromkeys(taus, 1.0)
    assert ph.node_split_min_cut_capacity(edges, 0, nodes - 1, lossless) == pytest.approx(plain)
    lossy = ph.node_split_min_cut_capacity(edges, 0, nodes - 1, taus)
    widest = ph.widest_path_capacity(edges, 0, nodes - 1, taus)
    assert widest <= lossy + 1e-9 <= plain + 2e-9
    assert ph.widest_path_capacity(edges, 0, nodes - 1) <= plain + 1e-9


def test_network_bounds_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="end users are not split"):
        ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"s": 0.5})
    with pytest.raises(ValueError, match="not in the network"):
        ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"x": 0.5})
    with pytest.raises(ValueError, match="is not a node"):
        ph.widest_path_capacity(DIAMOND, "s", "z")
    with pytest.raises(ValueError, match="must differ"):
        ph.node_split_min_cut_capacity(DIAMOND, "s", "s")
    with pytest.raises(ValueError, match="not connected"):
        ph.node_split_min_cut_capacity([*DIAMOND, ("x", "y", 0.5)], "s", "x")
    with pytest.raises(ValueError, match="not connected"):
        ph.widest_path_capacity([*DIAMOND, ("x", "y", 0.5)], "s", "y")
    with pytest.raises(ValueError, match=r"node_etas\['a'\] must be a probability"):
        ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"a": 1.5})
    with pytest.raises(ValueError, match="modes must be an integer"):
        ph.node_split_min_cut_capacity(DIAMOND, "s", "t", {"a": (0.5, 0)})
    with pytest.raises(ValueError, match=r"edge must be \(u, v, eta\)"):
        ph.widest_path_capacity([("s", "t")], "s", "t")
