"""GML topology files: checked before parsing (regular file, nesting, size), and read without
silent surprises (the shortest of parallel or directed links, strict flags and coordinates)."""

from __future__ import annotations

import os

import pytest
from netgym.envs.core.budget import BUDGET_VARIABLE
from netgym.envs.quantum.gml import MAX_GML_DEPTH, scan_gml
from netgym.envs.quantum.scheduling.env import QuantumNetworkSchedulingEnv
from netgym.envs.quantum.topologies import load_gml

NODES = '  node [ id 0 label "A" ]\n  node [ id 1 label "B" ]\n'


def write(tmp_path, body: str, header: str = "", name: str = "net.gml"):
    path = tmp_path / name
    path.write_text(f"graph [\n{header}{body}]\n")
    return path


@pytest.mark.parametrize("order", [(3, 9), (9, 3)])
def test_parallel_links_keep_the_shortest_whatever_their_order(tmp_path, order):
    edges = "".join(f"  edge [ source 0 target 1 length_km {km} ]\n" for km in order)
    topo = load_gml(write(tmp_path, NODES + edges, "  multigraph 1\n"))
    assert topo.length_km.tolist() == [3.0]


@pytest.mark.parametrize("order", [(3, 9), (9, 3)])
def test_a_directed_pair_keeps_the_shorter_direction(tmp_path, order):
    edges = (
        f"  edge [ source 0 target 1 length_km {order[0]} ]\n"
        f"  edge [ source 1 target 0 length_km {order[1]} ]\n"
    )
    topo = load_gml(write(tmp_path, NODES + edges, "  directed 1\n"))
    assert topo.n_edges == 1 and topo.length_km.tolist() == [3.0]


@pytest.mark.parametrize("flag", ['"maybe"', "2", '"truthy"'])
def test_an_end_node_flag_that_is_not_true_or_false_is_refused(tmp_path, flag):
    body = (
        f'  node [ id 0 label "A" end_node {flag} ]\n  node [ id 1 label "B" end_node 1 ]\n'
        "  edge [ source 0 target 1 length_km 5 ]\n"
    )
    with pytest.raises(ValueError, match=r"net.gml: node 'A' end_node must be true or false"):
        load_gml(write(tmp_path, body))


@pytest.mark.parametrize(
    ("flag", "ends"), [('"yes"', (0, 1, 2)), ('"False"', (1, 2)), ("0", (1, 2))]
)
def test_end_node_flags_read_true_and_false_spellings(tmp_path, flag, ends):
    body = (
        f'  node [ id 0 label "A" end_node {flag} ]\n'
        '  node [ id 1 label "B" end_node 1 ]\n  node [ id 2 label "C" end_node 1 ]\n'
        "  edge [ source 0 target 1 length_km 5 ]\n  edge [ source 1 target 2 length_km 5 ]\n"
    )
    assert load_gml(write(tmp_path, body)).end_nodes == ends


@pytest.mark.parametrize(
    ("latitude", "message"),
    [('"north"', "Latitude must be a number of degrees"), ("91.0", r"in \[-90, 90\], got 91.0")],
)
def test_bad_coordinates_name_the_node_and_the_value(tmp_path, latitude, message):
    body = (
        f'  node [ id 0 label "X" Latitude {latitude} Longitude 4.0 ]\n'
        '  node [ id 1 label "Y" Latitude 52.0 Longitude 4.5 ]\n'
        "  edge [ source 0 target 1 ]\n"
    )
    with pytest.raises(ValueError, match=message) as err:
        load_gml(write(tmp_path, body))
    assert "node 'X'" in str(err.value) and "net.gml" in str(err.value)


def test_numeric_string_coordinates_are_read_as_numbers(tmp_path):
    body = (
        '  node [ id 0 label "X" Latitude "52.0" Longitude "4.0" ]\n'
        '  node [ id 1 label "Y" Latitude 52.0 Longitude 4.5 ]\n'
        "  edge [ source 0 target 1 ]\n"
    )
    assert load_gml(write(tmp_path, body)).length_km[0] == pytest.approx(34.2, abs=0.3)


def test_a_deeply_nested_file_is_refused_with_its_line(tmp_path):
    nested = "  x " + "[ y " * 5000 + "]" * 5000 + "\n"
    path = write(tmp_path, NODES + "  edge [ source 0 target 1 length_km 5 ]\n" + nested)
    with pytest.raises(
        ValueError,
        match=rf"net.gml line 5: GML lists are nested deeper than "
        rf"{MAX_GML_DEPTH} levels",
    ):
        load_gml(path)


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting(tmp_path):
    body = (
        '  node [ id 0 label "[[[[[[[[[[[[[[[[[[[[" ] # [[[[[[[[[[[[[[[[[[[[[[\n'
        '  node [ id 1 label "B\n[[[[[[[[[[[[[[[[[[[[[[[[["\n  ]\n'
        "  edge [ source 0 target 1 length_km 5 ]\n"
    )
    path = write(tmp_path, body)
    scan = scan_gml(path)
    assert (scan.n_nodes, scan.n_edges, scan.max_depth) == (2, 1, 2)
    assert load_gml(path).n_edges == 1


def test_a_file_over_the_memory_budget_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    body = NODES + "  edge [ source 0 target 1 length_km 5 ]\n" + "  comment 1\n" * 5000
    path = write(tmp_path, body)
    monkeypatch.setenv(BUDGET_VARIABLE, "1MB")
    with pytest.raises(ValueError, match=r"GML topology loader: .*net.gml: \d+ bytes"):
        load_gml(path)
    monkeypatch.setenv(BUDGET_VARIABLE, "1GB")
    assert load_gml(path).n_edges == 1


def test_a_directory_is_not_reported_as_missing(tmp_path):
    folder = tmp_path / "folder.gml"
    folder.mkdir()
    with pytest.raises(ValueError, match="folder.gml is a directory"):
        load_gml(folder)
    with pytest.raises(ValueError, match="is a directory"):
        QuantumNetworkSchedulingEnv(topology=str(folder))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_fifo_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe.gml"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="pipe.gml is a FIFO"):
        load_gml(fifo)  # opening it would block: the test would hang


def test_a_missing_file_is_still_reported_as_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_gml(tmp_path / "absent.gml")


def test_an_empty_path_is_not_read_as_the_current_folder():
    with pytest.raises(ValueError, match="GML topology file path is empty"):
        load_gml("")
