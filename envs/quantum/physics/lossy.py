"""Capacity bounds of chains and networks whose repeater stations are lossy (Laurenza, Walk,
Eisert, Pirandola, "Rate limits in quantum networks with lossy repeaters", PRR 4, 023158
(2022); ``shared/reference/seeds-more.md`` sections 1 and 6a).

Write C(x) = -log2(1 - x) (``plob_capacity``). Each repeater station r has a transmissivity
tau_r in (0, 1] (memory write and read, coupling, detection: everything a photon's quantum state
crosses inside the station); end users are lossless. Only the paper's abstract could be read,
so the two readings below are reconstructions, named after what each assumes:

* ``"station_as_link"``: node splitting. Station r becomes r_in -> r_out joined by its own
  pure-loss channel tau_r, which a cut may cross like any fibre hop. A chain is bounded by
  min(min_i C(eta_i), min_r C(tau_r)): adding stations never lifts the bound above C(tau) of
  the worst station (the abstract's "quantity which solely depends on the loss of a single
  station").
* ``"loss_in_hops"``: the station's loss acts on the photons of its adjacent hops (memory
  read-in from the left hop, read-out into the right one), so hop i between stations r and
  r + 1 is the channel tau_out(r) eta_i tau_in(r + 1), and the chain is bounded by
  min_i C(tau_out eta_i tau_in). A station given by one number tau splits it evenly,
  tau_in = tau_out = sqrt(tau), so that under both readings the station transmits tau in all
  and both bounds tend to C(tau) as the hops get short; give (tau_in, tau_out) pairs to place
  the loss otherwise.

Which reading holds for which strategy class (one-way or two-way classical communication) is
the paper's point and could not be checked here. Networks: ``node_split_min_cut_capacity`` is
the flooding bound on the node-split graph (node capacities C(tau_v), edge capacities
M_e C(eta_e)); ``widest_path_capacity`` the single-path (routing) bound with the same weights.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np

from .bounds import plob_capacity
from .checks import ArrayLike, check_nonnegative, check_probability
from .links import fibre_transmissivity

LOSSY_MODELS = ("station_as_link", "loss_in_hops")
"""the two readings of a lossy station (module docstring)"""


def _capacity(eta: float) -> float:
    """C(eta), with C(1) = inf (a lossless channel bounds nothing)."""
    return math.inf if eta >= 1.0 else float(plob_capacity(eta))


def _station_pairs(station_etas: ArrayLike, n_stations: int) -> np.ndarray:
    """(n_stations, 2) (tau_in, tau_out) from N station transmissivities or N pairs."""
    taus = np.asarray(station_etas, dtype=float)
    if taus.ndim == 0:
        taus = np.full(n_stations, float(taus))
    check_probability("station_etas", taus)
    if taus.ndim == 1:
        if taus.size != n_stations:
            raise ValueError(
                f"station_etas must hold one transmissivity per repeater station "
                f"({n_stations} for {n_stations + 1} hops), got {taus.size}"
            )
        half = np.sqrt(taus)
        return np.stack([half, half], axis=1)
    if taus.shape != (n_stations, 2):
        raise ValueError(
            f"station_etas must have shape ({n_stations},) or ({n_stations}, 2) "
            f"(tau_in, tau_out per station), got {taus.shape}"
        )
    return taus


def lossy_station_chain_capacity(
    link_etas: ArrayLike, station_etas: ArrayLike, model: str = "station_as_link"
) -> float:
    """Capacity bound (ebits per channel use) of a chain of lossy repeater stations.

    Args:
        link_etas: (N + 1,) transmissivities of the fibre hops, in [0, 1).
        station_etas: the N stations' transmissivities in (0, 1]: one number for all, N numbers,
            or (N, 2) pairs (tau_in, tau_out); a pair's product is the station's tau.
        model: ``"station_as_link"`` (min(min_i C(eta_i), min_r C(tau_r))) or
            ``"loss_in_hops"`` (min_i C(tau_out(r) eta_i tau_in(r + 1)), end users lossless);
            see the module docstring.

    Returns:
        The bound; with every tau = 1 it is ``repeater_chain_capacity(link_etas)``.

    Raises:
        ValueError: an unknown model, no hop, a transmissivity out of range, or a station count
            that is not len(link_etas) - 1.
    """
    if model not in LOSSY_MODELS:
        raise ValueError(f"model must be one of {LOSSY_MODELS}, got {model!r}")
    etas = np.atleast_1d(np.asarray(link_etas, dtype=float))
    if etas.ndim != 1 or etas.size == 0:
        raise ValueError(f"link_etas must be a list of at least one hop, got {link_etas!r}")
    hop_caps = np.atleast_1d(np.asarray(plob_capacity(etas)))  # checks [0, 1)
    pairs = _station_pairs(station_etas, etas.size - 1)
    if model == "station_as_link":
        station_caps = [_capacity(tau_in * tau_out) for tau_in, tau_out in pairs]
        return float(min([*hop_caps.tolist(), *station_caps]))
    out_side = np.concatenate([[1.0], pairs[:, 1]])  # station r's read-out into hop r
    in_side = np.concatenate([pairs[:, 0], [1.0]])  # station r + 1's read-in from hop r
    return float(np.min(plob_capacity(out_side * etas * in_side)))


def equal_spacing_lossy_chain_capacity(
    length_km: float,
    n_repeaters: int,
    station_eta: float | tuple[float, float],
    model: str = "station_as_link",
    atten_db_per_km: float = 0.2,
) -> float:
    """``lossy_station_chain_capacity`` of N equally spaced, equally lossy stations over
    ``length_km`` of fibre (``station_eta``: tau, or the pair (tau_in, tau_out))."""
    if isinstance(n_repeaters, bool) or int(n_repeaters) != n_repeaters or n_repeaters < 0:
        raise ValueError(f"n_repeaters must be an integer >= 0, got {n_repeaters!r}")
    n = int(n_repeaters)
    hop = float(fibre_transmissivity(float(check_nonnegative("length_km", length_km)) / (n + 1)))
    station = np.asarray(station_eta, dtype=float)
    if station.shape not in ((), (2,)):
        raise ValueError(f"station_eta must be tau or (tau_in, tau_out), got {station_eta!r}")
    stations = np.tile(station, (n, 1)) if station.shape == (2,) else np.full(n, float(station))
    return lossy_station_chain_capacity(np.full(n + 1, hop), stations, model)


def lossy_chain_capacity_limit(station_eta: float | tuple[float, float]) -> float:
    """C(tau), tau the station's transmissivity (tau_in tau_out for a pair): the limit of the
    equal-spacing bound as N grows, under both readings, and a ceiling that no number of
    stations passes (from one station on under ``station_as_link``, from two on under
    ``loss_in_hops``, where a lone station's hops each cross only one side of it)."""
    tau = float(np.prod(check_probability("station_eta", station_eta)))
    return _capacity(tau)


# ---------------------------------------------------------------------------- networks
def _edge_capacity(edge: tuple[Any, ...]) -> float:
    if len(edge) not in (3, 4):
        raise ValueError(f"edge must be (u, v, eta) or (u, v, eta, modes), got {edge!r}")
    modes = edge[3] if len(edge) == 4 else 1
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 1:
        raise ValueError(f"edge {edge!r}: modes must be an integer >= 1, got {modes!r}")
    return float(plob_capacity(edge[2])) * int(modes)


def _node_capacity(node: Hashable, value: Any) -> float:
    """C(tau) (times modes) of a node given tau or (tau, modes)."""
    tau, modes = value if isinstance(value, tuple) else (value, 1)
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 1:
        raise ValueError(f"node_etas[{node!r}]: modes must be an integer >= 1, got {modes!r}")
    check_probability(f"node_etas[{node!r}]", tau)
    return _capacity(float(tau)) * int(modes)


def _split_graph(
    edges: Iterable[tuple[Any, ...]],
    source: Hashable,
    target: Hashable,
    node_etas: Mapping[Hashable, Any] | None,
) -> tuple[dict[Any, dict[Any, float]], Any, Any]:
    """The directed node-split graph as {tail: {head: capacity}} (math.inf = unbounded) and
    its source and sink: node v becomes ("in", v) -> ("out", v) with capacity C(tau_v) (inf
    when lossless); an undirected edge (u, v) becomes ("out", u) -> ("in", v) and back, parallel
    edges adding up; the two users are not split."""
    node_etas = dict(node_etas or {})
    arcs: dict[Any, dict[Any, float]] = {}
    nodes: set[Hashable] = set()
    for edge in edges:
        cap = _edge_capacity(tuple(edge))
        u, v = edge[0], edge[1]
        nodes.update((u, v))
        for a, b in ((u, v), (v, u)):
            head = arcs.setdefault(("out", a), {})
            head[("in", b)] = head.get(("in", b), 0.0) + cap
    for name, node in (("source", source), ("target", target)):
        if node not in nodes:
            raise ValueError(f"{name} {node!r} is not a node of the network")
        if node in node_etas:
            raise ValueError(
                f"node_etas names the user {node!r}: end users are not split (their own loss "
                "scales every path alike); give the loss of repeater stations only"
            )
    if source == target:
        raise ValueError(f"source and target must differ, got {source!r} twice")
    unknown = set(node_etas) - nodes
    if unknown:
        raise ValueError(f"node_etas names nodes that are not in the network: {sorted(unknown)}")
    for node in nodes:
        cap = _node_capacity(node, node_etas[node]) if node in node_etas else math.inf
        if node in (source, target):
            cap = math.inf
        arcs.setdefault(("in", node), {})[("out", node)] = cap
    return arcs, ("in", source), ("out", target)


def node_split_min_cut_capacity(
    edges: Iterable[tuple[Any, ...]],
    source: Hashable,
    target: Hashable,
    node_etas: Mapping[Hashable, Any] | None = None,
) -> float:
    """Flooding bound of a network with lossy stations: the min cut of the node-split graph.

    Args:
        edges: undirected edges ``(u, v, eta)`` or ``(u, v, eta, modes)`` (capacity
            modes C(eta)); parallel edges add up.
        source, target: the two users (never split).
        node_etas: station -> tau, or (tau, modes) for a station with that many parallel
            internal channels; unnamed stations are lossless. Without it this is
            ``min_cut_capacity``.

    Raises:
        ValueError: a bad edge or station value, a user in ``node_etas``, an unknown node,
            ``source == target``, or no path between the users.
    """
    import networkx as nx

    arcs, s, t = _split_graph(edges, source, target, node_etas)
    graph = nx.DiGraph()
    for tail, heads in arcs.items():
        for head, cap in heads.items():
            if math.isinf(cap):
                graph.add_edge(tail, head)  # no capacity attribute: unbounded
            else:
                graph.add_edge(tail, head, capacity=cap)
    if not nx.has_path(graph, s, t):
        raise ValueError(f"nodes {source!r} and {target!r} are not connected")
    value, _ = nx.minimum_cut(graph, s, t)
    return float(value)


def widest_path_capacity(
    edges: Iterable[tuple[Any, ...]],
    source: Hashable,
    target: Hashable,
    node_etas: Mapping[Hashable, Any] | None = None,
) -> float:
    """Single-path (routing) bound: the max over paths of the min capacity along the path, its
    edges (M_e C(eta_e)) and its stations (C(tau_v)) alike; arguments as
    ``node_split_min_cut_capacity``. Never above the flooding bound."""
    arcs, s, t = _split_graph(edges, source, target, node_etas)
    best: dict[Any, float] = {s: math.inf}
    order = itertools.count()
    queue: list[tuple[float, int, Any]] = [(-math.inf, next(order), s)]
    while queue:
        width, _, node = heapq.heappop(queue)
        width = -width
        if node == t:
            return float(width)
        if width < best.get(node, -1.0):
            continue
        for head, cap in arcs.get(node, {}).items():
            through = min(width, cap)
            if through > best.get(head, -1.0):
                best[head] = through
                heapq.heappush(queue, (-through, next(order), head))
    raise ValueError(f"nodes {source!r} and {target!r} are not connected")


__all__ = [
    "LOSSY_MODELS",
    "equal_spacing_lossy_chain_capacity",
    "lossy_chain_capacity_limit",
    "lossy_station_chain_capacity",
    "node_split_min_cut_capacity",
    "widest_path_capacity",
]
