"""``netgym/CollectivePath-v0``: the scalar Gymnasium env and its native vector env.

The PettingZoo variant (one agent per leaf) is in ``parallel.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.scalar import SimEnv
from ...core.vector import EVERY_ENV, NumpyVectorEnv
from ..topology import Fabric
from .episode import Model, Plan
from .kernels import paths_in_range
from .observe import observation_size
from .params import CollectivePathParams
from .sim import CollectiveSim


def collective_spaces(
    params: CollectivePathParams, model: Model
) -> tuple[spaces.Space, spaces.Box]:
    """Action and observation space of one env."""
    paths = model.fabric.max_paths
    if params.mode == "step":
        action: spaces.Space = spaces.MultiDiscrete(
            np.full(model.max_flows * params.pieces, paths, dtype=np.int64)
        )
    else:
        action = spaces.Discrete(paths)
    size = observation_size(params, model)
    return action, spaces.Box(0.0, 1.0, (size,), dtype=np.float32)


def check_actions(
    params: CollectivePathParams, model: Model, actions: Any, batch: tuple
) -> np.ndarray:
    """Actions as an int array of shape ``batch`` (flow mode) or ``batch + (slots,)`` (step
    mode), each a path index in [0, P).

    Raises:
        ValueError: wrong shape, a non-integer, or a path index out of range.
    """
    paths = model.fabric.max_paths
    shape = batch if params.mode == "flow" else (*batch, model.max_flows * params.pieces)
    array = np.asarray(actions)
    if array.shape != shape:
        raise ValueError(
            f"CollectivePath actions must have shape {shape} (path indices in [0, {paths})), "
            f"got {array.shape}"
        )
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.array_equal(array, np.round(array)):
            raise ValueError(
                f"CollectivePath actions must be integer path indices, got {actions!r}"
            )
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= paths):
        raise ValueError(
            f"CollectivePath path indices must be in [0, {paths}), got values in "
            f"[{array.min()}, {array.max()}]"
        )
    return array


@dataclass(frozen=True)
class PieceView:
    """The piece the next flow-mode step places (what path-selection baselines read)."""

    src_nic: int
    dst_nic: int
    src_switch: int
    dst_switch: int
    pattern: int
    """the step pattern it belongs to"""
    flow: int
    """the flow's index within the pattern"""
    connection: int
    """the connection (src, dst NIC pair; its pieces' paths persist when ``persistent``)"""
    piece: int
    pieces: int
    size: float
    """the piece's bytes, in pattern units"""
    alive: np.ndarray
    """(P,) which paths are alive"""
    links: np.ndarray
    """(P, H) switch-link ids of each path (null link padded)"""
    loads: np.ndarray
    """(P, H) unit bytes already on those links in this pattern"""
    capacity: np.ndarray
    """(P, H) their capacities, bytes/s (null link: inf)"""


