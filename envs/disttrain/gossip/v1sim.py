"""The batched sim of ``netgym/AsyncGossip-v1`` (the ``BatchSim`` protocol).

v0's model, spaces, reward and parameters (``sim.py``), with the whole time unit in one compiled
call over the stepped envs (``v1kernels.step_envs``: events, DADAO jumps in closed-form modal
coordinates, losses, gradients, accounting, observation). A reset draws the episode's problem
exactly as v0 does, from the env's generator in the same order (graph(s), losses, costs, x(0),
then two 63-bit words, which v0 seeds its clocks with and v1 uses as the keys of its
counter-based event streams), so v0 and v1 pose the same problem for the same seed; only the
event times and choices (and the last bits of the arithmetic) differ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.sim import Rows
from . import v1kernels as kern
from .graphs import GossipGraph, gossip_graph, spectrum
from .losses import LOGISTIC_SAMPLES, draw_loss
from .params import RHOS, AsyncGossipParams
from .sim import DIVERGED, OBS_SIZE, edge_costs, edge_probs

MENU = np.asarray(RHOS, dtype=np.float64)


class EpisodeV1:
    """One env's problem (as v0's ``sim.Episode``, without a ``DadaoSim``): ``graph``, ``loss``,
    ``costs`` (K, n, n), ``x0`` (n, d) and the event streams' two ``keys``."""

    def __init__(
        self,
        p: AsyncGossipParams,
        graph: GossipGraph,
        loss: Any,
        costs: np.ndarray,
        x0: np.ndarray,
        keys: Sequence[int],
    ) -> None:
        self.graph, self.loss, self.costs, self.x0 = graph, loss, costs, x0
        self.keys = np.asarray(keys, dtype=np.int64)
        self.unit = graph.rate
        """DADAO's default spend per time unit (the mean edge cost is 1)"""
        degree = np.bincount(graph.graphs[0].ravel(), minlength=p.nodes)
        self.static = np.array(
            [
                math.log10(graph.chi1) / 4,
                math.log10(graph.chi2) / 4,
                math.log10(graph.rate) / 4,
                degree.mean() / (p.nodes - 1),
                degree.max() / (p.nodes - 1),
                math.log10(p.kappa) / 4,
            ]
        )

    @classmethod
    def draw(
        cls, p: AsyncGossipParams, rng: np.random.Generator, fixed: GossipGraph | None = None
    ) -> EpisodeV1:
        """v0's draw (``sim.Episode``), in its order: graph(s) (``fixed``: the fixed graph,
        which draws nothing), losses, costs, x(0), then two words, the keys of the streams."""
        problem = rng if p.problem_seed is None else np.random.default_rng(p.problem_seed)
        graph = fixed or gossip_graph(p.graph, p.nodes, problem, p.radius, p.graph_count)
        loss = draw_loss(p.loss, p.nodes, p.dim, p.kappa, problem)
        costs = edge_costs(p, graph, problem)
        x0 = problem.standard_normal((p.nodes, p.dim))
        return cls(p, graph, loss, costs, x0, rng.integers(0, 2**63 - 1, 2))


def _max_edges(p: AsyncGossipParams) -> int:
    """The most edges a graph of ``p`` can have (the padded width of the edge tables)."""
    return p.nodes * (p.nodes - 1) // 2


