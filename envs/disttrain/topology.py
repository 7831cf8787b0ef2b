"""Fabrics of the distributed-training family: leaf-spine, k-ary fat-tree, rail-optimised.

A ``Fabric`` is a set of directed links with capacities (bytes/s) and, for every ordered pair
of edge switches (leaves, ToRs), its equal-cost paths as an integer array of link ids
(reference/disttrain.md section 6, "topology"). Link ids are laid out as:

- ``0 .. N-1``: the uplink of NIC i (NIC -> its edge switch), id ``i``;
- ``N .. 2N-1``: the downlink of NIC i (edge switch -> NIC), id ``N + i``;
- ``2N ..``: the switch-to-switch links of the topology;
- ``n_links``: the *null link*, capacity infinity, that pads shorter paths.

``paths[a, b]`` is a ``(P, H)`` array: path ``p`` from edge switch ``a`` to ``b`` crosses the
switch links ``paths[a, b, p]`` (null-padded); only the first ``n_paths[a, b]`` rows are
paths (the others repeat path 0). Within one edge switch there is one path with no switch link.
A flow's whole route is ``[src NIC uplink] + paths[a, b, p] + [dst NIC downlink]``.

Capacity factors model degraded (0 < factor < 1) or failed (factor 0) links:
``fabric.with_factors(factors)`` scales the capacities; a path is *alive* when none of its
links has factor 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.validation import check_range

NULL_CAPACITY = math.inf
"""capacity of the null link that pads paths"""
LINK_KINDS = ("nic_up", "nic_down", "tier1_up", "tier1_down", "tier2_up", "tier2_down")
"""link kind codes: NIC links, edge<->spine/aggregation links (tier 1), aggregation<->core
(tier 2, fat-tree only)"""
GBPS = 1e9 / 8
"""bytes/s in one Gbit/s"""


@dataclass(frozen=True, eq=False)
class Fabric:
    """A datacenter fabric: links, capacities and equal-cost path tables (see the module doc)."""

    name: str
    """'leaf_spine', 'fat_tree' or 'rail_optimised'"""
    n_nics: int
    """N, the NICs (one per GPU / rank slot)"""
    nic_switch: np.ndarray
    """(N,) edge switch of each NIC"""
    n_switches: int
    """E, the edge switches (leaves, ToRs)"""
    capacity: np.ndarray
    """(n_links + 1,) bytes/s of every link, the null link last (inf)"""
    base_capacity: np.ndarray
    """(n_links + 1,) capacities before the factors"""
    factors: np.ndarray
    """(n_links + 1,) capacity factors in [0, 1] (1 = healthy, 0 = failed); null link 1"""
    link_kind: np.ndarray
    """(n_links,) index into ``LINK_KINDS``"""
    paths: np.ndarray
    """(E, E, P, H) int32 switch-link ids of the equal-cost paths, null-padded"""
    n_paths: np.ndarray
    """(E, E) number of equal-cost paths of each switch pair"""
    nic_bps: float
    """NIC line rate B, bytes/s"""
    up_links: tuple[np.ndarray, ...]
    """per edge switch, its links toward the fabric (first hops of its paths)"""
    down_links: tuple[np.ndarray, ...]
    """per edge switch, the fabric's links into it (last hops of the paths to it)"""

    @property
    def n_links(self) -> int:
        """Real links (the null link's id)."""
        return len(self.link_kind)

    @property
    def null_link(self) -> int:
        """Id of the null link."""
        return len(self.link_kind)

    @property
    def max_paths(self) -> int:
        """P, the most equal-cost paths of any switch pair."""
        return int(self.paths.shape[2])

    @property
    def healthy(self) -> bool:
        """Every link at full capacity."""
        return bool((self.factors == 1.0).all())

    def with_factors(self, factors: np.ndarray) -> Fabric:
        """A copy whose link capacities are scaled by ``factors`` ((n_links,), each in [0, 1]).

        Raises:
            ValueError: wrong length, NaN, or a factor outside [0, 1].
        """
        factors = np.asarray(factors, dtype=float)
        if factors.shape != (self.n_links,):
            raise ValueError(
                f"capacity factors must have one entry per link ({self.n_links}), "
                f"got shape {factors.shape}"
            )
        if not np.isfinite(factors).all() or (factors < 0).any() or (factors > 1).any():
            bad = int(np.flatnonzero(~((factors >= 0) & (factors <= 1)))[0])
            raise ValueError(
                f"capacity factors must be in [0, 1] (0 = failed link), got {factors[bad]} "
                f"for link {bad} ({LINK_KINDS[self.link_kind[bad]]})"
            )
        full = np.append(factors, 1.0)
        return Fabric(
            name=self.name,
            n_nics=self.n_nics,
            nic_switch=self.nic_switch,
            n_switches=self.n_switches,
            capacity=self.base_capacity * full,
            base_capacity=self.base_capacity,
            factors=full,
            link_kind=self.link_kind,
            paths=self.paths,
            n_paths=self.n_paths,
            nic_bps=self.nic_bps,
            up_links=self.up_links,
            down_links=self.down_links,
        )

    def path_alive(self, a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
        """Alive mask of the paths of switch pairs ``(a, b)``: shape ``(..., P)``; a path is
        alive when it exists (index < n_paths) and none of its links has failed."""
        links = self.paths[a, b]
        alive = (self.factors[links] > 0).all(axis=-1)
        exists = np.arange(self.max_paths) < np.asarray(self.n_paths[a, b])[..., None]
        return alive & exists

    def links_of(self, src: np.ndarray, dst: np.ndarray, path: np.ndarray) -> np.ndarray:
        """(F, H + 2) link ids of flows ``src -> dst`` (NIC ids) on path indices ``path``:
        the source NIC's uplink, the switch links, the destination NIC's downlink."""
        a, b = self.nic_switch[src], self.nic_switch[dst]
        middle = self.paths[a, b, path]
        return np.concatenate([src[:, None], middle, (self.n_nics + dst)[:, None]], axis=1)

    def fabric_links(self) -> np.ndarray:
        """Ids of the switch-to-switch links (not the NIC links)."""
        return np.arange(2 * self.n_nics, self.n_links)


def _check_sizes(owner: str, **sizes: int) -> None:
    for name, value in sizes.items():
        check_range(owner, name, value, low=1, integer=True)


def _check_rate(owner: str, name: str, value: float) -> None:
    check_range(owner, name, value, low=0.0, low_inclusive=False)


def _assemble(
    name: str,
    nic_switch: np.ndarray,
    n_switches: int,
    nic_bps: float,
    switch_caps: np.ndarray,
    switch_kinds: np.ndarray,
    paths: np.ndarray,
    n_paths: np.ndarray,
    up_links: list[np.ndarray],
    down_links: list[np.ndarray],
) -> Fabric:
    n = len(nic_switch)
    capacity = np.concatenate([np.full(2 * n, float(nic_bps)), switch_caps, [NULL_CAPACITY]])
    kinds = np.concatenate([np.zeros(n, np.int8), np.ones(n, np.int8), switch_kinds])
    offset = 2 * n
    shifted = np.where(paths >= 0, paths + offset, len(kinds)).astype(np.int32)
    return Fabric(
        name=name,
        n_nics=n,
        nic_switch=nic_switch.astype(np.int64),
        n_switches=n_switches,
        capacity=capacity,
        base_capacity=capacity.copy(),
        factors=np.ones(len(capacity)),
        link_kind=kinds,
        paths=shifted,
        n_paths=n_paths.astype(np.int64),
        nic_bps=float(nic_bps),
        up_links=tuple(np.asarray(u) + offset for u in up_links),
        down_links=tuple(np.asarray(d) + offset for d in down_links),
    )


def _two_tier(
    name: str, nic_switch: np.ndarray, leaves: int, spines: int, nic_bps: float, uplink_bps: float
) -> Fabric:
    """Leaves fully meshed to spines: up (leaf a -> spine s) = a S + s, down (s -> leaf b) =
    L S + b S + s (before the NIC-link offset)."""
    up = np.arange(leaves * spines).reshape(leaves, spines)
    down = leaves * spines + up
    paths = np.full((leaves, leaves, spines, 2), -1, dtype=np.int64)
    paths[:, :, :, 0] = up[:, None, :]
    paths[:, :, :, 1] = down[None, :, :]
    same = np.arange(leaves)
    paths[same, same] = -1
    n_paths = np.full((leaves, leaves), spines)
    n_paths[same, same] = 1
    caps = np.full(2 * leaves * spines, float(uplink_bps))
    kinds = np.concatenate(
        [np.full(leaves * spines, 2, np.int8), np.full(leaves * spines, 3, np.int8)]
    )
    return _assemble(
        name,
        nic_switch,
        leaves,
        nic_bps,
        caps,
        kinds,
        paths,
        n_paths,
        list(up),
        list(down),
    )


def leaf_spine(
    leaves: int,
    spines: int,
    hosts_per_leaf: int,
    nic_gbps: float = 400.0,
    oversubscription: float = 1.0,
) -> Fabric:
    """A two-tier leaf-spine fabric: ``leaves`` x ``hosts_per_leaf`` NICs, every leaf linked to
    every spine. The uplink capacity is ``C_up = H B / (S o)``, so the fabric is non-blocking
    at ``oversubscription`` o = 1 (reference section 1, "Fabric").

    Raises:
        ValueError: a size below 1, or a rate or oversubscription that is not positive.
    """
    _check_sizes("leaf_spine", leaves=leaves, spines=spines, hosts_per_leaf=hosts_per_leaf)
    _check_rate("leaf_spine", "nic_gbps", nic_gbps)
    _check_rate("leaf_spine", "oversubscription", oversubscription)
    nic_bps = nic_gbps * GBPS
    uplink = hosts_per_leaf * nic_bps / (spines * oversubscription)
    nic_switch = np.repeat(np.arange(leaves), hosts_per_leaf)
    return _two_tier("leaf_spine", nic_switch, leaves, spines, nic_bps, uplink)


def rail_optimised(
    rails: int,
    servers: int,
    hosts_per_leaf: int,
    spines: int,
    nic_gbps: float = 400.0,
    oversubscription: float = 1.0,
) -> Fabric:
    """A rail-optimised fabric: ``servers`` servers with ``rails`` GPUs each; NIC ``r`` of
    server ``m`` (NIC id ``m R + r``) attaches to a leaf of rail ``r``, each rail leaf holding
    ``hosts_per_leaf`` servers' NICs of that rail; all leaves meet at ``spines`` spines.
    Flows between rails cross the spine layer (no NVLink forwarding, PXN, is modelled).

    Raises:
        ValueError: a size below 1, ``servers`` not a multiple of ``hosts_per_leaf``, or a
            rate that is not positive.
    """
    owner = "rail_optimised"
    _check_sizes(owner, rails=rails, servers=servers, hosts_per_leaf=hosts_per_leaf, spines=spines)
    _check_rate(owner, "nic_gbps", nic_gbps)
    _check_rate(owner, "oversubscription", oversubscription)
    if servers % hosts_per_leaf:
        raise ValueError(
            f"rail_optimised: servers ({servers}) must be a multiple of hosts_per_leaf "
            f"({hosts_per_leaf}) so that every rail leaf is full"
        )
    groups = servers // hosts_per_leaf
    server = np.repeat(np.arange(servers), rails)
    rail = np.tile(np.arange(rails), servers)
    nic_switch = rail * groups + server // hosts_per_leaf
    nic_bps = nic_gbps * GBPS
    uplink = hosts_per_leaf * nic_bps / (spines * oversubscription)
    return _two_tier("rail_optimised", nic_switch, rails * groups, spines, nic_bps, uplink)


def fat_tree(k: int, nic_gbps: float = 400.0, oversubscription: float = 1.0) -> Fabric:
    """A 3-tier k-ary fat-tree: k pods of k/2 edge and k/2 aggregation switches, (k/2)^2 cores,
    k/2 hosts per edge switch (k^3/4 NICs). Edge-aggregation and aggregation-core links carry
    ``B / oversubscription``. Paths: 1 inside an edge switch, k/2 inside a pod (via each
    aggregation switch), (k/2)^2 across pods (via each core).

    Raises:
        ValueError: k odd or below 2, or a rate that is not positive.
    """
    check_range("fat_tree", "k", k, low=2, high=64, integer=True)
    k = int(k)
    if k % 2:
        raise ValueError(f"fat_tree: k must be even, got {k}")
    _check_rate("fat_tree", "nic_gbps", nic_gbps)
    _check_rate("fat_tree", "oversubscription", oversubscription)
    half = k // 2
    edges = k * half
    # link blocks (before the NIC offset): edge->agg, agg->edge, agg->core, core->agg
    e2a = np.arange(edges * half).reshape(k, half, half)  # [pod, edge, agg]
    a2e = edges * half + e2a  # [pod, edge, agg]: agg -> edge
    base = 2 * edges * half
    a2c = base + np.arange(k * half * half).reshape(k, half, half)  # [pod, agg, core-in-group]
    c2a = base + k * half * half + np.arange(k * half * half).reshape(k, half, half)
    n_switch_links = base + 2 * k * half * half
    paths = np.full((edges, edges, half * half, 4), -1, dtype=np.int64)
    n_paths = np.ones((edges, edges), dtype=np.int64)
    pod_of = np.arange(edges) // half
    idx_of = np.arange(edges) % half
    for a in range(edges):
        pa, ia = pod_of[a], idx_of[a]
        for b in range(edges):
            pb, ib = pod_of[b], idx_of[b]
            if a == b:
                continue
            if pa == pb:
                n_paths[a, b] = half
                p = np.arange(half)
                paths[a, b, :half, 0] = e2a[pa, ia, p]
                paths[a, b, :half, 1] = a2e[pb, ib, p]
                paths[a, b, half:] = paths[a, b, 0]
                continue
            n_paths[a, b] = half * half
            agg, core = np.divmod(np.arange(half * half), half)
            paths[a, b, :, 0] = e2a[pa, ia, agg]
            paths[a, b, :, 1] = a2c[pa, agg, core]
            paths[a, b, :, 2] = c2a[pb, agg, core]
            paths[a, b, :, 3] = a2e[pb, ib, agg]
    nic_bps = nic_gbps * GBPS
    caps = np.full(n_switch_links, nic_bps / oversubscription)
    kinds = np.concatenate(
        [
            np.full(edges * half, 2, np.int8),
            np.full(edges * half, 3, np.int8),
            np.full(k * half * half, 4, np.int8),
            np.full(k * half * half, 5, np.int8),
        ]
    )
    up = [e2a[pod_of[e], idx_of[e]] for e in range(edges)]
    down = [a2e[pod_of[e], idx_of[e]] for e in range(edges)]
    nic_switch = np.repeat(np.arange(edges), half)
    return _assemble("fat_tree", nic_switch, edges, nic_bps, caps, kinds, paths, n_paths, up, down)


__all__ = ["GBPS", "LINK_KINDS", "Fabric", "fat_tree", "leaf_spine", "rail_optimised"]
