"""Rank placement (which NIC each rank of a collective uses) and link failures.

Placements (reference section 6, E1 "placement"): ``random`` (a uniformly random set of
NICs in random order, the hard case for ECMP), ``compact`` (rank r on NIC r: consecutive
ranks share a leaf, so a ring crosses the fabric only at leaf boundaries) and ``spread``
(round-robin over the edge switches: consecutive ranks sit on different switches).
"""

from __future__ import annotations

import numpy as np

from .topology import Fabric

PLACEMENTS = ("random", "compact", "spread")
FAILURE_SCOPES = ("tier1", "switch")
"""which links ``draw_failures`` picks: 'tier1' = edge-switch uplinks only (the leaf -> spine
links of the reference's degraded-uplink case); 'switch' = any switch-to-switch link"""


def place_ranks(
    fabric: Fabric, n_ranks: int, kind: str, rng: np.random.Generator | None = None
) -> np.ndarray:
    """(n_ranks,) the NIC of each rank.

    Raises:
        ValueError: more ranks than NICs, or an unknown placement.
    """
    if n_ranks > fabric.n_nics:
        raise ValueError(
            f"a collective over {n_ranks} ranks needs at least {n_ranks} NICs; the "
            f"{fabric.name} fabric has {fabric.n_nics}"
        )
    if kind == "compact":
        return np.arange(n_ranks)
    if kind == "spread":
        order = np.lexsort((fabric.nic_switch, _slot_in_switch(fabric)))
        return order[:n_ranks]
    if kind == "random":
        if rng is None:
            raise ValueError("the random placement needs a numpy Generator")
        return rng.permutation(fabric.n_nics)[:n_ranks]
    raise ValueError(f"unknown placement {kind!r}; known: {list(PLACEMENTS)}")


def _slot_in_switch(fabric: Fabric) -> np.ndarray:
    """(N,) index of each NIC among the NICs of its edge switch."""
    order = np.argsort(fabric.nic_switch, kind="stable")
    slot = np.empty(fabric.n_nics, dtype=np.int64)
    counts = np.bincount(fabric.nic_switch, minlength=fabric.n_switches)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot[order] = np.arange(fabric.n_nics) - np.repeat(starts, counts)
    return slot


def draw_failures(
    fabric: Fabric, count: int, factor: float, scope: str, rng: np.random.Generator
) -> np.ndarray:
    """(n_links,) capacity factors with ``count`` distinct links of ``scope`` at ``factor``.

    Raises:
        ValueError: more failures than links in scope, or an unknown scope.
    """
    if scope == "tier1":
        candidates = np.flatnonzero(fabric.link_kind == 2)
    elif scope == "switch":
        candidates = fabric.fabric_links()
    else:
        raise ValueError(f"unknown failure scope {scope!r}; known: {list(FAILURE_SCOPES)}")
    if count > len(candidates):
        raise ValueError(
            f"cannot degrade {count} links: the {fabric.name} fabric has {len(candidates)} "
            f"links in scope {scope!r}"
        )
    factors = np.ones(fabric.n_links)
    if count:
        factors[rng.choice(candidates, size=count, replace=False)] = factor
    return factors


__all__ = ["FAILURE_SCOPES", "PLACEMENTS", "draw_failures", "place_ranks"]
