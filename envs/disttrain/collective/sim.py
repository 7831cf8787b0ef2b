"""The batched sim of ``netgym/CollectivePath-v0`` (the ``BatchSim`` protocol).

Each env plays one collective (``episode.plan_episode``). In ``flow`` mode a step places one
piece of one flow on one of the equal-cost paths of its switch pair; in ``step`` mode a step
places every pending piece of a step pattern at once. Within a pattern the link loads grow
incrementally (``loads``, unit bytes); when the pattern's last piece is placed, its
congestion ``kappa`` (analytic: max load / capacity; fluid: the max-min completion time) is
final, and every step of that pattern lasts ``alpha + scale_k kappa`` (paths persist).

Reward (reference section 6, E1): a pattern's regret ``w_j (kappa_j - lb_j) / T_lb`` with
``w_j`` the bytes-per-unit of its steps, ``lb_j`` its cut bound and ``T_lb`` the collective's
lower bound, charged when the pattern completes (``sparse``) or spread over its decisions as
the growth of its congestion (``dense``). The return is ``-(T_comm / T_lb - 1)`` either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.budget import check_memory, format_bytes
from ...core.sim import Rows, rows
from ..cost import nic_loads
from ..fluid import fluid_completion_time
from ..topology import Fabric
from .episode import Model, Plan, plan_episode
from .kernels import congestion_of, load_decisions, place_pieces
from .observe import flow_observation, gather_links, hop_min, observation_size, step_observation
from .params import CollectivePathParams

FAILED_INVERSE = 1e30
"""the inverse capacity of a failed link (any load on it reads as saturated)"""


class CollectiveSim:
    """N CollectivePath episodes (see the module docstring)."""

    def __init__(self, params: CollectivePathParams, num_envs: int, model: Model | None = None):
        self.params, self.num_envs = params, num_envs
        self.model = model if model is not None else Model.build(params)
        per_env = self.model.state_bytes()
        check_memory("CollectivePath", per_env * num_envs, f"{num_envs} x {format_bytes(per_env)}")
        fab = self.model.fabric
        n, dmax = num_envs, max(self.model.max_decision_flows, 1)
        self.pieces = params.pieces
        self.links1 = fab.n_links + 1
        self.plans: list[Plan | None] = [None] * n
        self._row_fabric: list[Fabric] = [fab] * n
        """the fabric whose capacities and factors each env's rows hold"""
        self.dec_a = np.zeros((n, dmax), dtype=np.int64)
        self.dec_b = np.zeros((n, dmax), dtype=np.int64)
        self.dec_conn = np.zeros((n, dmax), dtype=np.int64)
        self.dec_unit = np.zeros((n, dmax))
        self.conn_path = np.full((n, dmax, self.pieces), -1, dtype=np.int16)
        self.capacity = np.tile(fab.capacity, (n, 1))
        self.inv_capacity = np.tile(inverse_capacity(fab.capacity), (n, 1))
        self.factors = np.ones((n, self.links1))
        self.healthy = np.ones(n, dtype=bool)
        """(N,) every capacity factor of the env's fabric is 1 (the observation kernel then
        skips the per-path minimum of the factors: it is 1)"""
        self.loads = np.zeros((n, self.links1))
        self.cursor = np.zeros(n, dtype=np.int64)
        self.n_decisions = np.ones(n, dtype=np.int64)
        self.pattern = np.zeros(n, dtype=np.int64)
        self.pattern_end = np.zeros(n, dtype=np.int64)
        self.lb_cur = np.ones(n)
        self.weight_cur = np.zeros(n)
        self.partial = np.zeros(n)
        self.credited = np.zeros(n)
        self.t_lb = np.ones(n)
        self.pending = np.zeros(n)
        self.spraying_time = np.zeros(n)
        self.n_patterns = np.ones(n, dtype=np.int64)
        self._path_ids = np.arange(fab.max_paths)
        self.comm_time = np.zeros(n)
        self.last_ratio = np.zeros(n)
        self.rerouted = np.zeros(n, dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.done = np.zeros(n, dtype=bool)
        self.reward = np.zeros(n)
        self._ar = np.arange(n)
        self._path_ids = np.arange(fab.max_paths)
        self._env0 = np.zeros(1, dtype=np.int64)
        self._path0 = np.zeros(1, dtype=np.int64)
        self.kernel_plan = (
            self.pieces,
            self.dec_a,
            self.dec_b,
            self.dec_conn,
            self.dec_unit,
            fab.paths,
            fab.n_paths,
            self.factors,
            self.inv_capacity,
            self.weight_cur,
            self.t_lb,
        )
        """the arrays the kernels read (``kernels.place_pieces``, ``kernels.flow_observe``)"""
        self._kernel_state = (
            self.cursor,
            self.rerouted,
            self.reward,
            self.partial,
            self.credited,
            self.pending,
            self.steps,
            self.pattern_end,
        )
        self._ended = np.empty(n, dtype=np.int64)
        self.obs_size = observation_size(params, self.model)
        self.obs_constants = np.array([fab.nic_bps, params.obs_scale])
        """the flow observation's length and the ``flow_observe`` kernel's constants"""
        self._dense = params.reward == "dense"

    # ------------------------------------------------------------------ BatchSim
    @property
    def terminated(self) -> np.ndarray:
        """(N,) the collective is complete."""
        return self.done

    @property
    def truncated(self) -> np.ndarray:
        """(N,) all False: an episode always ends with its collective."""
        return np.zeros(self.num_envs, dtype=bool)

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """Draw new episodes in envs ``idx`` and advance each to its first decision."""
        k = self.pieces
        envs = rows(idx, self.num_envs)
        decision_rows = (self.dec_a, self.dec_b, self.dec_conn, self.dec_unit, self.conn_path)
        for m in envs:
            plan = plan_episode(self.model, rngs[m])
            self.plans[m] = plan
            load_decisions(
                m,
                plan.dec_flow,
                plan.flow_a,
                plan.flow_b,
                plan.flow_conn,
                plan.patterns.unit,
                k,
                decision_rows,
            )
            if plan.fabric is not self._row_fabric[m]:  # healthy episodes keep their rows
                self.capacity[m] = plan.fabric.capacity
                self.inv_capacity[m] = inverse_capacity(plan.fabric.capacity)
                self.factors[m] = plan.fabric.factors
                self.healthy[m] = not (self.factors[m] != 1.0).any()
                self._row_fabric[m] = plan.fabric
            self.spraying_time[m] = plan.spraying_time
            self.n_patterns[m] = plan.patterns.count
            self.n_decisions[m] = len(plan.dec_flow) * k
            self.t_lb[m] = plan.lower_bound
        for counter in (self.cursor, self.rerouted, self.steps):
            counter[envs] = 0
        for value in (self.comm_time, self.last_ratio, self.reward):
            value[envs] = 0.0
        self.done[envs] = False
        for m in envs:
            self.pending[m] = self._enter(m, 0)

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """Place one piece (flow mode: ``actions`` (n,) path indices) or one pattern (step
        mode: ``actions`` (n, max_flows * pieces)) in each env of ``idx``."""
        envs = rows(idx, self.num_envs)
        if self.params.mode == "step":
            self.reward[envs] = self.pending[envs]
            self.pending[envs] = 0.0
            self.steps[envs] += 1
            for row, m in enumerate(envs):
                self.reward[m] += self._place_pattern(m, actions[row])
            return
        self._place_pieces(envs, np.asarray(actions, dtype=np.int64))

    def _place_pieces(self, envs: np.ndarray, path: np.ndarray) -> None:
        """Flow mode: the ``place_pieces`` kernel, then the envs whose pattern it completed
        finish that pattern."""
        n_ended = place_pieces(
            np.ascontiguousarray(envs, dtype=np.int64),
            np.ascontiguousarray(path, dtype=np.int64),
            self.kernel_plan,
            self._kernel_state,
            self.loads,
            self.conn_path,
            self._dense,
            self._ended,
        )
        for m in self._ended[:n_ended].tolist():
            self.reward[m] += self._finish(m)

    def observation(self) -> np.ndarray:
        """(N, obs size) float32 observations."""
        if self.params.mode == "step":
            return np.stack([step_observation(self, m) for m in range(self.num_envs)])
        return flow_observation(self)

    def observation_size(self) -> int:
        """Length of one env's observation."""
        return observation_size(self.params, self.model)

    def info(self) -> dict[str, np.ndarray]:
        """Per-env arrays: times so far (seconds), bounds, counters."""
        compute = self.params.compute_ms * 1e-3
        return {
            "iteration_time": compute + self.comm_time,
            "lower_bound": compute + self.t_lb,
            "spraying_time": compute + self.spraying_time,
            "comm_time": self.comm_time.copy(),
            "congestion_ratio": self.last_ratio.copy(),
            "decisions": self.cursor.copy(),
            "pattern": self.pattern.copy(),
            "rerouted": self.rerouted.copy(),
        }

    # ------------------------------------------------------------------ decisions
    def alive_paths(self, m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(n, P) alive paths of switch pairs (a, b) in envs m."""
        fab = self.model.fabric
        links = fab.paths[a, b]
        fac_min = hop_min(gather_links(self.factors, m, links))  # > 0: every hop is alive
        return (fac_min > 0) & (self._path_ids < fab.n_paths[a, b][:, None])

    def _reroute(self, alive: np.ndarray, path: np.ndarray) -> np.ndarray:
        """Each path index moved to the first alive path at or after it (cyclically)."""
        count = alive.shape[1]
        ok = alive[np.arange(len(path)), path]
        if ok.all():
            return path
        shifted = (self._path_ids[None, :] + path[:, None]) % count
        first = np.argmax(np.take_along_axis(alive, shifted, axis=1), axis=1)
        return np.where(ok, path, shifted[np.arange(len(path)), first])

    def step_one(self, path: int) -> None:
        """Flow mode, env 0 alone: ``step(EVERY_ENV, [path])`` without the batch overhead
        (the same kernel)."""
        self._path0[0] = path
        self._place_pieces(self._env0, self._path0)

    def _place_pattern(self, m: int, action: np.ndarray) -> float:
        """Step mode: place every pending piece of the current pattern of env m."""
        k = self.pieces
        plan = self.plans[m]
        j = int(self.pattern[m])
        q0 = int(plan.dec_end[j - 1]) if j else 0
        q1 = int(plan.dec_end[j])
        flows = plan.dec_flow[q0:q1]
        slots = (flows - plan.patterns.flow_start[j])[:, None] * k + np.arange(k)
        wanted = np.asarray(action)[slots].reshape(-1).astype(np.int64)
        a = np.repeat(plan.flow_a[flows], k)
        b = np.repeat(plan.flow_b[flows], k)
        envs = np.full(len(a), m)
        chosen = self._reroute(self.alive_paths(envs, a, b), wanted)
        self.rerouted[m] += int((chosen != wanted).sum())
        links = self.model.fabric.paths[a, b, chosen]
        unit = np.repeat(plan.patterns.unit[flows] / k, k)
        self.loads[m] += np.bincount(
            links.ravel(), weights=np.repeat(unit, links.shape[1]), minlength=self.links1
        )
        self.conn_path[m, plan.flow_conn[flows]] = chosen.reshape(-1, k)
        self.cursor[m] = q1 * k
        return self._finish(m)

    # ------------------------------------------------------------------ patterns
    def _pattern_loads(self, m: int, j: int, placed_only: bool) -> np.ndarray:
        """Unit loads of pattern j of env m: NIC links of every flow, plus the switch links
        of the flows whose connections are placed (all, unless ``placed_only``)."""
        plan = self.plans[m]
        s = plan.pattern_slice(j)
        fab = self.model.fabric
        src, dst, unit = plan.patterns.src[s], plan.patterns.dst[s], plan.patterns.unit[s]
        loads = nic_loads(fab, src, dst, unit)
        paths = self.conn_path[m, plan.flow_conn[s]].astype(np.int64)  # (F, K)
        cross = plan.flow_a[s] != plan.flow_b[s]
        placed = cross & (paths[:, 0] >= 0) if placed_only else cross
        if placed.any():
            a, b = plan.flow_a[s][placed], plan.flow_b[s][placed]
            links = fab.paths[a[:, None], b[:, None], paths[placed]]  # (F, K, H)
            w = (unit[placed] / self.pieces)[:, None, None]
            loads += np.bincount(
                links.ravel(),
                weights=np.broadcast_to(w, links.shape).ravel(),
                minlength=self.links1,
            )
        return loads

    def _enter(self, m: int, j: int) -> float:
        """Start pattern j of env m; patterns without decisions complete at once. Returns the
        reward they earn."""
        plan = self.plans[m]
        reward = 0.0
        while True:
            self.pattern[m] = j
            if j == 0 and self.cursor[m] == 0:  # nothing placed: the plan's NIC loads
                self.loads[m] = plan.first_loads
                base = plan.nic_unit[0]
            else:
                self.loads[m] = self._pattern_loads(m, j, placed_only=True)
                base = congestion_of(self.loads[m], self.capacity[m])
            self.lb_cur[m] = plan.lb_unit[j]
            self.weight_cur[m] = plan.weight[j]
            self.partial[m] = max(base, plan.lb_unit[j])
            self.credited[m] = plan.lb_unit[j]
            self.pattern_end[m] = int(plan.dec_end[j]) * self.pieces
            if self.cursor[m] < self.pattern_end[m]:
                return reward
            reward += self._complete(m)
            j += 1
            if j == plan.patterns.count:
                self.done[m] = True
                return reward

    def _finish(self, m: int) -> float:
        """The current pattern of env m got its last piece: complete it, enter the next."""
        reward = self._complete(m)
        j = int(self.pattern[m]) + 1
        if j == self.plans[m].patterns.count:
            self.done[m] = True
            return reward
        return reward + self._enter(m, j)

    def _complete(self, m: int) -> float:
        """Charge the steps of the current pattern of env m; returns the reward."""
        plan = self.plans[m]
        j = int(self.pattern[m])
        if self.params.timing == "fluid":
            kappa = self._fluid(m, j)
        else:
            kappa = congestion_of(self.loads[m], self.capacity[m])
        self.comm_time[m] += plan.weight[j] * kappa + self.params.alpha_us * 1e-6 * plan.n_steps[j]
        self.last_ratio[m] = kappa / plan.lb_unit[j]
        credited = self.credited[m] if self.params.reward == "dense" else plan.lb_unit[j]
        return -float(plan.weight[j] * (kappa - credited) / plan.lower_bound)

    def _fluid(self, m: int, j: int) -> float:
        """Max-min fair completion time of pattern j of env m (seconds per unit)."""
        plan = self.plans[m]
        s = plan.pattern_slice(j)
        k = self.pieces
        paths = self.conn_path[m, plan.flow_conn[s]].astype(np.int64)
        paths[paths < 0] = 0  # flows inside one switch
        src = np.repeat(plan.patterns.src[s], k)
        dst = np.repeat(plan.patterns.dst[s], k)
        fabric = plan.fabric
        links = fabric.links_of(src, dst, paths.ravel())
        sizes = np.repeat(plan.patterns.unit[s] / k, k)
        return fluid_completion_time(links, sizes, fabric.capacity)


def inverse_capacity(capacity: np.ndarray) -> np.ndarray:
    """1 / capacity per link: 0 for the null link (infinite), ``FAILED_INVERSE`` for a failed
    link (capacity 0), so that ``load * inverse`` is 0 for an idle failed link and saturates
    every observation for a loaded one."""
    with np.errstate(divide="ignore"):
        inverse = np.where(capacity > 0, 1.0 / capacity, FAILED_INVERSE)
    inverse[-1] = 0.0
    return inverse


__all__ = ["CollectiveSim", "inverse_capacity"]
