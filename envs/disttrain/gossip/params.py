"""Parameters of ``netgym/AsyncGossip-v0`` (``AsyncGossipParams``) and presets.

The defaults follow reference/disttrain.md sections 3 and 6 (E4): a cycle of 16 nodes,
5-dimensional quadratic local losses with kappa = L / mu = 10, DADAO's clocks (one gradient per
node per time unit, gossip at rho sqrt(2 chi1 chi2)), one decision per time unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ...core.params import EnvParams
from ...core.validation import check_choice, check_int, check_range
from .graphs import GRAPHS, build_graph
from .losses import LOSSES

ACTION_MODES = ("intensity", "edges")
"""'intensity': a multiplier of sqrt(2 chi1 chi2); 'edges': edge-sampling weights"""
EDGE_COSTS = ("uniform", "distance", "random")
"""per-edge communication costs: all 1; Euclidean length over the mean length (nodes placed
uniformly in the unit square, or the random geometric graph's own positions); lognormal
(sigma 0.5) over its mean"""
RHOS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""the intensity menu: multipliers of DADAO's rate sqrt(2 chi1 chi2)"""


@dataclass(frozen=True)
class AsyncGossipParams(EnvParams):
    """All parameters of ``netgym/AsyncGossip-v0``.

    Presets: ``default`` (cycle of 16, quadratic, kappa 10), ``small`` (cycle of 8, dim 3,
    horizon 40, for tests), ``time_varying`` (random geometric graphs of 16 nodes, radius 0.4,
    switching every 1 / chi1), ``wireless`` (random geometric, distance costs, a budget of
    half DADAO's default spend, logistic losses, kappa 100) and ``edges`` (edge-sampling
    weights on a barbell of 16 with distance costs).
    """

    ENV_NAME: ClassVar[str] = "AsyncGossip"
    PRESETS: ClassVar[dict[str, str | None]] = {
        "default": None,
        "small": "small",
        "time_varying": "time_varying",
        "wireless": "wireless",
        "edges": "edges_preset",
    }

    graph: str = "cycle"
    """'star', 'complete', 'cycle', 'path', 'grid' (square n), 'barbell' (even n) or
    'random_geometric' (time-varying)"""
    nodes: int = 16
    """n, the number of nodes (2 .. 64)"""
    dim: int = 5
    """d, the dimension of x (1 .. 10)"""
    loss: str = "quadratic"
    """'quadratic' or 'logistic' (l2-regularised) local losses"""
    kappa: float = 10.0
    """L / mu of the local losses (2 .. 10,000; the reference uses 10, 100, 1000)"""
    radius: float = 0.4
    """radius of the random geometric graphs"""
    graph_count: int = 50
    """how many random geometric graphs the time-varying graph cycles through"""
    action_mode: str = "intensity"
    """'intensity' (Discrete(5): rho in (1/4, 1/2, 1, 2, 4)) or 'edges' (a Box of edge weights,
    normalised to the simplex and mixed with ``edge_floor`` uniform; fixed graphs only)"""
    edge_floor: float = 0.05
    """share of the uniform distribution mixed into the edge weights (keeps every edge)"""
    edge_cost: str = "uniform"
    """per-edge costs: 'uniform', 'distance' or 'random' (mean 1 each)"""
    budget: float | None = None
    """communication cost the episode may spend, in units of DADAO's default spend per time
    unit (sqrt(2 chi1 chi2) x the mean edge cost); gossips past it are dropped; None: none"""
    cost_weight: float = 0.01
    """lambda_c: reward per unit of communication cost (in the same units as ``budget``)"""
    horizon: int = 200
    """time units per episode (one decision each)"""
    target: float = 1e-6
    """the episode terminates when mean |x_i - x*|^2 falls below target x its initial value"""
    problem_seed: int | None = None
    """seed of the losses, the graphs and the costs (None: redrawn from the env's seed)"""

    def __post_init__(self) -> None:
        owner = "AsyncGossipParams"
        check_choice(owner, "graph", self.graph, GRAPHS)
        check_int(self, owner, "nodes", low=2, high=64)
        if self.graph != "random_geometric":
            try:
                build_graph(self.graph, self.nodes)
            except ValueError as error:
                raise ValueError(f"{owner}.nodes: {error}") from None
        check_int(self, owner, "dim", low=1, high=10)
        check_choice(owner, "loss", self.loss, LOSSES)
        check_range(owner, "kappa", self.kappa, low=2.0, high=1e4)
        check_range(owner, "radius", self.radius, low=0.0, low_inclusive=False, high=1.5)
        check_int(self, owner, "graph_count", low=1, high=200)
        check_choice(owner, "action_mode", self.action_mode, ACTION_MODES)
        if self.action_mode == "edges" and self.graph == "random_geometric":
            raise ValueError(
                f"{owner}.action_mode: 'edges' needs a fixed graph (its edges are the action's "
                "entries), but graph is 'random_geometric' (time-varying); use action_mode="
                "'intensity' or a fixed graph"
            )
        check_range(owner, "edge_floor", self.edge_floor, low=0.0, low_inclusive=False, high=1.0)
        check_choice(owner, "edge_cost", self.edge_cost, EDGE_COSTS)
        if self.budget is not None:
            check_range(owner, "budget", self.budget, low=0.0, high=1e9)
        check_range(owner, "cost_weight", self.cost_weight, low=0.0, high=100.0)
        check_int(self, owner, "horizon", low=1, high=100_000)
        check_range(owner, "target", self.target, low=1e-14, high=1.0, high_inclusive=False)
        if self.problem_seed is not None:
            check_int(self, owner, "problem_seed", low=0, high=2**32 - 1)

    @property
    def log_target(self) -> float:
        """ln(1 / target), the log-error reduction of a finished episode."""
        return math.log(1.0 / self.target)

    # ------------------------------------------------------------------ presets
    @classmethod
    def small(cls, **changes: object) -> AsyncGossipParams:
        """A cycle of 8, dimension 3, 40 time units (fast tests)."""
        return cls(**{"nodes": 8, "dim": 3, "horizon": 40, **changes})

    @classmethod
    def time_varying(cls, **changes: object) -> AsyncGossipParams:
        """Random geometric graphs of 16 nodes (radius 0.4) switching every 1 / chi1."""
        return cls(**{"graph": "random_geometric", **changes})

    @classmethod
    def wireless(cls, **changes: object) -> AsyncGossipParams:
        """Random geometric graphs with distance costs, logistic losses (kappa 100) and a
        budget of half DADAO's default spend over the horizon."""
        model = {
            "graph": "random_geometric",
            "loss": "logistic",
            "kappa": 100.0,
            "edge_cost": "distance",
            "budget": 100.0,
        }
        return cls(**{**model, **changes})

    @classmethod
    def edges_preset(cls, **changes: object) -> AsyncGossipParams:
        """Edge-sampling weights on a barbell of 16 with distance costs."""
        model = {"graph": "barbell", "action_mode": "edges", "edge_cost": "distance"}
        return cls(**{**model, **changes})


__all__ = ["ACTION_MODES", "EDGE_COSTS", "RHOS", "AsyncGossipParams"]
