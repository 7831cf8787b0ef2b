"""Parameters of ``netgym/CollectivePath-v0`` (``CollectivePathParams``) and its presets.

The fabric (leaf-spine, fat-tree or rail-optimised), the collective and its placement, how
flows are split into pieces, the decision mode, the timing model and the failures
(reference/disttrain.md section 6, E1 "Parameters").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range
from ..collectives import COLLECTIVES
from ..placement import FAILURE_SCOPES, PLACEMENTS

TOPOLOGIES = ("leaf_spine", "fat_tree", "rail_optimised")
MODES = ("flow", "step")
TIMINGS = ("analytic", "fluid")
REWARDS = ("sparse", "dense")
MAX_NICS = 4096
"""the largest fabric (NICs) an env builds"""
MAX_PIECES = 64
"""the most pieces a flow is split into (Ethereal used at most 64 QPs, reference section 1)"""


@dataclass(frozen=True)
class CollectivePathParams(EnvParams):
    """All parameters of ``netgym/CollectivePath-v0`` and its PettingZoo env
    ``collective_path_v0``.

    Presets: ``default`` (16 x 16 x 16 leaf-spine, ring all-reduce of 256 MiB over all 256
    NICs, random placement, one piece per flow), ``degraded`` (the same with one leaf uplink
    at half capacity and 8 pieces per flow: the reference's degraded-uplink case), ``small``
    (4 x 4 x 4, for tests) and ``fat_tree`` (k = 8, halving-doubling over 128 NICs).
    """

    ENV_NAME: ClassVar[str] = "CollectivePath"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "degraded": "degraded",
        "small": "small",
        "fat_tree": "fat_tree",
    }

    topology: str = "leaf_spine"
    """'leaf_spine', 'fat_tree' or 'rail_optimised'"""
    leaves: int = 16
    """leaf_spine: leaves L"""
    spines: int = 16
    """leaf_spine and rail_optimised: spines S"""
    hosts_per_leaf: int = 16
    """leaf_spine: NICs per leaf H; rail_optimised: servers per rail leaf"""
    fat_tree_k: int = 8
    """fat_tree: k (even), k^3/4 NICs"""
    rails: int = 8
    """rail_optimised: GPUs (rails) per server"""
    servers: int = 32
    """rail_optimised: servers (a multiple of hosts_per_leaf)"""
    nic_gbps: float = 400.0
    """NIC line rate B, Gbit/s"""
    oversubscription: float = 1.0
    """o = H B / (S C_up) (1 = non-blocking); fat_tree: switch links carry B / o"""
    collective: str = "ring_allreduce"
    """one of ``collectives.COLLECTIVES``"""
    ranks: int | None = None
    """ranks of the collective (None: every NIC); at most the NICs"""
    placement: str = "random"
    """'random' (redrawn every episode), 'compact' or 'spread'"""
    message_mib: float = 256.0
    """S, each rank's buffer, MiB"""
    tree_chunks: int = 4
    """double_binary_tree: pipeline chunks"""
    pieces: int = 1
    """equal pieces each flow is split into (sub-flows, like NCCL's QPs per connection); each
    piece gets its own path decision (k_max)"""
    persistent: bool = True
    """a connection keeps its pieces' paths for every later step that uses it (RDMA QPs and
    ECMP keep their path); False: every flow of every step is decided anew (flowlet style)"""
    mode: str = "flow"
    """'flow': one decision per piece, Discrete(P); 'step': one MultiDiscrete action places a
    whole step pattern"""
    timing: str = "analytic"
    """'analytic' (step time alpha + max link load / capacity) or 'fluid' (max-min fair
    completion time, slower; equal to analytic on one-in/one-out steps)"""
    failed_links: int = 0
    """links degraded (or failed) per episode, redrawn at every reset"""
    failure_factor: float = 0.5
    """capacity factor of those links (0 = failed)"""
    failure_scope: str = "tier1"
    """'tier1' (edge-switch uplinks) or 'switch' (any switch-to-switch link)"""
    alpha_us: float = 5.0
    """per-step latency alpha, microseconds"""
    compute_ms: float = 0.0
    """compute time of the iteration, added to ``iteration_time`` and ``lower_bound``"""
    reward: str = "sparse"
    """'sparse' (the regret of a step pattern when its last piece is placed) or 'dense' (the
    growth of the pattern's congestion after every decision); both sum to
    -(communication time / lower bound - 1) over an episode"""
    obs_scale: float = 8.0
    """link loads are observed in units of the step's lower bound, saturating at this value"""

    def __post_init__(self) -> None:
        owner = "CollectivePathParams"
        check_choice(owner, "topology", self.topology, TOPOLOGIES)
        for name in ("leaves", "spines", "hosts_per_leaf", "rails", "servers"):
            check_int(self, owner, name, low=1, high=MAX_NICS)
        check_int(self, owner, "fat_tree_k", low=2, high=16)
        if self.topology == "fat_tree" and self.fat_tree_k % 2:
            raise ValueError(f"{owner}.fat_tree_k must be even, got {self.fat_tree_k}")
        if self.topology == "rail_optimised" and self.servers % self.hosts_per_leaf:
            raise ValueError(
                f"{owner}: servers ({self.servers}) must be a multiple of hosts_per_leaf "
                f"({self.hosts_per_leaf}) for the rail_optimised fabric"
            )
        check_range(owner, "nic_gbps", self.nic_gbps, low=0.0, low_inclusive=False, high=1e6)
        check_range(owner, "oversubscription", self.oversubscription, low=0.01, high=100.0)
        check_choice(owner, "collective", self.collective, COLLECTIVES)
        check_choice(owner, "placement", self.placement, PLACEMENTS)
        if self.n_switches < 2:
            raise ValueError(
                f"{owner}: the {self.topology} fabric has a single edge switch, so no flow has "
                "a path to choose; use at least 2 leaves (rail_optimised: rails x servers / "
                "hosts_per_leaf >= 2)"
            )
        n = self.n_nics
        if n > MAX_NICS:
            raise ValueError(f"{owner}: the fabric has {n} NICs; at most {MAX_NICS} are allowed")
        if self.ranks is not None:
            check_int(self, owner, "ranks", low=2)
            if self.ranks > n:
                raise ValueError(
                    f"{owner}.ranks: a collective over {self.ranks} ranks needs at least "
                    f"{self.ranks} NICs; the {self.topology} fabric has {n}"
                )
        if self.n_ranks < 2:
            raise ValueError(f"{owner}: the fabric has {n} NIC; a collective needs 2 ranks")
        if self.collective == "halving_doubling" and self.n_ranks & (self.n_ranks - 1):
            raise ValueError(
                f"{owner}: halving_doubling needs a power-of-two number of ranks, got "
                f"{self.n_ranks} (set ranks)"
            )
        check_range(owner, "message_mib", self.message_mib, low=0.0, low_inclusive=False)
        check_range(owner, "message_mib", self.message_mib, high=2.0**20)
        check_int(self, owner, "tree_chunks", low=1, high=64)
        check_int(self, owner, "pieces", low=1, high=MAX_PIECES)
        check_choice(owner, "persistent", self.persistent, (True, False))
        check_choice(owner, "mode", self.mode, MODES)
        check_choice(owner, "timing", self.timing, TIMINGS)
        check_choice(owner, "failure_scope", self.failure_scope, FAILURE_SCOPES)
        check_int(self, owner, "failed_links", low=0, high=self.scope_links)
        check_range(owner, "failure_factor", self.failure_factor, low=0.0, high=1.0)
        fewest = self.fat_tree_k // 2 if self.topology == "fat_tree" else self.spines
        if self.failure_factor == 0 and self.failed_links >= fewest:
            raise ValueError(
                f"{owner}: {self.failed_links} failed links (failure_factor 0) could cut a "
                f"switch pair off from all its {fewest} equal-cost paths; fail at most "
                f"{fewest - 1} links, or degrade them (failure_factor > 0)"
            )
        check_range(owner, "alpha_us", self.alpha_us, low=0.0, high=1e6)
        check_range(owner, "compute_ms", self.compute_ms, low=0.0, high=1e9)
        check_choice(owner, "reward", self.reward, REWARDS)
        check_range(owner, "obs_scale", self.obs_scale, low=1.0, high=1e6)

    # ------------------------------------------------------------------ derived sizes
    @property
    def n_nics(self) -> int:
        """NICs of the fabric."""
        if self.topology == "fat_tree":
            return self.fat_tree_k**3 // 4
        if self.topology == "rail_optimised":
            return self.rails * self.servers
        return self.leaves * self.hosts_per_leaf

    @property
    def n_switches(self) -> int:
        """Edge switches (leaves, ToRs) of the fabric."""
        if self.topology == "fat_tree":
            return self.fat_tree_k * (self.fat_tree_k // 2)
        if self.topology == "rail_optimised":
            return self.rails * (self.servers // self.hosts_per_leaf)
        return self.leaves

    @property
    def max_paths(self) -> int:
        """P, the most equal-cost paths of a switch pair."""
        return (self.fat_tree_k // 2) ** 2 if self.topology == "fat_tree" else self.spines

    def path_table_bytes(self) -> float:
        """Bytes of the fabric's path tables (E^2 P entries of H link ids, their masks)."""
        hops = 4 if self.topology == "fat_tree" else 2
        return float(self.n_switches) ** 2 * self.max_paths * (8 * hops + 4 * hops + 10)

    @property
    def n_ranks(self) -> int:
        """Ranks of the collective."""
        return self.n_nics if self.ranks is None else int(self.ranks)

    @property
    def scope_links(self) -> int:
        """Links ``failure_scope`` may pick."""
        if self.topology == "fat_tree":
            k = self.fat_tree_k
            tier1 = k * (k // 2) ** 2
            return tier1 if self.failure_scope == "tier1" else 4 * tier1
        leaves = self.leaves
        if self.topology == "rail_optimised":
            leaves = self.rails * (self.servers // self.hosts_per_leaf)
        tier1 = leaves * self.spines
        return tier1 if self.failure_scope == "tier1" else 2 * tier1

    @property
    def message_bytes(self) -> float:
        """S in bytes."""
        return float(self.message_mib) * 2**20

    # ------------------------------------------------------------------ presets
    @classmethod
    def degraded(cls, **changes: object) -> CollectivePathParams:
        """One leaf uplink at half capacity, 8 pieces per flow (reference table, right)."""
        return cls(**{"failed_links": 1, "failure_factor": 0.5, "pieces": 8, **changes})

    @classmethod
    def small(cls, **changes: object) -> CollectivePathParams:
        """A 4 x 4 x 4 leaf-spine (16 NICs), 16 MiB: fast tests."""
        sizes = {"leaves": 4, "spines": 4, "hosts_per_leaf": 4, "message_mib": 16.0}
        return cls(**{**sizes, **changes})

    @classmethod
    def fat_tree(cls, **changes: object) -> CollectivePathParams:
        """A k = 8 fat-tree (128 NICs), halving-doubling all-reduce."""
        return cls(**{"topology": "fat_tree", "collective": "halving_doubling", **changes})


__all__ = ["MODES", "REWARDS", "TIMINGS", "TOPOLOGIES", "CollectivePathParams"]
