"""Capacity bounds and exact waiting times of swap-asap chains (reference/quantum.md 2.1, 2.3)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from .checks import ArrayLike, check_nonnegative, check_probability, finite_array, scalar_or_array
from .links import fibre_transmissivity


# -------------------------------------------------------------------- 2.1 capacity bounds
def plob_capacity(eta: ArrayLike) -> Any:
    """PLOB repeaterless bound -log2(1 - eta) ebits per channel use, computed with log1p so it
    stays accurate (about 1.44 eta) down to eta = 1e-10 and below. eta must be in [0, 1)."""
    eta_arr = finite_array("eta", eta)
    if not np.all((eta_arr >= 0.0) & (eta_arr < 1.0)):
        raise ValueError(f"eta must be a transmissivity in [0, 1), got {eta!r}")
    return scalar_or_array(-np.log1p(-eta_arr) / math.log(2.0))


def repeater_chain_capacity(etas: ArrayLike) -> float:
    """Capacity of a chain of ideal repeaters: min over hops of -log2(1 - eta_i)."""
    values = np.atleast_1d(np.asarray(plob_capacity(etas)))
    if values.size == 0:
        raise ValueError("etas must hold at least one hop transmissivity")
    return float(values.min())


def equal_spacing_chain_capacity(
    length_km: float, n_repeaters: int, atten_db_per_km: float = 0.2
) -> float:
    """-log2(1 - eta^(1/(N+1))) for N equally spaced ideal repeaters over ``length_km``."""
    if isinstance(n_repeaters, bool) or int(n_repeaters) != n_repeaters or n_repeaters < 0:
        raise ValueError(f"n_repeaters must be an integer >= 0, got {n_repeaters!r}")
    hop_km = float(check_nonnegative("length_km", length_km)) / (n_repeaters + 1)
    return float(plob_capacity(fibre_transmissivity(hop_km, atten_db_per_km)))


def min_cut_capacity(
    edges: Iterable[tuple[Any, ...]],
    source: Hashable,
    target: Hashable,
) -> float:
    """Network (flooding) bound: min over cuts of sum_e M_e (-log2(1 - eta_e)) (reference 2.1).

    Args:
        edges: undirected edges ``(u, v, eta)`` or ``(u, v, eta, modes)``.
        source, target: the two users.

    Raises:
        ValueError: a bad edge (eta outside [0, 1), modes not an integer >= 1), an unknown
            endpoint, ``source == target``, or no path between them.
    """
    import networkx as nx

    graph = nx.Graph()
    for edge in edges:
        if len(edge) not in (3, 4):
            raise ValueError(f"edge must be (u, v, eta) or (u, v, eta, modes), got {edge!r}")
        u, v, eta = edge[0], edge[1], edge[2]
        modes = edge[3] if len(edge) == 4 else 1
        if (
            isinstance(modes, bool)
            or not isinstance(modes, (int, np.integer, float))
            or not math.isfinite(modes)
            or modes != int(modes)
            or modes < 1
        ):
            raise ValueError(f"edge {edge!r}: modes must be an integer >= 1, got {modes!r}")
        cap = float(plob_capacity(eta)) * int(modes)
        previous = graph.get_edge_data(u, v, {"capacity": 0.0})["capacity"]
        graph.add_edge(u, v, capacity=previous + cap)
    for name, node in (("source", source), ("target", target)):
        if node not in graph:
            raise ValueError(f"{name} {node!r} is not a node of the network")
    if source == target:
        raise ValueError(f"source and target must differ, got {source!r} twice")
    if not nx.has_path(graph, source, target):
        raise ValueError(f"nodes {source!r} and {target!r} are not connected")
    value, _ = nx.minimum_cut(graph.to_directed(), source, target)
    return float(value)


# --------------------------------------------------------------------- 2.3 waiting times
def two_link_swap_asap_mean_time(p: float, cutoff: float | None = math.inf) -> float:
    """E[T] (slots) of swap-asap on 2 links with deterministic swaps (reference 2.3).

    Without a cutoff (None or inf): (3 - 2p) / (p (2 - p)). With cutoff t (a link is discarded
    when its age reaches t): [1 + 2q(1 - q^t)] / [1 - q^2 - 2p q^(t+1)], q = 1 - p.
    """
    p = float(check_probability("p", p))
    if cutoff is None or (isinstance(cutoff, (int, float)) and math.isinf(cutoff)):
        return (3.0 - 2.0 * p) / (p * (2.0 - p))
    if (
        isinstance(cutoff, bool)
        or not isinstance(cutoff, (int, float))
        or int(cutoff) != cutoff
        or cutoff < 0
    ):
        raise ValueError(f"cutoff must be an integer >= 0, None or math.inf, got {cutoff!r}")
    q = 1.0 - p
    return (1.0 + 2.0 * q * (1.0 - q**cutoff)) / (1.0 - q * q - 2.0 * p * q ** (cutoff + 1))


def n_link_swap_asap_mean_time(p: float, n_links: int) -> float:
    """E[T] = sum_k (-1)^(k+1) C(n, k) / (1 - q^k): the maximum of n geometric times (swap-asap,
    deterministic swaps, no cutoff; reference 2.3)."""
    p = float(check_probability("p", p))
    if isinstance(n_links, bool) or int(n_links) != n_links or n_links < 1:
        raise ValueError(f"n_links must be an integer >= 1, got {n_links!r}")
    n_links = int(n_links)
    q = 1.0 - p
    return float(
        sum((-1) ** (k + 1) * math.comb(n_links, k) / (1.0 - q**k) for k in range(1, n_links + 1))
    )


def two_link_decay_expectation(p: float, decay_per_step: float) -> float:
    """E[x^D] = p (1 + q x) / ((2 - p)(1 - q x)) with D = |G1 - G2| the waiting link's storage
    time (2-link swap-asap, no cutoff): E[w_out] = w_link^2 E[x^D] (reference 2.3)."""
    p = float(check_probability("p", p))
    x = float(check_probability("decay_per_step", decay_per_step, allow_zero=True))
    q = 1.0 - p
    return p * (1.0 + q * x) / ((2.0 - p) * (1.0 - q * x))


def elementary_link_active_prob(p: float, cutoff: int) -> float:
    """Steady-state P(link active) = p (t + 1) / (1 + p t) of one link under cutoff t."""
    p = float(check_probability("p", p))
    if int(cutoff) != cutoff or cutoff < 0:
        raise ValueError(f"cutoff must be an integer >= 0, got {cutoff!r}")
    return p * (cutoff + 1) / (1.0 + p * cutoff)


__all__ = [
    "elementary_link_active_prob",
    "equal_spacing_chain_capacity",
    "min_cut_capacity",
    "n_link_swap_asap_mean_time",
    "plob_capacity",
    "repeater_chain_capacity",
    "two_link_decay_expectation",
    "two_link_swap_asap_mean_time",
]
