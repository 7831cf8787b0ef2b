"""Slot-level simulation of multi-user entanglement scheduling (no gymnasium import).

One ``SchedulingSim`` is one network. Demands release jobs (periodic or Poisson); the
controller starts *executions*: a demand served on a path with a pumping depth (a
``PumpingScheme``). An execution reserves storage qubits along its path (1 at each end node, 2 at
each intermediate node: one per side) until it delivers. Every slot:

1. ``start(action)`` (optional) reserves the storage and creates the execution;
2. ``advance()``:
   a. every stored pair depolarises for one slot, F <- 1/4 + (F - 1/4) exp(-2 slot / T), and
      ages by one slot; in executions still generating, pairs older than the cutoff are
      discarded (their hop starts again, pumping rounds included);
   b. executions whose pairs were all ready at the end of the previous slot swap at every
      intermediate node (one slot, ``physics.swap_werner`` with the gate and measurement
      noise) and deliver the end-to-end pair;
   c. link generation: executions in start order, hops in path order; a hop that needs a pair
      (none stored, or fewer pumping rounds than its depth) attempts when both of its nodes
      still have a free communication qubit this slot, and succeeds with q = 1 - exp(-R slot)
      (R: the link-table rate of the protocol's setting). A success on a hop that already holds
      a pair is a pumping round: BBPSSW (``physics.bbpssw``) keeps the improved pair with its
      success probability and loses both pairs otherwise;
   d. executions whose hops all hold fully pumped pairs become ready; a one-hop execution
      delivers at once (no swap);
   e. the clock moves to the next slot; jobs whose deadline has come uncompleted are missed
      (dropped), and the jobs released in the new slot join their demand's queue.

A delivered pair completes the demand's oldest pending job when its fidelity reaches F_min;
otherwise (or without a pending job) it is counted but completes nothing. A demand has at
most one execution in service.

Costs per demand are kept small, so that thousands of demands are practical: protocols are
estimated once per node pair (``purification.build_protocols``), storage needs are kept per
distinct path, and each slot touches only the demands with a release or a deadline due (the
next release and the oldest deadline of every demand are arrays); the QoS metrics are updated
when a job completes instead of being recomputed from every job.

Why no native batched (N-env) version: the communication qubits are matched to the hops that
want them greedily, in start order, one execution after another, and the number of executions
varies per env and per slot; that matching is sequential by nature, so the scheduling env is
scalar and ``gym.make_vec`` steps copies of it (``SyncVectorEnv``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import physics
from ..topologies import QuantumTopology
from .demands import Demand
from .metrics import JobRecord
from .params import LinkTable, SchedulingParams
from .purification import (
    PumpingScheme,
    build_protocols,
    capacity_bound_ebit_s,
    capacity_links,
    chain_fidelity,
)

NEVER = np.iinfo(np.int64).max
"""the slot of a release or deadline that never comes (no more releases, no pending job)"""


class Execution:
    """One running service of a demand: the pairs stored on each hop of its path.

    Attributes:
        protocol: what is executed.
        action: the action that started it.
        start_slot: slot it was started in.
        edges: (hops,) link index of each hop (``protocol.edges`` as an array).
        has_pair: (hops,) whether a pair is stored on the hop.
        fidelity: (hops,) fidelity of the stored pair (meaningless without one).
        age: (hops,) slots the stored pair has waited.
        pumps: (hops,) pumping rounds done on the stored pair.
        ready: all hops hold fully pumped pairs (swaps run in the next slot).
    """

    __slots__ = (
        "protocol",
        "action",
        "start_slot",
        "edges",
        "has_pair",
        "fidelity",
        "age",
        "pumps",
        "ready",
    )

    def __init__(self, protocol: PumpingScheme, action: int, start_slot: int) -> None:
        hops = protocol.hops
        self.protocol = protocol
        self.action = action
        self.start_slot = start_slot
        self.edges = np.array(protocol.edges, dtype=np.int64)
        self.has_pair = np.zeros(hops, dtype=bool)
        self.fidelity = np.full(hops, 0.25)
        self.age = np.zeros(hops, dtype=np.int64)
        self.pumps = np.zeros(hops, dtype=np.int64)
        self.ready = False


class SchedulingSim:
    """The network, its demands' job queues and the running executions (module docstring).

    Counters (all reset by ``reset``): ``attempts`` / ``generations`` per link (generation
    attempts and successes), ``purifications`` per link (successful pumping rounds),
    ``deliveries`` / ``low_fidelity`` / ``delivered_yield`` per demand (pairs delivered,
    pairs below F_min, summed hashing yield), ``edge_deliveries`` per link (delivered pairs
    whose path used it), ``completed`` (``JobRecord`` lists) and ``completed_count``,
    ``missed`` and ``released`` per demand, ``delivered_fidelities`` (every delivered pair).

    Job queues: demand d's pending jobs are ``releases[d][head:next]`` (released, neither
    completed nor missed; jobs leave from the front, oldest first); ``pending_count`` and
    ``head_deadline`` hold each queue's length and oldest deadline, ``pending_jobs(d)`` its
    (release, deadline) pairs.
    """

    def __init__(
        self,
        params: SchedulingParams,
        topology: QuantumTopology,
        table: LinkTable,
        memory_base: float = 0.0,
    ) -> None:
        self.params = params
        self.memory_base = memory_base
        """the episode's memory estimate without paths (``limits.memory_estimate``)"""
        self.topology = topology
        self.table = table
        self.decay = float(np.exp(-2.0 * params.slot_s / params.memory_time_s))
        self.t = 0
        self._capacity_links: tuple[list[tuple[int, int, float]], float] | None = None
        self._capacity_memo: dict[tuple[int, int], float] = {}

    # ----------------------------------------------------------------------------- reset
    def reset(
        self,
        rng: np.random.Generator,
        demands: Sequence[Demand],
        releases: Sequence[np.ndarray],
    ) -> None:
        """Start an episode with ``demands`` whose jobs are released at ``releases``."""
        p, topo = self.params, self.topology
        self.rng = rng
        self.demands = list(demands)
        n_demands = len(self.demands)
        self.protocols = build_protocols(topo, self.demands, p, self.table, self.memory_base)
        self.periods = np.array([d.period_slots(p.slot_s) for d in self.demands], dtype=np.int64)
        self.fidelity_min = np.array([d.fidelity_min for d in self.demands])
        self.releases = [np.asarray(r, dtype=np.int64) for r in releases]
        self._next_release = np.zeros(n_demands, dtype=np.int64)
        self._next_time = np.array([r[0] if len(r) else NEVER for r in self.releases], np.int64)
        """(D,) slot of each demand's next release (``NEVER`` after the last)"""
        self._head = np.zeros(n_demands, dtype=np.int64)
        """(D,) index in ``releases[d]`` of each demand's oldest pending job: the queue of
        demand d is ``releases[d][_head[d]:_next_release[d]]`` (jobs leave from the front)"""
        self.pending_count = np.zeros(n_demands, dtype=np.int64)
        """(D,) jobs waiting in each demand's queue"""
        self.head_deadline = np.full(n_demands, NEVER, dtype=np.int64)
        """(D,) deadline of each demand's oldest pending job (``NEVER`` when none)"""
        self.in_service = np.zeros(n_demands, dtype=bool)
        self.storage_used = np.zeros(topo.n_nodes, dtype=np.int64)
        self.comm_used = np.zeros(topo.n_nodes, dtype=np.int64)
        self.executions: list[Execution] = []
        self.t = 0
        self.attempts = np.zeros(topo.n_edges, dtype=np.int64)
        self.generations = np.zeros(topo.n_edges, dtype=np.int64)
        self.purifications = np.zeros(topo.n_edges, dtype=np.int64)
        self.deliveries = np.zeros(n_demands, dtype=np.int64)
        self.edge_deliveries = np.zeros(topo.n_edges, dtype=np.int64)
        self.low_fidelity = np.zeros(n_demands, dtype=np.int64)
        self.delivered_yield = np.zeros(n_demands)
        self._fidelities = np.zeros(64)
        self.n_delivered = 0
        self.completed: list[list[JobRecord]] = [[] for _ in range(n_demands)]
        self.completed_count = np.zeros(n_demands, dtype=np.int64)
        self.n_completed = 0
        self.missed = np.zeros(n_demands, dtype=np.int64)
        self.released = np.zeros(n_demands, dtype=np.int64)
        self._wcrt_slots = 0
        self._jitter = np.zeros(n_demands)
        self.feasible = np.array([proto.feasible for proto in self.protocols], dtype=bool)
        self._index_paths()
        self._capacity: np.ndarray | None = None
        self._release()

    def _index_paths(self) -> None:
        """Storage needs per distinct path (1 at each end, 2 in between) and the path of every
        action (``len(paths)`` for an action without a path, which needs nothing)."""
        index: dict[tuple[int, ...], int] = {}
        of_action = np.empty(len(self.protocols), dtype=np.int64)
        for a, proto in enumerate(self.protocols):
            if proto.path:
                of_action[a] = index.setdefault(proto.path, len(index))
        nodes, need, owner = [], [], []
        for number, path in enumerate(index):
            count = np.full(len(path), 2, dtype=np.int64)
            count[[0, -1]] = 1
            nodes.append(np.asarray(path, dtype=np.int64))
            need.append(count)
            owner.append(np.full(len(path), number, dtype=np.int64))
        for a, proto in enumerate(self.protocols):
            if not proto.path:
                of_action[a] = len(index)
        self._path_nodes, self._path_need = nodes, need
        self._path_of_action = of_action
        self._flat_nodes = np.concatenate(nodes) if nodes else np.zeros(0, dtype=np.int64)
        self._flat_need = np.concatenate(need) if need else np.zeros(0, dtype=np.int64)
        self._flat_owner = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64)

    @property
    def capacity_bound_ebit_s(self) -> np.ndarray:
        """(D,) min-cut bound of each demand's pair (``purification.capacity_bound_ebit_s``),
        computed on first use, once per node pair and topology."""
        if self._capacity is None:
            if self._capacity_links is None:
                self._capacity_links = capacity_links(self.topology, self.table)
            memo, links = self._capacity_memo, self._capacity_links
            for d in self.demands:
                pair = (d.source, d.destination)
                if pair not in memo:
                    memo[pair] = capacity_bound_ebit_s(self.topology, self.table, *pair, links)
            self._capacity = np.array([memo[d.source, d.destination] for d in self.demands])
        return self._capacity

    @property
    def delivered_fidelities(self) -> np.ndarray:
        """Fidelity of every pair delivered in this episode, in delivery order."""
        return self._fidelities[: self.n_delivered]

    # --------------------------------------------------------------------------- actions
    def action_mask(self) -> np.ndarray:
        """Valid actions: 0 (idle) and every (d, k, j) that is feasible, whose demand has a
        pending job and no execution in service, and whose storage is free on its path."""
        p = self.params
        per_demand = p.n_paths * p.n_depths
        waiting = (self.pending_count > 0) & ~self.in_service
        free = self.topology.storage_qubits - self.storage_used
        short = self._flat_need > free[self._flat_nodes]
        blocked = np.bincount(self._flat_owner[short], minlength=len(self._path_nodes) + 1)
        fits = blocked[self._path_of_action] == 0
        mask = np.empty(p.n_actions, dtype=bool)
        mask[0] = True
        mask[1:] = self.feasible & fits & np.repeat(waiting, per_demand)
        return mask

    def start(self, action: int) -> None:
        """Start the execution of ``action`` (>= 1); it must be valid (``action_mask``)."""
        proto = self.protocols[action - 1]
        path = self._path_of_action[action - 1]
        if path < len(self._path_nodes):
            self.storage_used[self._path_nodes[path]] += self._path_need[path]
        self.in_service[proto.demand] = True
        self.executions.append(Execution(proto, action, self.t))

    # ------------------------------------------------------------------------ the slot
    def advance(self) -> tuple[int, int]:
        """Simulate one slot (module docstring, steps a-e).

        Returns:
            (jobs completed in the slot, jobs missed at its end).
        """
        completed = 0
        self.comm_used[:] = 0
        cutoff = self.params.cutoff_slots
        for ex in self.executions:  # a. decoherence and cutoff
            if ex.has_pair.any():
                ex.fidelity[ex.has_pair] = physics.decay_werner(
                    ex.fidelity[ex.has_pair], self.decay
                )
                ex.age[ex.has_pair] += 1
            if not ex.ready:
                old = ex.has_pair & (ex.age > cutoff)
                ex.has_pair[old] = False
                ex.pumps[old] = 0
                ex.age[old] = 0
        for ex in [ex for ex in self.executions if ex.ready]:  # b. swaps
            completed += self._deliver(ex, swapped=True)
        for ex in self.executions:  # c. generation and pumping
            self._generate(ex)
        for ex in list(self.executions):  # d. readiness
            done = ex.has_pair.all() and (ex.pumps >= ex.protocol.depth).all()
            if done and ex.protocol.hops == 1:
                completed += self._deliver(ex, swapped=False)
            elif done:
                ex.ready = True
        self.t += 1  # e. deadlines and releases
        missed = 0
        for d in np.flatnonzero(self.head_deadline <= self.t).tolist():
            queue = self.releases[d][self._head[d] : self._next_release[d]]
            # jobs whose deadline (release + period) has come: a prefix, as releases are sorted
            late = int(np.searchsorted(queue, self.t - self.periods[d], "right"))
            self._head[d] += late
            self.missed[d] += late
            missed += late
            self._sync_queue(d)
        self._release()
        return completed, missed

    def _generate(self, ex: Execution) -> None:
        proto = ex.protocol
        if ex.ready:
            return
        for hop, edge in enumerate(proto.edges):
            if ex.has_pair[hop] and ex.pumps[hop] >= proto.depth:
                continue
            a, b = proto.path[hop], proto.path[hop + 1]
            comm = self.topology.comm_qubits
            if self.comm_used[a] >= comm[a] or self.comm_used[b] >= comm[b]:
                continue
            self.comm_used[a] += 1
            self.comm_used[b] += 1
            self.attempts[edge] += 1
            if self.rng.random() >= proto.success_prob[hop]:
                continue
            self.generations[edge] += 1
            fresh = float(proto.link_fidelity[hop])
            if not ex.has_pair[hop]:
                ex.has_pair[hop] = True
                ex.fidelity[hop] = fresh
                ex.age[hop] = 0
                continue
            p_success, improved = physics.bbpssw(float(ex.fidelity[hop]), fresh)
            if self.rng.random() < p_success:
                ex.fidelity[hop] = improved
                ex.pumps[hop] += 1
                self.purifications[edge] += 1
            else:
                ex.has_pair[hop] = False
                ex.pumps[hop] = 0
                ex.age[hop] = 0

    def _deliver(self, ex: Execution, swapped: bool) -> int:
        proto, p = ex.protocol, self.params
        if swapped:
            fidelity = chain_fidelity(ex.fidelity, p.swap_gate_fid, p.swap_meas_fid)
        else:
            fidelity = float(ex.fidelity[0])
        d = proto.demand
        self.executions.remove(ex)
        path = self._path_of_action[ex.action - 1]
        if path < len(self._path_nodes):
            self.storage_used[self._path_nodes[path]] -= self._path_need[path]
        self.in_service[d] = False
        self.deliveries[d] += 1
        self.edge_deliveries[list(proto.edges)] += 1
        if self.n_delivered == len(self._fidelities):
            self._fidelities = np.concatenate([self._fidelities, np.zeros(self.n_delivered)])
        self._fidelities[self.n_delivered] = fidelity
        self.n_delivered += 1
        self.delivered_yield[d] += float(physics.hashing_yield(fidelity))
        if fidelity < self.demands[d].fidelity_min:
            self.low_fidelity[d] += 1
            return 0
        if not self.pending_count[d]:
            return 0
        release = int(self.releases[d][self._head[d]])
        self._head[d] += 1
        self._sync_queue(d)
        self._complete(d, JobRecord(release, ex.start_slot, self.t + 1))
        return 1

    def _complete(self, d: int, job: JobRecord) -> None:
        """Record a completed job and update the metrics it changes (``metrics.qos_metrics``'s
        definitions: WCRT over every job, jitter as the variance of a demand's start gaps)."""
        jobs = self.completed[d]
        jobs.append(job)
        self.completed_count[d] += 1
        self.n_completed += 1
        self._wcrt_slots = max(self._wcrt_slots, job.end_slot - job.release_slot)
        if len(jobs) >= 2:
            starts = np.array([record.start_slot for record in jobs], dtype=float)
            change = (np.diff(starts) - int(self.periods[d])) * self.params.slot_s
            self._jitter[d] = float(np.var(change))

    def _sync_queue(self, d: int) -> None:
        count = self._next_release[d] - self._head[d]
        self.pending_count[d] = count
        oldest = self.releases[d][self._head[d]] + self.periods[d] if count else NEVER
        self.head_deadline[d] = oldest

    def _release(self) -> None:
        for d in np.flatnonzero(self._next_time <= self.t).tolist():
            times = self.releases[d]
            i = self._next_release[d]
            end = i + int(np.searchsorted(times[i:], self.t, "right"))  # every release <= t
            self.released[d] += end - i
            self._next_release[d] = end
            self._next_time[d] = times[end] if end < len(times) else NEVER
            self._sync_queue(d)

    def pending_jobs(self, d: int) -> list[tuple[int, int]]:
        """(release slot, deadline slot) of demand ``d``'s pending jobs, oldest first."""
        times = self.releases[d][self._head[d] : self._next_release[d]]
        return list(zip(times.tolist(), (times + self.periods[d]).tolist(), strict=True))

    @property
    def pending(self) -> list[list[tuple[int, int]]]:
        """``pending_jobs`` of every demand (a new list at every read)."""
        return [self.pending_jobs(d) for d in range(len(self.demands))]

    # --------------------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, float]:
        """The QoS paper's metrics so far, as ``metrics.qos_metrics`` defines them from the
        recorded jobs (kept up to date as jobs complete, not recomputed from them)."""
        slot_s = self.params.slot_s
        n = len(self.demands)
        satisfied = int(np.count_nonzero((self.completed_count > 0) & (self.missed == 0)))
        return {
            "throughput_ebit_s": self.n_completed / (self.t * slot_s) if self.t > 0 else 0.0,
            "wcrt_s": float(self._wcrt_slots * slot_s),
            "jitter_s2": float(self._jitter.max()) if n else 0.0,
            "satisfied_fraction": satisfied / n if n else 0.0,
        }


__all__ = ["Execution", "SchedulingSim"]
