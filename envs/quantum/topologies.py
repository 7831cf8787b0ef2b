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

``candidate_paths`` lists the k shortest simple paths (by length) between two nodes.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

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
        """The topology as a ``networkx.Graph`` over node indices (edge attrs ``length_km``,
        ``index``; node attrs ``name``, ``end_node``, ``comm_qubits``, ``storage_qubits``)."""
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

    def edge_index(self, a: int, b: int) -> int:
        """Index of the link between nodes ``a`` and ``b``; ``ValueError`` if there is none."""
        lo, hi = min(a, b), max(a, b)
        hits = np.flatnonzero((self.edges[:, 0] == lo) & (self.edges[:, 1] == hi))
        if len(hits) == 0:
            raise ValueError(f"topology {self.name!r} has no link {self.nodes[a]}-{self.nodes[b]}")
        return int(hits[0])

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


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _haversine_km(a: dict[str, Any], b: dict[str, Any]) -> float:
    lat1, lon1, lat2, lon2 = (
        math.radians(float(x))
        for x in (a["Latitude"], a["Longitude"], b["Latitude"], b["Longitude"])
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
    End nodes are the nodes whose ``end_node`` attribute is true; without that attribute, the
    nodes of degree 1, or every node if there are fewer than 2 of those. Node attributes
    ``comm_qubits`` / ``storage_qubits`` override the per-node defaults. Self-loops are refused;
    parallel edges of a multigraph are merged (the shortest is kept).

    Raises:
        ValueError: a directed graph, a self-loop, a link without a length, fewer than 2 end
            nodes, or a non-positive length or qubit count (the message names the node/link).
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
            length = _haversine_km(graph.nodes[u], graph.nodes[v])
        if length is None:
            length = default_link_km
        if length is None:
            raise ValueError(
                f"{name}: link {u!r}-{v!r} has no length (edge attribute one of {_LENGTH_KEYS}, "
                "node Latitude/Longitude, or pass default_link_km)"
            )
        try:
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
        ends = [i for i in flagged if _as_bool(graph.nodes[labels[i]]["end_node"])]
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

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not valid GML or its graph is not a usable topology; the
            message starts with the file name and says why.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"GML topology file {path} does not exist")
    try:
        graph = nx.read_gml(path, label="label")
    except (nx.NetworkXError, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a valid GML topology ({err})") from None
    if isinstance(graph, (nx.MultiGraph, nx.MultiDiGraph)) or graph.is_directed():
        graph = nx.Graph(graph.to_undirected())
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


def candidate_paths(
    topology: QuantumTopology, source: int | str, destination: int | str, k: int
) -> list[tuple[int, ...]]:
    """The (at most) ``k`` shortest simple paths from ``source`` to ``destination`` by length.

    Ties in length are broken by fewer hops, then lexicographically, so the order is
    deterministic. Returns node-index tuples starting at ``source``.

    Raises:
        ValueError: ``k < 1``, equal endpoints, or no path between the two nodes.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    src, dst = topology.node_index(source), topology.node_index(destination)
    if src == dst:
        raise ValueError(f"a demand needs two different nodes, got {topology.nodes[src]!r} twice")
    graph = topology.graph()
    if not nx.has_path(graph, src, dst):
        raise ValueError(
            f"nodes {topology.nodes[src]!r} and {topology.nodes[dst]!r} are not connected in "
            f"topology {topology.name!r}; a demand between them can never be served"
        )
    found: list[tuple[float, int, tuple[int, ...]]] = []
    paths = nx.shortest_simple_paths(graph, src, dst, weight="length_km")
    for path in paths:
        length = sum(graph.edges[a, b]["length_km"] for a, b in itertools.pairwise(path))
        found.append((round(length, 9), len(path), tuple(path)))
        if len(found) >= 4 * k:  # enough to order ties deterministically
            break
    found.sort()
    return [path for _, _, path in found[:k]]


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
