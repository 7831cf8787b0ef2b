"""Quantum-network topologies of the multi-user QoS scheduling env, and their candidate paths.

A ``QuantumTopology`` is plain data: node names, which nodes are end nodes (demands run between
end nodes; the others are repeaters), undirected edges with a fibre length in km, and the
communication and storage qubits of every node. Builders:

* the four small networks of Skrzypczyk & Wehner's QoS paper (arXiv:2111.13124, code
  ``mdskrzypczyk/LinkScheduling``, ``jobscheduling/topology.py``; all links 5 km, 1
  communication and 3 storage qubits per node): ``star``, ``h_shape``, ``line6``, ``symm8``;
* ``from_networkx`` for any ``networkx.Graph`` and ``load_gml`` for GML files (e.g. SURFnet,
  which netgym does not ship).

* ``grid`` (a lattice with end nodes at the corners, reference/quantum.md 6.2).

``candidate_paths`` (``paths.py``) lists the k shortest simple paths (by length) between two
nodes.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from .gml import read_gml_graph
from .paths import candidate_paths

DEFAULT_LINK_KM = 5.0
"""link length of the QoS paper's small networks"""
DEFAULT_COMM_QUBITS = 1
"""communication qubits per node in the QoS paper (NV electron spin)"""
DEFAULT_STORAGE_QUBITS = 3
"""storage qubits per node in the QoS paper (NV carbon spins)"""
EARTH_RADIUS_KM = 6371.0
_LENGTH_KEYS = ("length_km", "length", "distance_km", "distance", "weight")


@dataclass(frozen=True)
class QuantumTopology:
    """A quantum network: nodes, end nodes, fibre links and per-node qubits.

    Attributes:
        name: a label (the builder's name or the GML file).
        nodes: node names; node ``i`` of every array below is ``nodes[i]``.
        end_nodes: indices of the end nodes (the only valid demand sources and destinations).
        edges: (E, 2) node indices of the undirected links, ``edges[e, 0] < edges[e, 1]``.
        length_km: (E,) fibre length of every link.
        comm_qubits: (n,) communication qubits of every node (they attempt link generation).
        storage_qubits: (n,) storage qubits of every node (they hold generated pairs).
    """

    name: str
    nodes: tuple[str, ...]
    end_nodes: tuple[int, ...]
    edges: np.ndarray
    length_km: np.ndarray
    comm_qubits: np.ndarray
    storage_qubits: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.nodes)
        where = f"topology {self.name!r}"
        if n < 2:
            raise ValueError(f"{where} needs at least 2 nodes, got {n}")
        if len(set(self.nodes)) != n:
            raise ValueError(f"{where} has duplicate node names")
        if len(self.end_nodes) < 2:
            raise ValueError(f"{where} needs at least 2 end nodes, got {len(self.end_nodes)}")
        if any(not 0 <= i < n for i in self.end_nodes):
            raise ValueError(f"{where}: end node indices must be in [0, {n - 1}]")
        edges = np.asarray(self.edges)
        if edges.ndim != 2 or edges.shape[1] != 2 or len(edges) == 0:
            raise ValueError(f"{where}: edges must be a non-empty (E, 2) array")
        if (edges < 0).any() or (edges >= n).any() or (edges[:, 0] >= edges[:, 1]).any():
            raise ValueError(f"{where}: every edge must be (i, j) with 0 <= i < j < {n}")
        if len({tuple(e) for e in edges.tolist()}) != len(edges):
            raise ValueError(f"{where} has duplicate edges")
        if self.length_km.shape != (len(edges),):
            raise ValueError(f"{where}: length_km must have one entry per edge")
        if not np.isfinite(self.length_km).all() or (self.length_km <= 0).any():
            raise ValueError(f"{where}: link lengths must be finite and > 0 km")
        for field in ("comm_qubits", "storage_qubits"):
            qubits = getattr(self, field)
            if qubits.shape != (n,) or (qubits < 1).any():
                raise ValueError(f"{where}: {field} must be >= 1 for each of the {n} nodes")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of links."""
        return len(self.edges)

    def graph(self) -> nx.Graph:
        """The topology as a new ``networkx.Graph`` over node indices (edge attrs
        ``length_km``, ``index``; node attrs ``name``, ``end_node``, ``comm_qubits``,
        ``storage_qubits``)."""
        graph = nx.Graph()
        ends = set(self.end_nodes)
        for i, name in enumerate(self.nodes):
            graph.add_node(
                i,
                name=name,
                end_node=i in ends,
                comm_qubits=int(self.comm_qubits[i]),
                storage_qubits=int(self.storage_qubits[i]),
            )
        for index, (a, b) in enumerate(self.edges.tolist()):
            graph.add_edge(a, b, length_km=float(self.length_km[index]), index=index)
        return graph

    @cached_property
    def shared_graph(self) -> nx.Graph:
        """``graph()`` built once and shared: read it, never change it (path searches and
        demand draws use it, so that their cost does not include rebuilding the graph)."""
        return self.graph()

    @cached_property
    def _edge_of(self) -> dict[tuple[int, int], int]:
        return {(a, b): index for index, (a, b) in enumerate(self.edges.tolist())}

    @cached_property
    def path_memo(self) -> dict[tuple[int, int, int], list[tuple[int, ...]]]:
        """Candidate paths found so far, by (source, destination, k) (``candidate_paths``)."""
        return {}

    @cached_property
    def component_of(self) -> np.ndarray:
        """(n,) label of each node's connected component (labels 0, 1, ... in node order)."""
        labels = np.full(self.n_nodes, -1, dtype=np.int64)
        for label, nodes in enumerate(nx.connected_components(self.shared_graph)):
            labels[list(nodes)] = label
        return labels

    @cached_property
    def bridges(self) -> frozenset[int]:
        """Indices of the links whose removal disconnects their two ends (every simple path
        between the two sides uses them)."""
        return frozenset(
            self._edge_of[min(a, b), max(a, b)] for a, b in nx.bridges(self.shared_graph)
        )

    def edge_index(self, a: int, b: int) -> int:
        """Index of the link between nodes ``a`` and ``b``; ``ValueError`` if there is none."""
        index = self._edge_of.get((min(a, b), max(a, b)))
        if index is None:
            raise ValueError(f"topology {self.name!r} has no link {self.nodes[a]}-{self.nodes[b]}")
        return index

    def node_index(self, node: int | str) -> int:
        """Index of a node given by index or by name."""
        if isinstance(node, (int, np.integer)) and not isinstance(node, bool):
            if not 0 <= node < self.n_nodes:
                raise ValueError(f"node index {node} outside [0, {self.n_nodes - 1}]")
            return int(node)
        if node in self.nodes:
            return self.nodes.index(node)
        raise ValueError(f"topology {self.name!r} has no node {node!r}; nodes: {self.nodes}")


