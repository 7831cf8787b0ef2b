"""Baselines of ``netgym/CollectivePath-v0``: ECMP, spraying, flowlets, greedy splitting and
the oracle (reference/disttrain.md section 6, E1 "Baselines" and "Oracle / bounds").

Each policy chooses the path of one piece at a time (``choose``) from the env's public
``piece()`` view; in step mode the shared ``act`` walks the pattern's pending pieces in order
and keeps its own copy of the loads, so every policy plays both modes. Step-level versions
(``ecmp_paths``, ``greedy_paths``) give the same rules on a bare list of flows, for the
reproduction tests and the benchmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from netgym.envs.disttrain.collective.env import PieceView
from netgym.envs.disttrain.cost import congestion, link_loads, nic_loads
from netgym.envs.disttrain.oracle import colouring_paths, min_congestion_lp, round_shares
from netgym.envs.disttrain.topology import Fabric

TWO_TIER = ("leaf_spine", "rail_optimised")


def effective_split(k: int, pieces: int) -> int:
    """The largest divisor of the env's ``pieces`` that is at most ``k``: how many parts a
    k-way greedy split can use when every part is a whole number of env pieces."""
    return max(d for d in range(1, min(k, pieces) + 1) if pieces % d == 0)


def path_score(view: PieceView, size: float, capacity_aware: bool) -> np.ndarray:
    """(P,) the largest load on each path after adding ``size``: in seconds (load over
    capacity) when ``capacity_aware``, else in bytes; dead paths score infinity."""
    real = np.isfinite(view.capacity)
    added = view.loads + size
    if capacity_aware:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(real, added / view.capacity, 0.0)
    else:
        value = np.where(real, added, 0.0)
    return np.where(view.alive, value.max(axis=1), np.inf)


class PiecePolicy:
    """Base of the piece-by-piece policies (see the module docstring)."""

    name = "piece"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.env: Any = None

    def reset(self, env: Any) -> None:
        """Bind to ``env`` and forget the previous episode's choices."""
        self.env = getattr(env, "unwrapped", env)
        self.memory: dict[tuple, int] = {}

    def choose(self, view: PieceView) -> int:
        """The path of the piece ``view``."""
        raise NotImplementedError

    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """Flow mode: the next piece's path; step mode: the paths of the pattern's pieces."""
        env = self.env
        if env.params.mode == "flow":
            return self.choose(env.piece())
        return self._act_pattern(env)

    def _act_pattern(self, env: Any) -> np.ndarray:
        flows = env.pattern_flows()
        loads = env.pattern_loads()
        fabric: Fabric = env.fabric
        k = env.params.pieces
        action = np.zeros(env.action_space.shape, dtype=np.int64)
        j = int(env.sim.pattern[0])
        for f in np.flatnonzero(flows["pending"]):
            a = int(fabric.nic_switch[flows["src"][f]])
            b = int(fabric.nic_switch[flows["dst"][f]])
            links = fabric.paths[a, b]
            alive = fabric.path_alive(a, b)
            for piece in range(k):
                view = PieceView(
                    src_nic=int(flows["src"][f]),
                    dst_nic=int(flows["dst"][f]),
                    src_switch=a,
                    dst_switch=b,
                    pattern=j,
                    flow=int(f),
                    connection=int(flows["connection"][f]),
                    piece=piece,
                    pieces=k,
                    size=float(flows["unit"][f]) / k,
                    alive=alive,
                    links=links,
                    loads=loads[links],
                    capacity=fabric.capacity[links],
                )
                path = self.choose(view)
                if not alive[path]:
                    path = int(np.flatnonzero(np.roll(alive, -path))[0] + path) % len(alive)
                loads[links[path]] += view.size
                action[f * k + piece] = path
        return action

    def _random_alive(self, alive: np.ndarray) -> int:
        return int(self.rng.choice(np.flatnonzero(alive)))


class Ecmp(PiecePolicy):
    """ECMP: each queue pair of a connection hashed to a uniformly random alive path, kept for
    the episode (``qps`` QPs per connection, pieces spread over them in order; None = one QP
    per piece). ``rehash_per_pattern``: a new hash at every step pattern (flowlet
    switching at the step gaps)."""

    def __init__(self, qps: int | None = 1, rehash_per_pattern: bool = False, seed: int = 0):
        super().__init__(seed)
        self.qps, self.rehash = qps, rehash_per_pattern
        self.name = "flowlet" if rehash_per_pattern else f"ecmp-{qps or 'qp'}"

    def choose(self, view: PieceView) -> int:
        qps = view.pieces if self.qps is None else min(self.qps, view.pieces)
        qp = view.piece * qps // view.pieces
        key = (view.connection, qp, view.pattern if self.rehash else -1)
        path = self.memory.get(key)
        if path is None or not view.alive[path]:
            path = self.memory[key] = self._random_alive(view.alive)
        return path


class Spray(PiecePolicy):
    """Spraying at piece granularity: piece j of a connection on the (offset + j)-th alive
    path, the offset random per connection; exact oblivious spraying when the pieces are a
    multiple of the alive paths."""

    name = "spray"

    def choose(self, view: PieceView) -> int:
        alive = np.flatnonzero(view.alive)
        offset = self.memory.get((view.connection,))
        if offset is None:
            offset = self.memory[(view.connection,)] = int(self.rng.integers(len(alive)))
        return int(alive[(offset + view.piece) % len(alive)])


