"""Candidate paths of the scheduling env: the k shortest simple paths between two nodes.

``candidate_paths`` runs Yen's algorithm (``networkx.shortest_simple_paths``) once per
(source, destination, k) and topology and remembers the answer (``QuantumTopology.path_memo``),
so that many demands between the same nodes cost one search. When every link of the shortest
path is a bridge (trees, lines, the QoS paper's star and H networks) that path is the only
simple path and no search for more is made: Yen's algorithm would otherwise try a spur path from
every node of it, quadratic in the path length.

Otherwise Yen's algorithm runs a shortest-path search from every node of each path it has
found; ``path_search_seconds`` estimates that from the first path's length, and a search
estimated above ``PATH_SEARCH_LIMIT_S`` is refused before it starts (a 20,000-node ring would
otherwise run for hours).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from .topologies import QuantumTopology

SEARCH_SECONDS_PER_VISIT = 2e-6
"""networkx's cost of one node or link visit in a shortest-path search, an upper estimate
(about 0.5 us measured on a 2-core machine)"""
PATH_SEARCH_LIMIT_S = 60.0
"""the longest estimated search ``candidate_paths`` starts"""
MEMO_SIZE = 4096
"""searches a topology remembers; the memo starts over when it is full (a network with many
end nodes would otherwise keep the paths of every pair any episode ever drew)"""


def candidate_paths(
    topology: QuantumTopology, source: int | str, destination: int | str, k: int
) -> list[tuple[int, ...]]:
    """The (at most) ``k`` shortest simple paths from ``source`` to ``destination`` by length.

    Ties in length are broken by fewer hops, then lexicographically, so the order is
    deterministic. Returns node-index tuples starting at ``source`` (a new list; the tuples are
    shared with the topology's memo).

    Raises:
        ValueError: ``k < 1``, equal endpoints, no path between the two nodes, or a search
            estimated above ``PATH_SEARCH_LIMIT_S`` (``path_search_seconds``).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    src, dst = topology.node_index(source), topology.node_index(destination)
    if src == dst:
        raise ValueError(f"a demand needs two different nodes, got {topology.nodes[src]!r} twice")
    memo = topology.path_memo
    only = memo.get((src, dst, 0))  # the only path between them, whatever k
    if only is not None:
        return list(only)
    key = (src, dst, int(k))
    if key not in memo:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = _search(topology, src, dst, int(k))
        if len(memo[key]) == 1 and _is_only_path(topology, memo[key][0]):
            memo[src, dst, 0] = memo.pop(key)
            return list(memo[src, dst, 0])
    return list(memo[key])


def _is_only_path(topology: QuantumTopology, path: tuple[int, ...]) -> bool:
    """Whether every link of ``path`` is a bridge: then every simple path between its ends
    crosses the same links, so it is the only one."""
    hops = zip(path[:-1], path[1:], strict=True)
    return all(topology.edge_index(a, b) in topology.bridges for a, b in hops)


def _search(topology: QuantumTopology, src: int, dst: int, k: int) -> list[tuple[int, ...]]:
    graph = topology.shared_graph
    if topology.component_of[src] != topology.component_of[dst]:
        raise ValueError(
            f"nodes {topology.nodes[src]!r} and {topology.nodes[dst]!r} are not connected in "
            f"topology {topology.name!r}; a demand between them can never be served"
        )
    if len(topology.bridges) == topology.n_edges:  # a forest: one path, found breadth-first
        return [tuple(nx.shortest_path(graph, src, dst))]
    paths = nx.shortest_simple_paths(graph, src, dst, weight="length_km")
    first = tuple(next(paths))
    if _is_only_path(topology, first):
        return [first]
    seconds = path_search_seconds(topology, k, len(first))
    if seconds > PATH_SEARCH_LIMIT_S:
        raise ValueError(
            f"topology {topology.name!r}: finding {k} path(s) from {topology.nodes[src]!r} to "
            f"{topology.nodes[dst]!r} (the shortest has {len(first)} nodes) would take about "
            f"{seconds:.0f} s on {topology.n_nodes} nodes and {topology.n_edges} links, over the "
            f"{PATH_SEARCH_LIMIT_S:g} s limit; ask for fewer paths (n_paths) or use a smaller "
            "topology"
        )
    found: list[tuple[float, int, tuple[int, ...]]] = []
    for path in itertools.chain([first], paths):
        length = sum(graph.edges[a, b]["length_km"] for a, b in itertools.pairwise(path))
        found.append((round(length, 9), len(path), tuple(path)))
        if len(found) >= 4 * k:  # enough to order ties deterministically
            break
    found.sort()
    return [path for _, _, path in found[:k]]


def path_search_seconds(topology: QuantumTopology, k: int, path_nodes: int) -> float:
    """Estimated seconds of Yen's search for ``k`` paths whose shortest has ``path_nodes``.

    It collects up to 4 k paths, each found by a shortest-path search (every node and link
    visited once, ``SEARCH_SECONDS_PER_VISIT``) from every node of the previous one, taken as
    long as the shortest (an estimate: later paths can be longer).
    """
    visits = topology.n_nodes + topology.n_edges
    return SEARCH_SECONDS_PER_VISIT * visits * (1 + 4 * k * path_nodes)


__all__ = [
    "MEMO_SIZE",
    "PATH_SEARCH_LIMIT_S",
    "SEARCH_SECONDS_PER_VISIT",
    "candidate_paths",
    "path_search_seconds",
]
