"""One episode of ``netgym/CollectivePath-v0``: the static model and the per-episode plan.

``Model`` holds what every episode shares (the fabric, the collective in rank space and its
step patterns, sizes of the padded arrays). ``plan_episode`` draws what changes per episode
(the link failures, the rank placement, for ``permutation`` traffic the permutation) and lays
out the decisions: the pieces of every flow whose connection appears for the first time
(``persistent``) or of every flow (not persistent), pattern after pattern, in flow order;
flows inside one edge switch need no decision.

Times are kept in *unit* form: a pattern's flow sizes are relative (the largest is 1 unit =
``Patterns.scale`` bytes of each step), so one congestion per pattern serves all its steps:
step k lasts ``alpha + scale_k * kappa_unit[pattern_k]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.budget import check_memory
from ..collectives import COLLECTIVES, Collective, Patterns, build_collective, step_patterns
from ..placement import draw_failures, place_ranks
from ..topology import Fabric, fat_tree, leaf_spine, rail_optimised
from .kernels import plan_flows
from .params import CollectivePathParams

PLACEMENT_TRIES = 100
"""random placements drawn before giving up when every flow stays inside one switch"""
NO_CROSSING = -2
"""``plan_flows``' status when every flow stays inside one edge switch"""


def build_fabric(params: CollectivePathParams) -> Fabric:
    """The healthy fabric of ``params``."""
    p = params
    if p.topology == "fat_tree":
        return fat_tree(p.fat_tree_k, p.nic_gbps, p.oversubscription)
    if p.topology == "rail_optimised":
        return rail_optimised(
            p.rails, p.servers, p.hosts_per_leaf, p.spines, p.nic_gbps, p.oversubscription
        )
    return leaf_spine(p.leaves, p.spines, p.hosts_per_leaf, p.nic_gbps, p.oversubscription)


@dataclass(frozen=True, eq=False)
class Model:
    """What every episode of one params shares."""

    params: CollectivePathParams
    fabric: Fabric
    collective: Collective | None
    """the rank-space collective (None for permutation traffic, drawn per episode)"""
    patterns: Patterns | None
    max_flows: int
    """the most flows of one pattern"""
    max_decision_flows: int
    """the most flows that need decisions in one episode"""
    max_out_per_rank: int
    """the most flows one rank sends in one pattern"""
    kind_index: int
    """index of the collective in ``COLLECTIVES`` (the observation's one-hot)"""
    cut_links: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    """every edge switch's up links and down links, padded, with their counts (the
    ``pattern_costs`` kernel's tables)"""
    layout: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    """``pattern_layout`` of the patterns (None for permutation traffic)"""

    @classmethod
    def build(cls, params: CollectivePathParams) -> Model:
        """Build the fabric and, unless the traffic is random, the collective's patterns.

        Raises:
            ValueError: the path tables would exceed the memory budget, or a fixed placement
                puts every flow inside one edge switch.
        """
        check_memory(
            "CollectivePath",
            params.path_table_bytes(),
            f"path tables of {params.n_switches} edge switches x {params.max_paths} paths",
        )
        fabric = build_fabric(params)
        cuts = (*_padded(fabric.up_links), *_padded(fabric.down_links))
        n = params.n_ranks
        if params.collective == "permutation":
            kind = COLLECTIVES.index("permutation")
            return cls(params, fabric, None, None, n, n, 1, kind, cuts, None)
        coll = build_collective(
            params.collective, n, params.message_bytes, None, params.tree_chunks
        )
        pats = step_patterns(coll, merge=params.persistent)
        counts = np.diff(pats.flow_start)
        if params.persistent:
            decisions = len(np.unique(pats.src * n + pats.dst))
        else:
            decisions = len(pats.src)
        pattern_of_flow = np.repeat(np.arange(pats.count), counts)
        per_rank = np.bincount(pattern_of_flow * n + pats.src, minlength=pats.count * n)
        if params.placement != "random":
            nic = place_ranks(fabric, n, params.placement)
            switch = fabric.nic_switch[nic]
            if (switch[pats.src] == switch[pats.dst]).all():
                raise ValueError(
                    f"CollectivePath: the {params.placement} placement puts all {n} ranks of "
                    f"the {params.collective} inside one edge switch; there is no path to "
                    "choose. Use more ranks or the random or spread placement"
                )
        return cls(
            params,
            fabric,
            coll,
            pats,
            int(counts.max()),
            int(decisions),
            int(per_rank.max()),
            COLLECTIVES.index(params.collective),
            cuts,
            pattern_layout(pats),
        )

    def state_bytes(self) -> float:
        """Bytes of one episode's plan and state (for the memory budget): the sim's per-env
        link arrays (capacity, inverse, factors, loads), decision arrays, the connections'
        paths, and the plan's per-flow and per-pattern arrays."""
        p = self.params
        links = self.fabric.n_links + 1
        flows = len(self.patterns.src) if self.patterns is not None else self.max_flows
        patterns = self.patterns.count if self.patterns is not None else 1
        decisions = self.max_decision_flows
        return (
            8.0 * 4 * links
            + 8.0 * 5 * decisions
            + 2.0 * decisions * p.pieces
            + 8.0 * 8 * flows
            + 8.0 * 6 * patterns
            + 512.0
        )