class Greedy(PiecePolicy):
    """Sequential greedy splitting (Ethereal-like): each flow in ``k`` parts (the largest
    divisor of the env's pieces at most k), each part on the path whose busiest link is least
    loaded after adding it; ``capacity_aware`` compares load over capacity, else bytes.
    Ties go to the lowest path index."""

    def __init__(self, k: int, capacity_aware: bool) -> None:
        super().__init__(0)
        self.k, self.capacity_aware = k, capacity_aware
        self.name = f"greedy-{'cap-' if capacity_aware else ''}{k}"

    def choose(self, view: PieceView) -> int:
        group = view.pieces // effective_split(self.k, view.pieces)
        key = (view.connection, view.pattern, view.piece // group)
        path = self.memory.get(key)
        if path is None:
            score = path_score(view, view.size * group, self.capacity_aware)
            path = self.memory[key] = int(np.argmin(score))
        return path


class Oracle(PiecePolicy):
    """Plans each step pattern at once: König edge-colouring on a healthy non-blocking
    two-tier fabric when all of the pattern's cross-switch flows are pending and equal (exact:
    spraying's congestion without splitting); elsewhere the better of the fractional
    min-congestion LP (scipy) rounded to the env's pieces and the capacity-aware greedy
    split of every piece."""

    name = "oracle"

    def choose(self, view: PieceView) -> int:
        if ("plan", view.pattern) not in self.memory:
            self._plan(view.pattern)
        return self.memory[(view.connection, view.piece)]

    def _plan(self, pattern: int) -> None:
        env = self.env
        fabric: Fabric = env.fabric
        flows = env.pattern_flows()
        loads = env.pattern_loads()
        pending = flows["pending"]
        src, dst, unit = flows["src"][pending], flows["dst"][pending], flows["unit"][pending]
        k = env.params.pieces
        cross_all = fabric.nic_switch[flows["src"]] != fabric.nic_switch[flows["dst"]]
        exact = (
            fabric.name in TWO_TIER
            and fabric.healthy
            and env.params.oversubscription == 1
            and not (cross_all & ~pending).any()
            and np.ptp(unit) == 0
        )
        if exact:
            paths = colouring_paths(fabric, src, dst, k)
        else:
            base = loads - nic_loads(fabric, src, dst, unit)
            _, share = min_congestion_lp(fabric, src, dst, unit, base)
            plans = [round_shares(share, k), greedy_paths(fabric, src, dst, unit, k, True, base)]
            paths = min(
                plans, key=lambda plan: plan_congestion(fabric, src, dst, unit, plan, loads)
            )
        for conn, row in zip(flows["connection"][pending], paths, strict=True):
            for piece, path in enumerate(row):
                self.memory[(int(conn), piece)] = int(path)
        self.memory[("plan", pattern)] = 1


# ------------------------------------------------------------------ step-level versions
def ecmp_paths(
    fabric: Fabric, src: np.ndarray, dst: np.ndarray, qps: int, rng: np.random.Generator
) -> np.ndarray:
    """(F, qps) ECMP hashes of ``qps`` QPs per flow: uniform over each pair's alive paths."""
    alive = fabric.path_alive(fabric.nic_switch[src], fabric.nic_switch[dst])
    count = alive.sum(axis=1)
    pick = (rng.random((len(src), qps)) * count[:, None]).astype(np.int64)
    order = np.argsort(~alive, axis=1, kind="stable")  # alive paths first, in index order
    return np.take_along_axis(order, pick, axis=1)


def plan_congestion(
    fabric: Fabric,
    src: np.ndarray,
    dst: np.ndarray,
    size: np.ndarray,
    paths: np.ndarray,
    base_loads: np.ndarray | None = None,
) -> float:
    """Congestion (seconds) of flows split into ``paths.shape[1]`` equal pieces on ``paths``
    (F, k), on top of ``base_loads`` (or the flows' NIC loads when None)."""
    k = paths.shape[1]
    links = fabric.links_of(np.repeat(src, k), np.repeat(dst, k), paths.ravel())
    switch = links[:, 1:-1]
    loads = link_loads(fabric, switch, np.repeat(size / k, k)[:, None])
    loads += nic_loads(fabric, src, dst, size) if base_loads is None else base_loads
    return congestion(loads, fabric.capacity)


def greedy_paths(
    fabric: Fabric,
    src: np.ndarray,
    dst: np.ndarray,
    size: np.ndarray,
    k: int,
    capacity_aware: bool,
    base_loads: np.ndarray | None = None,
) -> np.ndarray:
    """(F, k) paths of the sequential greedy split (``Greedy`` on one step, flows in order,
    each in k equal parts), on top of ``base_loads`` (None: the flows' NIC loads only)."""
    loads = nic_loads(fabric, src, dst, size) if base_loads is None else base_loads.copy()
    a, b = fabric.nic_switch[src], fabric.nic_switch[dst]
    out = np.zeros((len(src), k), dtype=np.int64)
    inverse = np.where(np.isfinite(fabric.capacity), 1.0, 0.0)
    with np.errstate(divide="ignore"):
        per_cap = np.where(fabric.capacity > 0, inverse / fabric.capacity, np.inf)
    per_cap[-1] = 0.0
    weight = per_cap if capacity_aware else inverse
    for f in range(len(src)):
        if a[f] == b[f]:
            continue
        links = fabric.paths[a[f], b[f]]
        alive = fabric.path_alive(a[f], b[f])
        part = size[f] / k
        for j in range(k):
            with np.errstate(invalid="ignore"):
                score = ((loads[links] + part) * weight[links]).max(axis=1)
            score = np.where(alive, np.nan_to_num(score, nan=np.inf), np.inf)
            path = int(np.argmin(score))
            loads[links[path]] += part
            out[f, j] = path
    return out


__all__ = [
    "Ecmp",
    "Greedy",
    "Oracle",
    "PiecePolicy",
    "Spray",
    "ecmp_paths",
    "effective_split",
    "greedy_paths",
    "path_score",
    "plan_congestion",
]
