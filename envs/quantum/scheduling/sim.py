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

Why no native batched (N-env) version: the communication qubits are matched to the hops that
want them greedily, in start order, one execution after another, and the number of executions
varies per env and per slot; that matching is sequential by nature, so the scheduling env is
scalar and ``gym.make_vec`` steps copies of it (``SyncVectorEnv``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from .. import physics
from ..topologies import QuantumTopology
from .demands import Demand
from .metrics import JobRecord, qos_metrics
from .params import LinkTable, SchedulingParams
from .purification import PumpingScheme, build_protocols, capacity_bound_ebit_s, chain_fidelity


class Execution:
    """One running service of a demand: the pairs stored on each hop of its path.

    Attributes:
        protocol: what is executed.
        action: the action that started it.
        start_slot: slot it was started in.
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
    whose path used it), ``completed`` (``JobRecord`` lists), ``missed``
    and ``released`` per demand.
    """

    def __init__(self, params: SchedulingParams, topology: QuantumTopology, table: LinkTable):
        self.params = params
        self.topology = topology
        self.table = table
        self.decay = float(np.exp(-2.0 * params.slot_s / params.memory_time_s))
        self.t = 0

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
        self.protocols = build_protocols(topo, self.demands, p, self.table)
        self.periods = np.array([d.period_slots(p.slot_s) for d in self.demands], dtype=np.int64)
        self.releases = [np.asarray(r, dtype=np.int64) for r in releases]
        self._next_release = np.zeros(n_demands, dtype=np.int64)
        self.pending: list[deque[tuple[int, int]]] = [deque() for _ in range(n_demands)]
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
        self.delivered_fidelities: list[float] = []
        self.completed: list[list[JobRecord]] = [[] for _ in range(n_demands)]
        self.missed = np.zeros(n_demands, dtype=np.int64)
        self.released = np.zeros(n_demands, dtype=np.int64)
        self._metrics_cache: tuple[tuple[int, int], dict[str, float]] | None = None
        self.feasible = np.array([proto.feasible for proto in self.protocols], dtype=bool)
        self.storage_need = np.zeros((len(self.protocols), topo.n_nodes), dtype=np.int64)
        for index, proto in enumerate(self.protocols):
            if proto.path:
                self.storage_need[index, list(proto.path)] = 2
                self.storage_need[index, [proto.path[0], proto.path[-1]]] = 1
        self.capacity_bound_ebit_s = np.array(
            [capacity_bound_ebit_s(topo, self.table, d.source, d.destination) for d in self.demands]
        )
        self._release()

    # --------------------------------------------------------------------------- actions
    def action_mask(self) -> np.ndarray:
        """Valid actions: 0 (idle) and every (d, k, j) that is feasible, whose demand has a
        pending job and no execution in service, and whose storage is free on its path."""
        p = self.params
        per_demand = p.n_paths * p.n_depths
        waiting = np.array([bool(q) for q in self.pending]) & ~self.in_service
        free = self.topology.storage_qubits - self.storage_used
        fits = (self.storage_need <= free).all(axis=1)
        mask = np.empty(p.n_actions, dtype=bool)
        mask[0] = True
        mask[1:] = self.feasible & fits & np.repeat(waiting, per_demand)
        return mask

    def start(self, action: int) -> None:
        """Start the execution of ``action`` (>= 1); it must be valid (``action_mask``)."""
        proto = self.protocols[action - 1]
        self.storage_used += self.storage_need[action - 1]
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
        for d, queue in enumerate(self.pending):
            while queue and queue[0][1] <= self.t:
                queue.popleft()
                self.missed[d] += 1
                missed += 1
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
        self.storage_used -= self.storage_need[ex.action - 1]
        self.in_service[d] = False
        self.deliveries[d] += 1
        self.edge_deliveries[list(proto.edges)] += 1
        self.delivered_fidelities.append(fidelity)
        self.delivered_yield[d] += float(physics.hashing_yield(fidelity))
        if fidelity < self.demands[d].fidelity_min:
            self.low_fidelity[d] += 1
            return 0
        if not self.pending[d]:
            return 0
        release, _ = self.pending[d].popleft()
        self.completed[d].append(JobRecord(release, ex.start_slot, self.t + 1))
        return 1

    def _release(self) -> None:
        for d, times in enumerate(self.releases):
            i = self._next_release[d]
            while i < len(times) and times[i] <= self.t:
                self.pending[d].append((int(times[i]), int(times[i]) + int(self.periods[d])))
                self.released[d] += 1
                i += 1
            self._next_release[d] = i

    # --------------------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, float]:
        """The QoS paper's metrics so far (``metrics.qos_metrics``).

        WCRT, jitter and the satisfied fraction change only when a job completes or is
        missed, so they are recomputed only then; the throughput follows the clock.
        """
        version = (int(self.missed.sum()), sum(len(jobs) for jobs in self.completed))
        if self._metrics_cache is None or self._metrics_cache[0] != version:
            metrics = qos_metrics(
                self.periods.tolist(),
                self.completed,
                self.missed.tolist(),
                self.t,
                self.params.slot_s,
            )
            self._metrics_cache = (version, metrics)
        metrics = dict(self._metrics_cache[1])
        slot_s = self.params.slot_s
        metrics["throughput_ebit_s"] = version[1] / (self.t * slot_s) if self.t > 0 else 0.0
        return metrics


__all__ = ["Execution", "SchedulingSim"]