@dataclass(eq=False)
class Plan:
    """One episode: the fabric with its failures, the placement and the decisions."""

    fabric: Fabric
    """the fabric with this episode's capacity factors"""
    nic_of_rank: np.ndarray
    patterns: Patterns
    """the patterns in NIC space (src/dst are NIC ids)"""
    flow_conn: np.ndarray
    """(F,) connection id of every pattern flow"""
    flow_a: np.ndarray
    """(F,) source edge switch"""
    flow_b: np.ndarray
    """(F,) destination edge switch"""
    dec_flow: np.ndarray
    """(D,) pattern-flow index of each flow that needs decisions (pieces decisions each)"""
    dec_end: np.ndarray
    """(n_patterns,) number of decision flows up to and including each pattern"""
    weight: np.ndarray
    """(n_patterns,) total scale (bytes per unit) of the steps of each pattern"""
    n_steps: np.ndarray
    """(n_patterns,) steps of each pattern"""
    lb_unit: np.ndarray
    """(n_patterns,) cut lower bound of each pattern, seconds per unit"""
    spray_unit: np.ndarray
    """(n_patterns,) congestion of oblivious spraying, seconds per unit"""
    lower_bound: float
    """communication lower bound of the collective, seconds: sum_k alpha + scale_k lb_k"""
    spraying_time: float
    """communication time of oblivious spraying on this episode, seconds"""
    n_conn: int
    nic_unit: np.ndarray
    """(n_patterns,) congestion of the NIC links alone, seconds per unit"""
    first_loads: np.ndarray
    """(n_links + 1,) unit loads of pattern 0 before any decision (its NIC links')"""

    @property
    def n_decisions(self) -> int:
        """Decision flows of the episode (times ``pieces`` decisions)."""
        return len(self.dec_flow)

    def pattern_slice(self, j: int) -> slice:
        """The flows of pattern ``j``."""
        return slice(int(self.patterns.flow_start[j]), int(self.patterns.flow_start[j + 1]))


def pattern_layout(
    patterns: Patterns,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pattern of every flow, the pattern indices, every pattern's total scale (bytes per
    unit) and its number of steps."""
    count = patterns.count
    pattern_of_flow = np.repeat(np.arange(count), np.diff(patterns.flow_start))
    weight = np.bincount(patterns.of_step, weights=patterns.scale, minlength=count)
    n_steps = np.bincount(patterns.of_step, minlength=count)
    return pattern_of_flow, np.arange(count), weight, n_steps


def _padded(links: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-switch link lists as one (E, most) int64 table (padded with 0) and the counts."""
    count = np.array([len(row) for row in links], dtype=np.int64)
    table = np.zeros((len(links), max(int(count.max(initial=0)), 1)), dtype=np.int64)
    for e, row in enumerate(links):
        table[e, : len(row)] = row
    return table, count


def _failures(model: Model, rng: np.random.Generator) -> Fabric:
    p = model.params
    if p.failed_links == 0:
        return model.fabric
    factors = draw_failures(model.fabric, p.failed_links, p.failure_factor, p.failure_scope, rng)
    return model.fabric.with_factors(factors)


def plan_episode(model: Model, rng: np.random.Generator) -> Plan:
    """Draw one episode (failures, placement, permutation) and lay out its decisions.

    Raises:
        ValueError: no placement puts a flow across switches (a collective inside one edge
            switch has nothing to decide), or the failures cut a flow off from every path.
    """
    p = model.params
    fabric = _failures(model, rng)
    if model.patterns is None:
        coll = build_collective("permutation", p.n_ranks, p.message_bytes, rng)
        rank_patterns = step_patterns(coll, merge=True)
    else:
        rank_patterns = model.patterns
    layout = model.layout if model.patterns is not None else pattern_layout(rank_patterns)
    pattern_of_flow, _, weight, n_steps = layout
    tables = (
        fabric.nic_switch,
        fabric.capacity,
        fabric.factors,
        fabric.paths,
        fabric.n_paths,
        *model.cut_links,
        fabric.n_nics,
        fabric.n_switches,
    )
    flow_start = rank_patterns.flow_start.astype(np.int64, copy=False)
    for _ in range(PLACEMENT_TRIES):
        nic = place_ranks(fabric, p.n_ranks, p.placement, rng)
        flows = plan_flows(
            nic,
            rank_patterns.src,
            rank_patterns.dst,
            rank_patterns.unit,
            flow_start,
            pattern_of_flow,
            p.persistent,
            tables,
        )
        if flows[0] != NO_CROSSING or p.placement != "random":
            break
    bad, n_conn, src, dst, a, b, conn, dec_flow, dec_end, costs, first_loads = flows
    if bad == NO_CROSSING:
        raise ValueError(
            f"CollectivePath: every flow of the {p.collective} over {p.n_ranks} ranks stays "
            f"inside one edge switch ({p.placement} placement); there is no path to choose. "
            "Use more ranks or another placement"
        )
    pats = Patterns(
        of_step=rank_patterns.of_step,
        scale=rank_patterns.scale,
        flow_start=rank_patterns.flow_start,
        src=src,
        dst=dst,
        unit=rank_patterns.unit,
    )
    lb_unit, spray_unit, nic_unit = costs
    if bad >= 0:
        raise ValueError(
            f"flow {int(src[bad])} -> {int(dst[bad])} has no alive path between switches "
            f"{int(a[bad])} and {int(b[bad])}: every equal-cost path has a failed link"
        )
    alpha = p.alpha_us * 1e-6
    total_alpha = alpha * len(pats.of_step)
    return Plan(
        fabric=fabric,
        nic_of_rank=nic,
        patterns=pats,
        flow_conn=conn,
        flow_a=a,
        flow_b=b,
        dec_flow=dec_flow,
        dec_end=dec_end,
        weight=weight,
        n_steps=n_steps,
        lb_unit=lb_unit,
        spray_unit=spray_unit,
        lower_bound=float(total_alpha + weight @ lb_unit),
        spraying_time=float(total_alpha + weight @ spray_unit),
        n_conn=int(n_conn),
        nic_unit=nic_unit,
        first_loads=first_loads,
    )


__all__ = ["Model", "Plan", "build_fabric", "pattern_layout", "plan_episode"]
