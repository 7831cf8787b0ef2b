"""Topologies, GML loading, candidate paths and demand generation of the scheduling env."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from netgym.envs.quantum.scheduling.demands import (
    Demand,
    check_demands,
    generate_demands,
    load_demands,
    release_slots,
)
from netgym.envs.quantum.topologies import (
    TOPOLOGIES,
    QuantumTopology,
    candidate_paths,
    from_networkx,
    grid,
    h_shape,
    line6,
    load_gml,
    make_topology,
    star,
    symm8,
)


def test_small_networks_match_the_qos_code():
    s, h, line, sym = star(), h_shape(), line6(), symm8()
    assert (s.n_nodes, s.n_edges, s.end_nodes) == (4, 3, (0, 1, 2))
    assert h.end_nodes == (0, 2, 3, 5) and h.edges.tolist() == [
        [0, 1],
        [1, 2],
        [1, 4],
        [3, 4],
        [4, 5],
    ]
    assert (line.n_nodes, line.n_edges, len(line.end_nodes)) == (6, 5, 6)
    assert (sym.n_nodes, sym.n_edges, sym.end_nodes) == (8, 10, (0, 1, 2, 3))
    for topo in (s, h, line, sym):
        assert (topo.length_km == 5.0).all()
        assert (topo.comm_qubits == 1).all() and (topo.storage_qubits == 3).all()
        assert nx.is_connected(topo.graph())
    assert set(TOPOLOGIES) == {"star", "H", "line6", "symm8", "grid"}


def test_grid_has_corner_end_nodes_and_lattice_links():
    g = grid(3, 4)
    assert (g.n_nodes, g.n_edges, g.end_nodes) == (12, 3 * 3 + 2 * 4, (0, 3, 8, 11))
    assert sorted(dict(g.graph().degree()).values()) == [2] * 4 + [3] * 6 + [4] * 2
    assert len(candidate_paths(g, 0, 11, 3)) == 3
    with pytest.raises(ValueError, match="rows"):
        grid(1, 3)


def test_candidate_paths_are_the_k_shortest_in_order():
    sym = symm8()
    paths = candidate_paths(sym, 0, 1, 3)
    assert paths[0] == (0, 4, 5, 1)  # the direct repeater link
    assert [len(p) for p in paths] == [4, 5, 5]  # then the two detours over the K4
    assert candidate_paths(sym, "0", "1", 3) == paths  # names work too
    assert candidate_paths(star(), 0, 1, 5) == [(0, 3, 1)]  # fewer paths than asked
    h = h_shape()
    assert candidate_paths(h, 0, 5, 2) == [(0, 1, 4, 5)]


def test_weighted_paths_follow_length_not_hops():
    graph = nx.Graph()
    graph.add_edge("a", "b", length_km=30.0)
    graph.add_edge("a", "c", length_km=5.0)
    graph.add_edge("c", "b", length_km=5.0)
    topo = from_networkx(graph)
    a, b, c = (topo.node_index(x) for x in "abc")
    assert candidate_paths(topo, a, b, 2) == [(a, c, b), (a, b)]


def test_unconnected_nodes_raise_a_clear_error():
    graph = nx.Graph()
    graph.add_edge(0, 1, length_km=5.0)
    graph.add_edge(2, 3, length_km=5.0)
    topo = from_networkx(graph)
    with pytest.raises(ValueError, match="not connected"):
        candidate_paths(topo, 0, 2, 1)
    with pytest.raises(ValueError, match="not connected"):
        check_demands(topo, [Demand(0, 2, 0.6, 1.0)])
    # generated demands only join connected end nodes
    for demand in generate_demands(np.random.default_rng(0), topo, 20):
        assert {demand.source, demand.destination} in ({0, 1}, {2, 3})


def test_gml_loader_reads_lengths_coordinates_and_end_nodes(tmp_path):
    path = tmp_path / "net.gml"
    path.write_text(
        "graph [\n"
        '  node [ id 0 label "A" end_node 1 ]\n'
        '  node [ id 1 label "R" end_node 0 storage_qubits 5 ]\n'
        '  node [ id 2 label "B" end_node 1 ]\n'
        "  edge [ source 0 target 1 length_km 10 ]\n"
        "  edge [ source 1 target 2 length_km 25 ]\n"
        "]\n"
    )
    topo = load_gml(path)
    assert topo.nodes == ("A", "R", "B") and topo.end_nodes == (0, 2)
    assert sorted(topo.length_km.tolist()) == [10.0, 25.0]
    assert topo.storage_qubits.tolist() == [3, 5, 3]
    assert make_topology(str(path)).nodes == topo.nodes
    geo = tmp_path / "geo.gml"
    geo.write_text(
        "graph [\n"
        '  node [ id 0 label "X" Latitude 52.0 Longitude 4.0 ]\n'
        '  node [ id 1 label "Y" Latitude 52.0 Longitude 4.5 ]\n'
        "  edge [ source 0 target 1 ]\n"
        "]\n"
    )
    assert load_gml(geo).length_km[0] == pytest.approx(34.2, abs=0.3)  # great-circle km


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("graph [ node [ id 0 label", "not a valid GML"),
        (
            'graph [ node [ id 0 label "A" ] node [ id 1 label "B" ] edge [ source 0 target 1 ] ]',
            "has no length",
        ),
        (
            'graph [ node [ id 0 label "A" ] node [ id 1 label "B" ] '
            "edge [ source 0 target 1 length_km -3 ] ]",
            "must be > 0 km",
        ),
        ('graph [ node [ id 0 label "A" ] ]', "no links"),
    ],
)
def test_malformed_gml_files_name_the_file_and_the_reason(tmp_path, text, message):
    path = tmp_path / "bad.gml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        load_gml(path)
    assert "bad.gml" in str(err.value)


def test_missing_gml_file_and_unknown_names_raise():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_gml("/nonexistent/net.gml")
    with pytest.raises(ValueError, match="unknown topology"):
        make_topology("ring")
    with pytest.raises(ValueError, match="n_end_nodes"):
        star(1)
    with pytest.raises(ValueError, match="link_km"):
        line6(link_km=-1.0)
    with pytest.raises(ValueError, match="directed"):
        from_networkx(nx.DiGraph([(0, 1)]), default_link_km=5.0)
    with pytest.raises(ValueError, match="duplicate"):
        QuantumTopology(
            "t",
            ("a", "a"),
            (0, 1),
            np.array([[0, 1]]),
            np.ones(1),
            np.ones(2, int),
            np.ones(2, int),
        )


def test_generated_demands_follow_the_qos_code():
    rng = np.random.default_rng(3)
    topo = h_shape()
    taskset = generate_demands(rng, topo, 400, "taskset")
    rates = {d.rate_hz for d in taskset}
    assert rates == {10 / 2**k for k in range(3, 7)}
    fids = np.array([d.fidelity_min for d in taskset])
    assert fids.min() >= 0.6 and fids.max() <= 0.9 and np.allclose(fids, np.round(fids, 3))
    assert all(d.source in topo.end_nodes and d.destination in topo.end_nodes for d in taskset)
    assert all(d.source != d.destination for d in taskset)
    random = generate_demands(rng, topo, 200, "random", fidelity=0.7)
    assert {d.rate_hz for d in random} == {10 / 2**k for k in range(7, 11)}
    assert {d.fidelity_min for d in random} == {0.7}
    assert Demand(0, 2, 0.6, 10 / 2**3).period_slots(0.01) == 80


def test_same_generator_seed_gives_the_same_demands():
    a = generate_demands(np.random.default_rng(9), star(), 6)
    b = generate_demands(np.random.default_rng(9), star(), 6)
    assert a == b


def test_load_demands_reach_the_load_with_power_of_two_rates():
    rng = np.random.default_rng(0)
    demands = load_demands(rng, star(), 20.0, 0.7, 0.01, lambda s, d: 30.0)
    total = sum(d.rate_hz for d in demands)
    assert total >= 20.0
    allowed = {1 / (0.01 * 2**i) for i in range(10)}
    assert all(d.rate_hz in allowed and d.rate_hz < 30.0 for d in demands)
    with pytest.raises(ValueError, match="could not reach"):
        load_demands(rng, star(), 5.0, 0.7, 0.01, lambda s, d: 0.0, max_tries=20)


def test_periodic_and_poisson_releases():
    demands = [Demand(0, 1, 0.6, 1.25), Demand(1, 2, 0.6, 0.15625)]
    periodic = release_slots(np.random.default_rng(0), demands, 1000, 0.01, "periodic")
    assert periodic[0].tolist() == list(range(0, 1000, 80))
    assert periodic[1].tolist() == [0, 640]
    poisson = release_slots(
        np.random.default_rng(0), [Demand(0, 1, 0.6, 1.25)], 400_000, 0.01, "poisson"
    )[0]
    assert (np.diff(poisson) >= 0).all() and poisson.max() < 400_000
    # mean gap 80 slots: 5000 releases expected, Poisson sd sqrt(5000) ~ 71
    assert abs(len(poisson) - 5000) < 4 * 71


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0, 0.6, 1.0), "two different nodes"),
        ((0, 1, 0.2, 1.0), "fidelity_min"),
        ((0, 1, 0.6, 0.0), "rate_hz"),
    ],
)
def test_bad_demands_raise(args, message):
    with pytest.raises(ValueError, match=message):
        Demand(*args)


def test_demands_must_join_end_nodes():
    with pytest.raises(ValueError, match="not an end node"):
        check_demands(star(), [Demand(0, 3, 0.6, 1.0)])
    with pytest.raises(ValueError, match="fidelity_range"):
        generate_demands(np.random.default_rng(0), star(), 2, fidelity_range=(0.9, 0.6))