def _build(
    name: str,
    n_nodes: int,
    end_nodes: list[int],
    edges: list[tuple[int, int]],
    link_km: float,
    comm_qubits: int,
    storage_qubits: int,
) -> QuantumTopology:
    if not (isinstance(link_km, (int, float)) and math.isfinite(link_km) and link_km > 0):
        raise ValueError(f"link_km must be a finite number > 0, got {link_km!r}")
    for label, value in (("comm_qubits", comm_qubits), ("storage_qubits", storage_qubits)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be an integer >= 1, got {value!r}")
    pairs = np.array(sorted((min(a, b), max(a, b)) for a, b in edges), dtype=np.int64)
    return QuantumTopology(
        name=name,
        nodes=tuple(str(i) for i in range(n_nodes)),
        end_nodes=tuple(end_nodes),
        edges=pairs,
        length_km=np.full(len(pairs), float(link_km)),
        comm_qubits=np.full(n_nodes, comm_qubits, dtype=np.int64),
        storage_qubits=np.full(n_nodes, storage_qubits, dtype=np.int64),
    )


def star(
    n_end_nodes: int = 3,
    link_km: float = DEFAULT_LINK_KM,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """End nodes ``0 .. n_end_nodes - 1`` around a repeater (the last node).

    The QoS code's ``gen_star_topology`` uses 3 end nodes around centre ``3`` (the default).
    """
    if isinstance(n_end_nodes, bool) or not isinstance(n_end_nodes, int) or n_end_nodes < 2:
        raise ValueError(f"n_end_nodes must be an integer >= 2, got {n_end_nodes!r}")
    centre = n_end_nodes
    edges = [(i, centre) for i in range(n_end_nodes)]
    return _build(
        "star",
        n_end_nodes + 1,
        list(range(n_end_nodes)),
        edges,
        link_km,
        comm_qubits,
        storage_qubits,
    )


def h_shape(
    link_km: float = DEFAULT_LINK_KM,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """The H network: end nodes 0, 2, 3, 5; repeaters 1 and 4; links 0-1, 1-2, 1-4, 3-4, 4-5."""
    edges = [(0, 1), (1, 2), (1, 4), (3, 4), (4, 5)]
    return _build("H", 6, [0, 2, 3, 5], edges, link_km, comm_qubits, storage_qubits)


def line6(
    link_km: float = DEFAULT_LINK_KM,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """A line of 6 nodes; as in the QoS code every node is an end node (and can repeat)."""
    edges = [(i, i + 1) for i in range(5)]
    return _build("line6", 6, list(range(6)), edges, link_km, comm_qubits, storage_qubits)


def symm8(
    link_km: float = DEFAULT_LINK_KM,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """End nodes 0-3, each attached to one repeater of the complete graph K4 on nodes 4-7."""
    edges = [(i, i + 4) for i in range(4)] + list(itertools.combinations(range(4, 8), 2))
    return _build("symm8", 8, [0, 1, 2, 3], edges, link_km, comm_qubits, storage_qubits)


def grid(
    rows: int = 3,
    cols: int = 3,
    link_km: float = DEFAULT_LINK_KM,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """A rows x cols lattice (node ``r * cols + c``); the four corners are the end nodes and
    every other node is a repeater (reference/quantum.md 6.2 lists a grid beside the paper's)."""
    for label, value in (("rows", rows), ("cols", cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise ValueError(f"grid {label} must be an integer >= 2, got {value!r}")
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    corners = sorted({0, cols - 1, (rows - 1) * cols, rows * cols - 1})
    return _build("grid", rows * cols, corners, edges, link_km, comm_qubits, storage_qubits)


TOPOLOGIES = {"star": star, "H": h_shape, "line6": line6, "symm8": symm8, "grid": grid}
"""the QoS paper's small networks (and a 3 x 3 grid) by name"""


_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


def _as_bool(value: Any, where: str) -> bool:
    """A GML flag: a bool, 0 / 1, or the strings true / false, yes / no, 1 / 0 (any case)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{where} must be true or false (1 / 0, yes / no), got {value!r}")


def _coordinate(node: dict[str, Any], key: str, limit: float, where: str) -> float:
    """A node's ``Latitude`` (|x| <= 90) or ``Longitude`` (|x| <= 180) in degrees."""
    value = node[key]
    try:
        number = float(value) if not isinstance(value, (bool, np.bool_)) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise ValueError(
            f"{where} {key} must be a number of degrees in [-{limit:g}, {limit:g}], got {value!r}"
        )
    return number


def _haversine_km(a: dict[str, Any], b: dict[str, Any], where: tuple[str, str]) -> float:
    lat1, lon1, lat2, lon2 = (
        math.radians(_coordinate(node, key, limit, label))
        for node, label in ((a, where[0]), (b, where[1]))
        for key, limit in (("Latitude", 90.0), ("Longitude", 180.0))
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def from_networkx(
    graph: nx.Graph,
    name: str = "graph",
    *,
    default_link_km: float | None = None,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """A topology from any undirected ``networkx`` graph.

    Link lengths come from the first edge attribute among ``length_km``, ``length``,
    ``distance_km``, ``distance``, ``weight``; else from node ``Latitude``/``Longitude``
    (great-circle distance, as Topology Zoo GML files give them); else ``default_link_km``.
    End nodes are the nodes whose ``end_node`` attribute is true (a bool, 0 / 1 or the strings
    true / false, yes / no; anything else is refused); without that attribute, the nodes of
    degree 1, or every node if there are fewer than 2 of those. Node attributes
    ``comm_qubits`` / ``storage_qubits`` override the per-node defaults. Self-loops are refused;
    parallel edges of a multigraph are merged: the shortest is kept.

    Raises:
        ValueError: a directed graph, a self-loop, a link without a length, fewer than 2 end
            nodes, a non-positive length or qubit count, a coordinate that is not a number of
            degrees, or an ``end_node`` flag that is not true or false (the message names the
            node or link).
    """
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{name}: expected a networkx.Graph, got {type(graph).__name__}")
    if graph.is_directed():
        raise ValueError(f"{name}: quantum links are undirected; pass graph.to_undirected()")
    labels = list(graph.nodes)
    index = {label: i for i, label in enumerate(labels)}
    lengths: dict[tuple[int, int], float] = {}
    for u, v, data in graph.edges(data=True):
        if u == v:
            raise ValueError(f"{name}: self-loop at node {u!r}")
        length = next((data[key] for key in _LENGTH_KEYS if key in data), None)
        if length is None and all(
            k in graph.nodes[x] for x in (u, v) for k in ("Latitude", "Longitude")
        ):
            ends = (f"{name}: node {u!r}", f"{name}: node {v!r}")
            length = _haversine_km(graph.nodes[u], graph.nodes[v], ends)
        if length is None:
            length = default_link_km
        if length is None:
            raise ValueError(
                f"{name}: link {u!r}-{v!r} has no length (edge attribute one of {_LENGTH_KEYS}, "
                "node Latitude/Longitude, or pass default_link_km)"
            )
        try:
            if isinstance(length, (bool, np.bool_)):
                raise TypeError
            length = float(length)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}: link {u!r}-{v!r} length {length!r} is not a number"
            ) from None
        if not math.isfinite(length) or length <= 0:
            raise ValueError(f"{name}: link {u!r}-{v!r} length must be > 0 km, got {length}")
        key = (min(index[u], index[v]), max(index[u], index[v]))
        lengths[key] = min(length, lengths.get(key, math.inf))
    if not lengths:
        raise ValueError(f"{name}: the graph has no links")
    flagged = [i for i, label in enumerate(labels) if "end_node" in graph.nodes[label]]
    if flagged:
        ends = [
            i
            for i in flagged
            if _as_bool(graph.nodes[labels[i]]["end_node"], f"{name}: node {labels[i]!r} end_node")
        ]
    else:
        ends = [i for i, label in enumerate(labels) if graph.degree(label) == 1]
        if len(ends) < 2:
            ends = list(range(len(labels)))
    qubits = {}
    for field, default in (("comm_qubits", comm_qubits), ("storage_qubits", storage_qubits)):
        values = []
        for label in labels:
            value = graph.nodes[label].get(field, default)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"{name}: node {label!r} {field} must be an integer >= 1, got {value!r}"
                )
            values.append(int(value))
        qubits[field] = np.array(values, dtype=np.int64)
    keys = sorted(lengths)
    return QuantumTopology(
        name=name,
        nodes=tuple(str(label) for label in labels),
        end_nodes=tuple(ends),
        edges=np.array(keys, dtype=np.int64),
        length_km=np.array([lengths[k] for k in keys]),
        comm_qubits=qubits["comm_qubits"],
        storage_qubits=qubits["storage_qubits"],
    )


def load_gml(
    path: str | Path,
    *,
    default_link_km: float | None = None,
    comm_qubits: int = DEFAULT_COMM_QUBITS,
    storage_qubits: int = DEFAULT_STORAGE_QUBITS,
) -> QuantumTopology:
    """A topology from a GML file (see ``from_networkx`` for the attributes it reads).

    The file is checked before it is parsed (``gml.read_gml_graph``: a regular file, nesting,
    size against the memory budget). Parallel links, and the two directions of a directed
    file, are one link whose length is the shortest of them.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the path is not a regular file, or the file is not valid GML or its graph is
            not a usable topology; the message starts with the file name and says why.
    """
    graph, _ = read_gml_graph(path)
    return from_networkx(
        graph,
        name=str(path),
        default_link_km=default_link_km,
        comm_qubits=comm_qubits,
        storage_qubits=storage_qubits,
    )


def make_topology(spec: str | nx.Graph | QuantumTopology) -> QuantumTopology:
    """A topology from a name in ``TOPOLOGIES``, a path to a ``.gml`` file, a graph, or itself."""
    if isinstance(spec, QuantumTopology):
        return spec
    if isinstance(spec, nx.Graph):
        return from_networkx(spec)
    if isinstance(spec, (str, Path)):
        if str(spec) in TOPOLOGIES:
            return TOPOLOGIES[str(spec)]()
        if str(spec).lower().endswith(".gml"):
            return load_gml(spec)
        raise ValueError(
            f"unknown topology {spec!r}; known: {sorted(TOPOLOGIES)} or a path to a .gml file"
        )
    raise ValueError(f"topology must be a name, a .gml path or a networkx.Graph, got {spec!r}")


__all__ = [
    "TOPOLOGIES",
    "QuantumTopology",
    "candidate_paths",
    "from_networkx",
    "grid",
    "h_shape",
    "line6",
    "load_gml",
    "make_topology",
    "star",
    "symm8",
]
