"""Communication graphs of DADAO and their spectral constants (reference/disttrain.md section 3).

A graph is an ``(E, 2)`` int array of edges over nodes ``0 .. n-1``. With edge-sampling
probabilities ``p`` (uniform: ``1/|E|``), ``Lambda = sum_e p_e (e_i - e_j)(e_i - e_j)^T``;
``chi1 = 1 / lambda_min^+(Lambda)`` and ``chi2 = max_e 1/2 (e_i - e_j)^T Lambda^+ (e_i - e_j)``,
the maximal edge resistance. DADAO's gossip clock has rate ``sqrt(2 chi1 chi2)``. The time-varying
random geometric graph cycles through ``K`` connected random geometric graphs (unit square,
radius ``r``; components are joined by one random edge each, as the DADAO repository does)
and its constants are the worst case over them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

GRAPHS = ("star", "complete", "cycle", "path", "grid", "barbell", "random_geometric")
"""graph families of ``AsyncGossip``"""


def build_graph(kind: str, n: int) -> np.ndarray:
    """Edges ``(E, 2)`` of a fixed graph family on ``n`` nodes.

    ``grid`` needs a square ``n`` (a sqrt(n) x sqrt(n) grid), ``barbell`` an even ``n`` (two
    complete graphs of n/2 nodes joined by one edge).

    Raises:
        ValueError: an unknown kind (``random_geometric`` is built by ``random_geometric``),
            ``n`` < 2, a non-square grid or an odd barbell.
    """
    if n < 2:
        raise ValueError(f"graph '{kind}' needs at least 2 nodes, got n = {n}")
    if kind == "star":
        g = nx.star_graph(n - 1)
    elif kind == "complete":
        g = nx.complete_graph(n)
    elif kind == "cycle":
        g = nx.cycle_graph(n) if n > 2 else nx.path_graph(n)
    elif kind == "path":
        g = nx.path_graph(n)
    elif kind == "grid":
        side = math.isqrt(n)
        if side * side != n or side < 2:
            raise ValueError(f"graph 'grid' needs a square n >= 4 (e.g. 16 for 4 x 4), got {n}")
        g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))
    elif kind == "barbell":
        if n % 2 or n < 4:
            raise ValueError(f"graph 'barbell' needs an even n >= 4, got {n}")
        g = nx.barbell_graph(n // 2, 0)
    else:
        raise ValueError(f"unknown graph {kind!r}; choose one of {list(GRAPHS)}")
    return np.array(sorted(tuple(sorted(e)) for e in g.edges), dtype=np.int64)


def random_geometric(
    n: int, radius: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A connected random geometric graph: ``(edges, positions (n, 2))``.

    Points uniform in the unit square, an edge between points closer than ``radius``; each
    connected component (in order of its smallest node) is joined to the next by one edge
    between two random nodes.
    """
    pos = rng.random((n, 2))
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    i, j = np.nonzero(np.triu(dist < radius, 1))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: c[0])
    for a, b in zip(comps[:-1], comps[1:], strict=False):
        g.add_edge(int(rng.choice(a)), int(rng.choice(b)))
    edges = np.array(sorted(tuple(sorted(e)) for e in g.edges), dtype=np.int64)
    return edges, pos


