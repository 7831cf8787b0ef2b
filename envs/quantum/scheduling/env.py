"""``netgym/QuantumNetworkScheduling-v0``: which demand to serve, on which path, with which
protocol, in a multi-user quantum network (reference/quantum.md 6.2)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from gymnasium import spaces

from ...core.budget import check_memory
from ...core.scalar import SimEnv
from ..physics import scaled_fidelity
from ..topologies import QuantumTopology, make_topology
from .demands import Demand, check_demands, generate_demands, release_slots
from .limits import memory_estimate
from .params import SchedulingParams, nv_link_table
from .purification import PumpingScheme, link_settings
from .sim import SchedulingSim

DEMAND_FEATURES = 9
"""per demand: F_min, log period, pending, slack, backlog, in service, progress, servable,
best expected fidelity of its feasible protocols"""
NODE_FEATURES = 2
"""per node: free storage share, communication qubits used in the last slot"""
EDGE_FEATURES = 3
"""per link: a pair stored on it, the best stored fidelity (F - 1/4) / (3/4), the age of the
oldest stored pair / cutoff"""
BACKLOG_CAP = 4


class QuantumNetworkSchedulingEnv(SimEnv):
    """Serve entanglement demands in a multi-user quantum network under QoS requirements.

    ## Description

    The setting of Skrzypczyk & Wehner, "An Architecture for Meeting Quality-of-Service
    Requirements in Multi-User Quantum Networks" (arXiv:2111.13124): D demands (source,
    destination, minimum fidelity F_min, rate R) on an NV network (by default the paper's star:
    3 end nodes around a repeater, 5 km links, 1 communication and 3 storage qubits per node,
    10 ms slots). Each demand releases a job every period ceil(1 / (R slot)) slots (or by a
    Poisson process); a job must get one pair with fidelity >= F_min before the next period.
    Where the paper schedules expected durations offline, here links are generated stochastically
    (per slot with q = 1 - exp(-R_link slot), from the paper's NV link table), stored pairs
    depolarise, pumping (BBPSSW) can fail and the agent decides online. See
    ``scheduling/sim.py`` for the slot order and ``docs/quantum_scheduling.md``.

    ## Action Space

    ``Discrete(1 + D K J)``: 0 idles; ``1 + (d K + k) J + j`` starts serving demand ``d`` on its
    ``k``-th shortest path with ``j`` pumping rounds per hop (the link setting is the fastest row
    of the link table whose expected fidelity reaches F_min, see ``scheduling/purification.py``).
    ``action_masks()`` gives the valid actions: the protocol reaches F_min, the demand has a
    pending job and nothing in service, and the path has the storage qubits free. A masked-out
    action idles (``info["invalid_action"]``, optional penalty) or, with
    ``invalid_action="raise"``, raises ``ValueError``.

    ## Observation Space

    ``Box(0, 1, (9 D + 2 n + 3 E + 1,), float32)``: per demand F_min, log2(period) /
    log2(horizon), a pending job, slack of its oldest job (deadline - t) / period, backlog / 4,
    in service, share of its execution's hops ready, whether any protocol serves it, and the
    best expected fidelity of its feasible protocols as (F - 1/4) / (3/4) (0 if none); per node
    the free storage share and the communication qubits used in the last slot (share); per link
    whether a pair is stored, the best stored fidelity as (F - 1/4) / (3/4) and the age of the
    oldest stored pair / cutoff; and t / horizon.

    ## Rewards

    +1 per job completed (a pair with F >= F_min delivered before the deadline), -miss_penalty
    per job whose deadline passed, -invalid_action_penalty per masked-out action.

    ## Starting State

    Demands are drawn from the episode seed as the QoS code does (or fixed by ``demands`` /
    ``demand_seed``); the first jobs are released in slot 0 (periodic) or at Poisson times; no
    pairs are stored.

    ## Episode End

    Never terminates; truncated after ``horizon_slots`` slots (one step is one slot).

    ``info`` holds the QoS paper's metrics so far (``scheduling/metrics.py``):
    ``throughput_ebit_s``, ``wcrt_s``, ``jitter_s2``, ``satisfied_fraction``; and counts
    (``completed_jobs``, ``missed_jobs``, ``released_jobs``, ``delivered_pairs``,
    ``low_fidelity_pairs``, ``mean_delivered_fidelity``, ``invalid_action``).

    ## Arguments

    ``params``: a ``SchedulingParams``, a dict of its fields, a preset name ('paper',
    'nv_noisy') or None; keyword overrides of any field (``topology="H"``, ``n_demands=6``,
    ``release_mode="poisson"``, ...). See ``scheduling/params.py``. A configuration whose
    memory estimate (``scheduling/limits.py``: demands, actions, the jobs released over the
    horizon, the topology; paths pair by pair at reset) exceeds the memory budget
    (``envs/core/budget.py``) is refused before it is built; so is a path search estimated
    above a minute (``envs/quantum/paths.py``).

    ``render_mode``: "rgb_array" (a 400 x 640 frame: the topology with the paths being served
    and the stored pairs, the demands with their deadlines and the last action) or "ansi".

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}
    params_class = SchedulingParams

    params: SchedulingParams

    def setup(self) -> None:
        p = self.params
        self.topology: QuantumTopology = make_topology(p.topology)
        self.link_table = nv_link_table()
        link_settings(self.topology, self.link_table)  # every link must be covered by the table
        memory, detail = memory_estimate(p, self.topology)
        check_memory(type(self).__name__, memory, detail)
        self._fixed_demands: list[Demand] | None = None
        if p.demands is not None:
            check_demands(self.topology, list(p.demands))
            self._fixed_demands = list(p.demands)
        elif p.demand_seed is not None:
            self._fixed_demands = self._draw_demands(np.random.default_rng(p.demand_seed))
        self.action_space = spaces.Discrete(p.n_actions)
        size = DEMAND_FEATURES * p.n_demands + NODE_FEATURES * self.topology.n_nodes
        size += EDGE_FEATURES * self.topology.n_edges + 1
        self.observation_space = spaces.Box(0.0, 1.0, (size,), dtype=np.float32)
        self.sim = SchedulingSim(p, self.topology, self.link_table, memory)
        self._invalid = False
        self._last_action: int | None = None  # shown by render()
        self._layout: np.ndarray | None = None  # node positions of the frame, drawn once

    # ------------------------------------------------------------------ public attributes
    @property
    def demands(self) -> list[Demand]:
        """Demands of the current episode."""
        return list(self.sim.demands)

    @property
    def protocols(self) -> list[PumpingScheme]:
        """Pumping scheme of every action 1 .. n - 1 (index ``action - 1``) in this episode."""
        return list(self.sim.protocols)

    @property
    def periods_slots(self) -> np.ndarray:
        """Period (and relative deadline) of every demand, in slots."""
        return self.sim.periods.copy()

    @property
    def slot(self) -> int:
        """The current slot."""
        return self.sim.t

    def pending_deadlines(self) -> list[list[int]]:
        """Deadline slots of every demand's pending jobs, oldest first."""
        sim = self.sim
        return [
            (sim.releases[d][sim._head[d] : sim._next_release[d]] + sim.periods[d]).tolist()
            for d in range(len(sim.demands))
        ]

    def release_times(self) -> list[np.ndarray]:
        """Release slots of every demand's jobs in this episode (known to offline schedulers)."""
        return [times.copy() for times in self.sim.releases]

    def decode_action(self, action: int) -> tuple[int, int, int]:
        """(demand d, path k, depth j) of an action >= 1."""
        p = self.params
        if not 1 <= action < p.n_actions:
            raise ValueError(f"action must be in [1, {p.n_actions - 1}] to decode, got {action}")
        index = action - 1
        return (
            index // (p.n_paths * p.n_depths),
            (index // p.n_depths) % p.n_paths,
            index % p.n_depths,
        )

    def encode_action(self, demand: int, path: int, depth: int) -> int:
        """The action that starts ``demand`` on ``path`` with ``depth`` pumping rounds."""
        p = self.params
        if not (0 <= demand < p.n_demands and 0 <= path < p.n_paths and 0 <= depth < p.n_depths):
            raise ValueError(f"(demand, path, depth) = {(demand, path, depth)} out of range")
        return 1 + (demand * p.n_paths + path) * p.n_depths + depth

    # ------------------------------------------------------------------------ SimEnv hooks
    def reset_sim(self, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        p = self.params
        demands = self._fixed_demands or self._draw_demands(self.np_random)
        releases = release_slots(self.np_random, demands, p.horizon_slots, p.slot_s, p.release_mode)
        self.sim.reset(self.np_random, demands, releases)
        self._episode_features()
        self._invalid = False
        self._last_action = None
        return self._obs(), self._info()

    def check_action(self, action: Any) -> int:
        try:
            choice = operator.index(action)
        except TypeError:
            try:
                choice = operator.index(np.asarray(action).item())
            except (TypeError, ValueError):
                raise ValueError(f"action must be an integer, got {action!r}") from None
        n_actions = self.params.n_actions
        if not 0 <= choice < n_actions:
            raise ValueError(f"action must be in [0, {n_actions - 1}], got {choice}")
        return choice

    def step_sim(self, choice: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        mask = self.sim.action_mask()
        self._invalid = not mask[choice]
        if self._invalid and self.params.invalid_action == "raise":
            raise ValueError(self._why_invalid(choice))
        if choice and not self._invalid:
            self.sim.start(choice)
        if self.render_mode is not None:
            self._last_action = choice
        completed, missed = self.sim.advance()
        reward = float(completed) - self.params.miss_penalty * missed
        if self._invalid:
            reward -= self.params.invalid_action_penalty
        truncated = self.sim.t >= self.params.horizon_slots
        return self._obs(), reward, False, truncated, self._info()

    def action_masks(self) -> np.ndarray:
        """Valid actions (bool, ``(n_actions,)``), for masked agents such as MaskablePPO."""
        return self.sim.action_mask()

    def render(self) -> np.ndarray | str | None:
        """The network after the last slot: a 400 x 640 ``rgb_array`` frame (topology, the
        paths being served, stored pairs by fidelity, the demands with their deadlines; see
        ``render.py``) or ``ansi`` text; None without a render mode."""
        if self.render_mode is None:
            return None
        from .render import ansi, draw_frame, layout

        if self.render_mode == "ansi":
            return ansi(self, self._last_action)
        if self._layout is None:
            self._layout = layout(self.topology)
        return draw_frame(self, self._layout, self._last_action)

    # --------------------------------------------------------------------------- helpers
    def _draw_demands(self, rng: np.random.Generator) -> list[Demand]:
        p = self.params
        return generate_demands(
            rng,
            self.topology,
            p.n_demands,
            p.demand_mode,
            p.demand_fidelity,
            p.demand_fidelity_range,
        )

    def _why_invalid(self, action: int) -> str:
        sim = self.sim
        d, k, j = self.decode_action(action)
        where = f"action {action} (demand {d}, path {k}, depth {j}) is masked out: "
        if not sim.feasible[action - 1]:
            return where + "no link setting reaches the demand's F_min on that path and depth"
        if not sim.pending_count[d]:
            return where + "the demand has no pending job"
        if sim.in_service[d]:
            return where + "the demand is already in service"
        return where + "the path's storage qubits are busy"

    def _episode_features(self) -> None:
        """The demand features fixed for an episode: log2(period) / log2(horizon), whether a
        protocol serves the demand and its best expected fidelity."""
        sim, p = self.sim, self.params
        log_h = np.log2(max(p.horizon_slots, 2))
        self._log_period = np.array([np.log2(period) / log_h for period in sim.periods])
        per_demand = p.n_paths * p.n_depths
        self._servable = sim.feasible.reshape(p.n_demands, per_demand).any(axis=1)
        expected = np.array([proto.expected_fidelity for proto in sim.protocols])
        expected = np.where(sim.feasible, scaled_fidelity(expected), 0.0)
        self._best_expected = expected.reshape(p.n_demands, per_demand).max(axis=1)

    def _obs(self) -> np.ndarray:
        sim, p, topo = self.sim, self.params, self.topology
        d_feat = np.zeros((p.n_demands, DEMAND_FEATURES), dtype=np.float32)
        progress = np.zeros(p.n_demands)
        for ex in sim.executions:
            ready = ex.has_pair & (ex.pumps >= ex.protocol.depth)
            progress[ex.protocol.demand] = ready.mean()
        count = sim.pending_count
        queued = count > 0
        slack = np.zeros(p.n_demands)
        slack[queued] = (sim.head_deadline[queued] - sim.t) / sim.periods[queued]
        d_feat[:, 0] = sim.fidelity_min
        d_feat[:, 1] = self._log_period
        d_feat[:, 2] = queued
        d_feat[:, 3] = slack
        d_feat[:, 4] = np.minimum(count, BACKLOG_CAP) / BACKLOG_CAP
        d_feat[:, 5] = sim.in_service
        d_feat[:, 6] = progress
        d_feat[:, 7] = self._servable
        d_feat[:, 8] = self._best_expected
        free = 1.0 - sim.storage_used / topo.storage_qubits
        used = sim.comm_used / topo.comm_qubits
        stored = np.zeros(topo.n_edges)
        best = np.zeros(topo.n_edges)
        age = np.zeros(topo.n_edges)
        for ex in sim.executions:
            held = ex.has_pair
            if held.any():
                edges = ex.edges[held]
                stored[edges] = 1.0
                np.maximum.at(best, edges, scaled_fidelity(ex.fidelity[held]))
                np.maximum.at(age, edges, ex.age[held] / p.cutoff_slots)
        parts = [
            d_feat.ravel(),
            free,
            used,
            stored,
            best,
            age,
            [sim.t / p.horizon_slots],
        ]
        return np.clip(np.concatenate(parts), 0.0, 1.0).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        sim = self.sim
        info: dict[str, Any] = sim.metrics()
        fids = sim.delivered_fidelities
        info.update(
            completed_jobs=sim.n_completed,
            missed_jobs=int(sim.missed.sum()),
            released_jobs=int(sim.released.sum()),
            delivered_pairs=int(sim.deliveries.sum()),
            low_fidelity_pairs=int(sim.low_fidelity.sum()),
            mean_delivered_fidelity=float(np.mean(fids)) if len(fids) else 0.0,
            invalid_action=self._invalid,
            slot=sim.t,
        )
        return info


__all__ = [
    "BACKLOG_CAP",
    "DEMAND_FEATURES",
    "EDGE_FEATURES",
    "NODE_FEATURES",
    "QuantumNetworkSchedulingEnv",
]