class CollectivePathEnv(SimEnv):
    """Path (and split) selection for the traffic of a collective on a datacenter fabric.

    ## Description

    A collective (ring all-reduce by default) runs over ranks placed on the NICs of a
    leaf-spine, fat-tree or rail-optimised fabric. Its steps are sets of flows; every flow is
    split into ``pieces`` equal pieces (sub-flows, like NCCL's QPs per connection), and the
    agent picks one equal-cost path for each piece of each connection, the first time the
    connection carries data: with ``persistent`` (default) the paths stay for every later
    step that uses the connection (ECMP and RDMA keep a QP's path), so a ring all-reduce over
    256 NICs is decided in one pass over its 256 connections. A step lasts
    ``alpha + max_e load_e / capacity_e`` (``timing="analytic"``) or its max-min fair fluid
    completion time (``"fluid"``). Link failures (``failed_links`` at ``failure_factor``)
    are redrawn at every reset, as is a random placement. Reference:
    ``shared/reference/disttrain.md`` sections 1 and 6 (E1), after Addanki, Goyal and
    Marinos, "Challenging the Need for Packet Spraying in Large-Scale Distributed Training".

    ## Action Space

    ``mode="flow"``: ``Discrete(P)``, the path of the next piece (P = spines on a two-tier
    fabric, (k/2)^2 on a fat-tree; on a pair with fewer paths, or a dead path, the piece takes
    the first alive path after it and ``info["rerouted"]`` counts it; ``action_masks()`` gives
    the alive paths). ``mode="step"``: ``MultiDiscrete([P] * (F_max pieces))``, the paths of
    every piece of the current step pattern (slot ``f pieces + j`` = piece j of the pattern's
    flow f; slots of flows that need no decision are ignored).

    ## Observation Space

    ``Box(0, 1, (P (H + 2) + 4 + 8,))`` in flow mode: per path, its H switch-hop loads (link
    load / capacity over the pattern's cut bound, clipped at ``obs_scale``, divided by it),
    its smallest capacity factor and whether it is alive; then the piece's size, its index,
    the share of decisions and of patterns done, and the collective one-hot. Step mode: every
    switch link's load and factor, three values per flow slot and the progress (see
    ``observe.py``).

    ## Rewards

    ``-w_j (kappa_j - lb_j) / T_lb`` for each step pattern j: its congestion over its cut
    bound, times the bytes of its steps, over the collective's lower bound; charged when the
    pattern's last piece is placed (``reward="sparse"``) or as its congestion grows
    (``"dense"``). An episode returns ``-(T_comm / T_lb - 1)``, 0 at the bound.

    ## Starting State

    ``reset`` draws the failures, the placement (``random``) or permutation traffic, and
    stops at the first piece to place.

    ## Episode End

    Terminates when the collective's last pattern is placed; never truncates.

    ## Arguments

    ``params`` (a ``CollectivePathParams``, a dict, a preset 'default', 'degraded', 'small',
    'fat_tree', or None) and/or its fields, e.g. ``gym.make("netgym/CollectivePath-v0",
    collective="alltoall_pairwise", pieces=4, failed_links=2)``.

    ``info``: ``iteration_time`` (compute + communication so far, s), ``lower_bound``
    (compute + the collective's cut bound, s), ``spraying_time`` (the same episode under
    oblivious packet spraying), ``comm_time``, ``congestion_ratio`` (last pattern's kappa /
    bound), ``decisions``, ``pattern``, ``rerouted``.

    Public attributes that policies may read: ``params``, ``fabric`` (this episode's, with
    its capacity factors), ``plan`` (the episode's placement and patterns), ``piece()`` (the
    next piece, a ``PieceView``), ``pattern_flows()`` and ``pattern_loads()`` (the current
    pattern), ``action_masks()``.

    ## Version History

    * v0: initial release.
    """

    params_class = CollectivePathParams

    def setup(self) -> None:
        self.model = Model.build(self.params)
        self.sim = CollectiveSim(self.params, 1, self.model)
        self.action_space, self.observation_space = collective_spaces(self.params, self.model)
        self._rngs: list[np.random.Generator] = []
        self._flow = self.params.mode == "flow"

    # ----------------------------------------------------------------- public attributes
    @property
    def fabric(self) -> Fabric:
        """The fabric of this episode (capacity factors applied)."""
        return self._plan().fabric

    @property
    def plan(self) -> Plan:
        """The episode's plan: placement, patterns in NIC space, decisions, bounds."""
        return self._plan()

    def piece(self) -> PieceView:
        """The piece the next flow-mode step places."""
        sim, plan = self.sim, self._plan()
        d = min(int(sim.cursor[0]), int(sim.n_decisions[0]) - 1)
        q, piece = divmod(d, sim.pieces)
        flow = int(plan.dec_flow[q])
        a, b = int(plan.flow_a[flow]), int(plan.flow_b[flow])
        links = self.model.fabric.paths[a, b]
        j = int(sim.pattern[0])
        return PieceView(
            src_nic=int(plan.patterns.src[flow]),
            dst_nic=int(plan.patterns.dst[flow]),
            src_switch=a,
            dst_switch=b,
            pattern=j,
            flow=flow - int(plan.patterns.flow_start[j]),
            connection=int(plan.flow_conn[flow]),
            piece=piece,
            pieces=sim.pieces,
            size=float(sim.dec_unit[0, q]),
            alive=sim.alive_paths(np.zeros(1, np.int64), np.array([a]), np.array([b]))[0],
            links=links.copy(),
            loads=sim.loads[0, links],
            capacity=sim.capacity[0, links],
        )

    def pattern_flows(self) -> dict[str, np.ndarray]:
        """The current pattern: ``src``, ``dst`` (NIC ids), ``unit`` sizes, ``connection``,
        ``pending`` (needs decisions now) and ``index`` (its flows' indices in the plan)."""
        plan, j = self._plan(), int(self.sim.pattern[0])
        s = plan.pattern_slice(j)
        q0 = int(plan.dec_end[j - 1]) if j else 0
        pending = np.zeros(s.stop - s.start, dtype=bool)
        pending[plan.dec_flow[q0 : int(plan.dec_end[j])] - s.start] = True
        return {
            "src": plan.patterns.src[s].copy(),
            "dst": plan.patterns.dst[s].copy(),
            "unit": plan.patterns.unit[s].copy(),
            "connection": plan.flow_conn[s].copy(),
            "pending": pending,
            "index": np.arange(s.start, s.stop),
        }

    def pattern_loads(self) -> np.ndarray:
        """(n_links + 1,) unit bytes on every link of the current pattern so far."""
        return self.sim.loads[0].copy()

    def action_masks(self) -> np.ndarray:
        """Flow mode: (P,) alive paths of the next piece; step mode: all True (flat)."""
        if self.params.mode == "step":
            return np.ones(int(self.action_space.nvec.sum()), dtype=bool)
        return self.piece().alive

    def _plan(self) -> Plan:
        plan = self.sim.plans[0]
        if plan is None:
            raise RuntimeError("call reset() first: the episode has no plan yet")
        return plan

    # ----------------------------------------------------------------- SimEnv hooks
    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        self._rngs = [self.np_random]
        self.sim.reset(EVERY_ENV, self._rngs, options)
        return self._observe(), self._info()

    def check_action(self, action: Any) -> Any:
        if self._flow and isinstance(action, (int, np.integer)) and not isinstance(action, bool):
            if 0 <= action < self.action_space.n:  # the common case, without numpy calls
                return int(action)
        return check_actions(self.params, self.model, action, ())

    def step_sim(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self.sim
        if self._flow:
            sim.step_one(int(action))
        else:
            sim.step(EVERY_ENV, action[None], self._rngs)
        return self._observe(), float(sim.reward[0]), bool(sim.done[0]), False, self._info()

    def _observe(self) -> np.ndarray:
        return self.sim.observation()[0]

    def _info(self) -> dict[str, Any]:
        sim = self.sim
        compute = self.params.compute_ms * 1e-3
        return {
            "iteration_time": compute + float(sim.comm_time[0]),
            "lower_bound": compute + float(sim.t_lb[0]),
            "spraying_time": compute + float(sim.spraying_time[0]),
            "comm_time": float(sim.comm_time[0]),
            "congestion_ratio": float(sim.last_ratio[0]),
            "decisions": int(sim.cursor[0]),
            "pattern": int(sim.pattern[0]),
            "rerouted": int(sim.rerouted[0]),
        }


class CollectivePathVectorEnv(NumpyVectorEnv):
    """N ``CollectivePathEnv`` envs stepped together in numpy (``gym.make_vec``); spaces,
    rewards and episodes are the scalar env's.

    Sub-env ``i`` draws from its own generator seeded ``seed + i``, so it plays exactly the
    episodes of a scalar env seeded ``seed + i``; episode lengths differ between sub-envs
    (the placement decides how many flows cross switches) and each autoresets on its own.
    ``info`` is a dict of arrays (the scalar env's keys) with their ``_key`` masks.

    ## Version History

    * v0: initial release.
    """

    params_class = CollectivePathParams

    def memory_per_env(self) -> float:
        return Model.build(self.params).state_bytes()

    def make_sim(self) -> CollectiveSim:
        return CollectiveSim(self.params, self.num_envs)

    def make_spaces(self) -> tuple[spaces.Space, spaces.Box]:
        return collective_spaces(self.params, self.sim.model)

    def check_actions(self, actions: Any) -> np.ndarray:
        if (
            self.params.mode == "flow"
            and type(actions) is np.ndarray
            and actions.dtype == np.int64
            and actions.shape == (self.num_envs,)
            and paths_in_range(actions, self.sim.model.fabric.max_paths)
        ):  # the common case in one kernel call; the sim only reads the actions
            return actions
        return check_actions(self.params, self.sim.model, actions, (self.num_envs,))

    def action_masks(self) -> np.ndarray:
        """(N, P) alive paths of each sub-env's next piece (flow mode)."""
        sim = self.sim
        if self.params.mode == "step":
            return np.ones((self.num_envs, int(self.single_action_space.nvec.sum())), dtype=bool)
        d = np.minimum(sim.cursor, sim.n_decisions - 1) // sim.pieces
        ar = np.arange(self.num_envs)
        return sim.alive_paths(ar, sim.dec_a[ar, d], sim.dec_b[ar, d])


__all__ = [
    "CollectivePathEnv",
    "CollectivePathVectorEnv",
    "PieceView",
    "check_actions",
    "collective_spaces",
]