def laplacian(n: int, edges: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``sum_e w_e (e_i - e_j)(e_i - e_j)^T`` (``weights`` None: all 1)."""
    w = np.ones(len(edges)) if weights is None else np.asarray(weights, dtype=float)
    lap = np.zeros((n, n))
    i, j = edges[:, 0], edges[:, 1]
    np.add.at(lap, (i, i), w)
    np.add.at(lap, (j, j), w)
    np.add.at(lap, (i, j), -w)
    np.add.at(lap, (j, i), -w)
    return lap


def is_connected(n: int, edges: np.ndarray) -> bool:
    """Whether the graph on ``n`` nodes with these edges is connected."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges.tolist())
    return nx.is_connected(g)


@dataclass(frozen=True)
class Spectrum:
    """Spectral constants of one graph under edge probabilities ``p``."""

    chi1: float
    """1 / lambda_min^+ of Lambda = L_p (the p-weighted Laplacian)"""
    chi2: float
    """max over edges of 1/2 (e_i - e_j)^T Lambda^+ (e_i - e_j)"""
    chi: float
    """lambda_max / lambda_min^+ of the unweighted Laplacian (ADOM+'s chi)"""
    lambda_min: float
    """lambda_min^+ of the unweighted Laplacian"""
    lambda_max: float
    """lambda_max of the unweighted Laplacian"""

    @property
    def rate(self) -> float:
        """DADAO's gossip rate sqrt(2 chi1 chi2) (edges per unit time)."""
        return math.sqrt(2.0 * self.chi1 * self.chi2)


def spectrum(n: int, edges: np.ndarray, probs: np.ndarray | None = None) -> Spectrum:
    """chi1, chi2 (under edge probabilities ``probs``, None: uniform) and the plain Laplacian's
    extreme eigenvalues.

    Raises:
        ValueError: the graph (restricted to edges of positive probability) is disconnected.
    """
    m = len(edges)
    p = np.full(m, 1.0 / m) if probs is None else np.asarray(probs, dtype=float)
    if not is_connected(n, edges[p > 0]):
        raise ValueError(
            f"the gossip graph ({n} nodes, {int((p > 0).sum())} edges of positive probability) "
            "is disconnected, so the nodes cannot reach consensus; connect it or give every "
            "bridge edge a positive weight"
        )
    lam_p = np.linalg.eigh(laplacian(n, edges, p))
    chi1 = 1.0 / lam_p[0][1]
    # pseudo-inverse from the eigendecomposition (the kernel is the constant vector)
    vals, vecs = lam_p
    inv = np.where(np.arange(n) > 0, 1.0 / np.where(np.arange(n) > 0, vals, 1.0), 0.0)
    diff = vecs[edges[:, 0]] - vecs[edges[:, 1]]
    chi2 = 0.5 * float(np.max((diff * diff) @ inv))
    plain = np.linalg.eigvalsh(laplacian(n, edges))
    return Spectrum(chi1, chi2, plain[-1] / plain[1], float(plain[1]), float(plain[-1]))


@dataclass(frozen=True)
class GossipGraph:
    """The graph(s) a DADAO run gossips on."""

    n: int
    graphs: tuple[np.ndarray, ...]
    """edge arrays; one for a fixed graph, ``K`` for the time-varying random geometric one"""
    positions: tuple[np.ndarray | None, ...]
    """node positions of each graph (None for the fixed families)"""
    chi1: float
    """chi1 under uniform edge sampling (the worst case over ``graphs``)"""
    chi2: float
    """chi2 under uniform edge sampling (the worst case over ``graphs``)"""

    @property
    def period(self) -> float:
        """How long each graph lasts: 1 / chi1 when time-varying, else infinite."""
        return 1.0 / self.chi1 if len(self.graphs) > 1 else math.inf

    @property
    def rate(self) -> float:
        """DADAO's default gossip rate sqrt(2 chi1 chi2)."""
        return math.sqrt(2.0 * self.chi1 * self.chi2)


def gossip_graph(
    kind: str, n: int, rng: np.random.Generator, radius: float = 0.4, count: int = 50
) -> GossipGraph:
    """A fixed graph family, or ``random_geometric``: ``count`` connected random geometric
    graphs (switching every 1 / chi1) with their worst-case chi1 and chi2."""
    if kind != "random_geometric":
        edges = build_graph(kind, n)
        s = spectrum(n, edges)
        return GossipGraph(n, (edges,), (None,), s.chi1, s.chi2)
    drawn = [random_geometric(n, radius, rng) for _ in range(count)]
    spectra = [spectrum(n, e) for e, _ in drawn]
    return GossipGraph(
        n,
        tuple(e for e, _ in drawn),
        tuple(p for _, p in drawn),
        max(s.chi1 for s in spectra),
        max(s.chi2 for s in spectra),
    )


def rate_table(n: int, edges: np.ndarray) -> dict[str, float]:
    """Edges activated per unit time (one unit = one gradient per node) of each method, the
    formulas of the DADAO repository's ``print_communication_rates_fixed_topology``.

    DADAO and Continuized: sqrt(2 chi1 chi2); ADOM+: |E|; ADOM+ with multi-consensus:
    ceil(chi ln 2) |E|; MSDA: |E| floor(1 / sqrt(lambda_min^+ / lambda_max)).
    """
    s, m = spectrum(n, edges), len(edges)
    return {
        "DADAO": s.rate,
        "Continuized": s.rate,
        "ADOM+": float(m),
        "ADOM+ multi-consensus": float(math.ceil(s.chi * math.log(2.0)) * m),
        "MSDA": float(m * math.floor(1.0 / math.sqrt(s.lambda_min / s.lambda_max))),
    }


__all__ = [
    "GRAPHS",
    "GossipGraph",
    "gossip_graph",
    "Spectrum",
    "build_graph",
    "is_connected",
    "laplacian",
    "random_geometric",
    "rate_table",
    "spectrum",
]