class GossipBatchV1:
    """N AsyncGossip-v1 episodes (see the module docstring)."""

    def __init__(self, params: AsyncGossipParams, num_envs: int) -> None:
        p = params
        self.params, self.num_envs = p, num_envs
        m, n, d = num_envs, p.nodes, p.dim
        self.episodes: list[EpisodeV1 | None] = [None] * m
        self._fixed = None if p.graph == "random_geometric" else gossip_graph(p.graph, n, None)
        k = 1 if self._fixed is not None else p.graph_count
        width = _max_edges(p) if self._fixed is None else len(self._fixed.graphs[0])
        self.fs = np.zeros((m, kern.F_COLUMNS))
        self.ints = np.zeros((m, kern.I_COLUMNS), dtype=np.int64)
        self.modal = np.zeros((m, n, 6, d))
        self.x0 = np.zeros((m, n, d))
        logistic = p.loss == "logistic"
        self.qa = np.zeros((1, 1, 1, 1) if logistic else (m, n + 1, d, d))
        self.qb = np.zeros((1, 1, 1) if logistic else (m, n + 1, d))
        """the quadratic losses' A_i and b_i, and their sums over the nodes at index n"""
        self.ld = np.zeros((m, n, LOGISTIC_SAMPLES, d) if logistic else (1, 1, 1, 1))
        self.ly = np.zeros((m, n, LOGISTIC_SAMPLES) if logistic else (1, 1, 1))
        self.xstar = np.zeros((m, d))
        self.edges = np.zeros((m, k, width, 2), dtype=np.int64)
        self.ecount = np.zeros((m, k), dtype=np.int64)
        self.ecost = np.zeros((m, k, width))
        self.obs = np.zeros((m, OBS_SIZE), dtype=np.float32)
        self.cfg = np.array(
            [
                n,
                d,
                1.0 if logistic else 0.0,
                -1.0 if p.budget is None else p.budget,
                p.cost_weight,
                p.target,
                p.horizon,
                p.log_target,
                DIVERGED,
                2.0 * math.log((math.sqrt(p.kappa) + 1.0) / (math.sqrt(p.kappa) - 1.0)),
            ]
        )
        self._no_rates = np.zeros(0)
        self._no_cum = np.zeros((1, 1))
        self._every = np.arange(m, dtype=np.int64)

    # ------------------------------------------------------------------ BatchSim
    @property
    def reward(self) -> np.ndarray:
        """(N,) the last unit's reward."""
        return self.fs[:, kern.REWARD]

    @property
    def done(self) -> np.ndarray:
        """(N,) the error reached ``target`` x its initial value (or diverged)."""
        return self.ints[:, kern.DONE].astype(bool)

    @property
    def cut(self) -> np.ndarray:
        """(N,) the horizon ran out first."""
        return self.ints[:, kern.CUT].astype(bool)

    terminated = done
    truncated = cut

    @property
    def t(self) -> np.ndarray:
        """(N,) time units elapsed."""
        return self.ints[:, kern.T]

    @property
    def error(self) -> np.ndarray:
        """(N,) mean_i |x_i - x*|^2 now."""
        return self.fs[:, kern.ERROR]

    @property
    def cost(self) -> np.ndarray:
        """(N,) communication cost spent, in DADAO's default spend per time unit."""
        return self.fs[:, kern.COST]

    def _rows(self, idx: Rows) -> np.ndarray:
        """``idx`` as a contiguous int64 array (the kernels' index type)."""
        if isinstance(idx, slice):
            return self._every[idx]
        return np.ascontiguousarray(idx, dtype=np.int64)

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """New problems (unless ``problem_seed``) and new event streams in envs ``idx``."""
        chosen = self._rows(idx)
        for m in chosen.tolist():
            self._load(m, EpisodeV1.draw(self.params, rngs[m], self._fixed))
        self._init(chosen)

    def start(self, m: int, episode: EpisodeV1) -> None:
        """Start env ``m`` on a given problem (``reproduce.run_to_target``)."""
        self._load(m, episode)
        self._init(np.array([m], dtype=np.int64))

    def _init(self, chosen: np.ndarray) -> None:
        """Constants, initial modes, error and observation of envs ``chosen``."""
        kern.init_envs(
            chosen, self.cfg, self.fs, self.ints, self.modal, self.x0, self.qa, self.qb,
            self.ld, self.ly, self.xstar, self.obs,
        )  # fmt: skip

    def _load(self, m: int, ep: EpisodeV1) -> None:
        """Write episode ``ep``'s problem into env ``m``'s rows."""
        self.episodes[m] = ep
        fs, loss, graph = self.fs[m], ep.loss, ep.graph
        fs[kern.MU], fs[kern.LL] = loss.mu, loss.L
        fs[kern.GRATE], fs[kern.CHI1], fs[kern.PERIOD] = graph.rate, graph.chi1, graph.period
        fs[kern.STATIC : kern.STATIC + 6] = ep.static
        self.ints[m, kern.KEY_GAP], self.ints[m, kern.KEY_PICK] = ep.keys
        self.x0[m] = ep.x0
        self.xstar[m] = loss.x_star
        if loss.kind == "quadratic":
            n = self.params.nodes
            self.qa[m, :n], self.qb[m, :n] = loss.a, loss.b
        else:
            self.ld[m], self.ly[m] = loss.data, loss.labels
        for g, edges in enumerate(graph.graphs):
            count = len(edges)
            self.ecount[m, g] = count
            self.edges[m, g, :count] = edges
            self.ecost[m, g, :count] = ep.costs[g, edges[:, 0], edges[:, 1]]

    def clock(self, m: int, action: Any) -> tuple[float, float, np.ndarray | None]:
        """(rate, beta~, edge probabilities or None) that ``action`` sets in env ``m``."""
        ep = self.episodes[m]
        assert ep is not None
        if self.params.action_mode == "intensity":
            rate = RHOS[int(action)] * ep.graph.rate
            return rate, self._beta_tilde(m, ep.graph.chi1, rate), None
        probs = edge_probs(action, self.params.edge_floor)
        s = spectrum(ep.graph.n, ep.graph.graphs[0], probs)
        return s.rate, self._beta_tilde(m, s.chi1, s.rate), probs

    def _beta_tilde(self, m: int, chi1: float, rate: float) -> float:
        """DADAO's gossip step on z~, 2 chi1* sqrt(L / nu) with chi1* = chi1 / rate."""
        return 2.0 * (chi1 / rate) * float(self.fs[m, kern.SQLN])

    def node_clock(self, m: int, rhos: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(rate, beta~, edge probabilities) when node i gossips at ``rhos[i]`` x DADAO's rate
        (v0's ``GossipBatch.node_clock``)."""
        ep = self.episodes[m]
        assert ep is not None
        edges = ep.graph.graphs[0]
        share = 0.5 * (rhos[edges[:, 0]] + rhos[edges[:, 1]])
        rate = ep.graph.rate * float(share.mean())
        probs = share / share.sum()
        s = spectrum(ep.graph.n, edges, probs)
        return rate, self._beta_tilde(m, s.chi1, rate), probs

    def step(self, idx: Rows, actions: Any, rngs: Sequence[np.random.Generator]) -> None:
        """One time unit in each env of ``idx`` (``actions``: one row per env)."""
        chosen = self._rows(idx)
        if self.params.action_mode == "intensity":
            acts = np.ascontiguousarray(actions, dtype=np.int64)
            self._run(chosen, 0, acts, self._no_rates, self._no_rates, self._no_cum)
            return
        clocks = [self.clock(m, actions[row]) for row, m in enumerate(chosen.tolist())]
        self.advance_many(chosen, clocks)

    def advance(
        self, m: int, rate: float, beta_tilde: float, probs: np.ndarray | None = None
    ) -> None:
        """One time unit of env ``m`` under the given gossip clock (``advance_many``)."""
        self.advance_many(np.array([m], dtype=np.int64), [(rate, beta_tilde, probs)])

    def advance_many(
        self, envs: np.ndarray, clocks: Sequence[tuple[float, float, np.ndarray | None]]
    ) -> None:
        """One time unit of each env of ``envs`` under its clock (rate, beta~, edge
        probabilities or None for uniform edges)."""
        width = self.edges.shape[2]
        cum = np.ones((len(clocks), width))
        for row, (_, _, probs) in enumerate(clocks):
            if probs is None:  # uniform over the edges of the graph in force
                cum[row, 0] = -1.0
            else:
                cum[row, : len(probs)] = np.cumsum(probs)
        rates = np.array([clock[0] for clock in clocks], dtype=np.float64)
        betas = np.array([clock[1] for clock in clocks], dtype=np.float64)
        self._run(np.asarray(envs, dtype=np.int64), 1, self._every[:0], rates, betas, cum)

    def _run(
        self,
        chosen: np.ndarray,
        mode: int,
        acts: np.ndarray,
        rates: np.ndarray,
        betas: np.ndarray,
        cum: np.ndarray,
    ) -> None:
        """One ``v1kernels.step_envs`` call over envs ``chosen`` (its docstring: the modes)."""
        kern.step_envs(
            chosen, mode, MENU, acts, rates, betas, cum, self.cfg, self.fs, self.ints,
            self.modal, self.qa, self.qb, self.ld, self.ly, self.xstar, self.edges,
            self.ecount, self.ecost, self.obs,
        )  # fmt: skip

    def observation(self) -> np.ndarray:
        """(N, OBS_SIZE) float32 observations (``AsyncGossipEnv``'s docstring lists them)."""
        return self.obs.copy()

    def observation_size(self) -> int:
        """Length of one env's observation."""
        return OBS_SIZE

    def node_x(self, m: int) -> np.ndarray:
        """(n, d) env ``m``'s nodes' x (all nodes are at the unit's end between steps)."""
        return self.modal[m, :, 0] + self.modal[m, :, 2]

    def info(self) -> dict[str, np.ndarray]:
        """Per-env arrays, v0's keys (times in DADAO time units)."""
        fs, ints = self.fs, self.ints
        return {
            "iteration_time": ints[:, kern.T].astype(float),
            "lower_bound": np.zeros(self.num_envs),
            "theory_time": fs[:, kern.THEORY].copy(),
            "error": fs[:, kern.ERROR].copy(),
            "consensus_error": fs[:, kern.CONS].copy(),
            "gradients": ints[:, kern.GRADS].copy(),
            "gossips": ints[:, kern.GOSSIPS].copy(),
            "dropped_gossips": ints[:, kern.DROPPED].copy(),
            "communication_cost": fs[:, kern.COST].copy(),
            "rate": fs[:, kern.RATE].copy(),
            "diverged": ints[:, kern.DIVERGED].astype(bool),
            "step": ints[:, kern.T].copy(),
        }

    def info_of(self, m: int) -> dict[str, Any]:
        """Env ``m``'s info as Python scalars (the scalar env's ``info``)."""
        fs, ints = self.fs[m], self.ints[m]
        return {
            "iteration_time": float(ints[kern.T]),
            "lower_bound": 0.0,
            "theory_time": float(fs[kern.THEORY]),
            "error": float(fs[kern.ERROR]),
            "consensus_error": float(fs[kern.CONS]),
            "gradients": int(ints[kern.GRADS]),
            "gossips": int(ints[kern.GOSSIPS]),
            "dropped_gossips": int(ints[kern.DROPPED]),
            "communication_cost": float(fs[kern.COST]),
            "rate": float(fs[kern.RATE]),
            "diverged": bool(ints[kern.DIVERGED]),
            "step": int(ints[kern.T]),
        }


__all__ = ["MENU", "EpisodeV1", "GossipBatchV1"]
