"""The batched sim of ``netgym/AsyncGossip-v0`` (the ``BatchSim`` protocol).

Each of the N envs holds one DADAO run (``dadao.DadaoSim``) on its graph(s) and losses. A step
is one time unit: the action sets the gossip clock (a multiplier rho of sqrt(2 chi1 chi2), or
edge-sampling probabilities whose Lambda gives chi1, chi2 and the rate), the unit's events run
exactly, and the reward is the drop of ln(mean |x_i - x*|^2) minus ``cost_weight`` x the
unit's communication cost (in units of DADAO's default spend per time unit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.sim import Rows, rows
from .batchrun import run_batch
from .dadao import DadaoSim, Interval
from .graphs import GossipGraph, gossip_graph, spectrum
from .losses import draw_loss
from .params import RHOS, AsyncGossipParams

OBS_SIZE = 14
OBS_LOW, OBS_HIGH = -1.0, 2.0
DIVERGED = 1e8
"""an episode whose error exceeds this x its initial error has diverged: it terminates (too
little gossip makes DADAO's z~ step, 2 chi1 / lambda_mix sqrt(L / nu), overshoot)"""


def edge_costs(p: AsyncGossipParams, graph: GossipGraph, rng: np.random.Generator) -> np.ndarray:
    """(K, n, n) per-edge costs of each graph (mean 1 over the edges of each)."""
    n, out = graph.n, np.zeros((len(graph.graphs), graph.n, graph.n))
    for k, (edges, pos) in enumerate(zip(graph.graphs, graph.positions, strict=True)):
        i, j = edges[:, 0], edges[:, 1]
        if p.edge_cost == "uniform":
            c = np.ones(len(edges))
        elif p.edge_cost == "distance":
            pos = rng.random((n, 2)) if pos is None else pos
            c = np.maximum(np.linalg.norm(pos[i] - pos[j], axis=1), 1e-3)
        else:
            c = rng.lognormal(0.0, 0.5, len(edges))
        c = c / c.mean()
        out[k, i, j] = out[k, j, i] = c
    return out


def edge_probs(weights: np.ndarray, floor: float) -> np.ndarray:
    """Weights in [0, 1] normalised to the simplex and mixed with ``floor`` uniform."""
    w = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    total = w.sum()
    base = w / total if total > 0 else np.full(len(w), 1.0 / len(w))
    return (1.0 - floor) * base + floor / len(w)


class Episode:
    """One env's problem and DADAO run."""

    def __init__(self, p: AsyncGossipParams, rng: np.random.Generator) -> None:
        problem = rng if p.problem_seed is None else np.random.default_rng(p.problem_seed)
        self.graph = gossip_graph(p.graph, p.nodes, problem, p.radius, p.graph_count)
        self.loss = draw_loss(p.loss, p.nodes, p.dim, p.kappa, problem)
        self.costs = edge_costs(p, self.graph, problem)
        self.x0 = problem.standard_normal((p.nodes, p.dim))
        seeds = rng.integers(0, 2**63 - 1, 2)
        self.run = DadaoSim(
            self.loss,
            list(self.graph.graphs),
            self.graph.period,
            self.x0,
            np.random.default_rng(int(seeds[0])),
            np.random.default_rng(int(seeds[1])),
        )
        self.unit = self.graph.rate
        """DADAO's default spend per time unit (the mean edge cost is 1)"""
        self.err0 = self.run.error()
        self.grad0 = self.grad_norm()
        degree = np.bincount(self.graph.graphs[0].ravel(), minlength=p.nodes)
        self.static = np.array(
            [
                math.log10(self.graph.chi1) / 4,
                math.log10(self.graph.chi2) / 4,
                math.log10(self.graph.rate) / 4,
                degree.mean() / (p.nodes - 1),
                degree.max() / (p.nodes - 1),
                math.log10(p.kappa) / 4,
            ]
        )

    def grad_norm(self, x: np.ndarray | None = None) -> float:
        """|sum_i grad f_i(x_bar)|, the gradient-norm proxy (clipped to [1e-300, 1e300]);
        ``x``: the nodes' x when the caller has it already."""
        x = (self.run.x if x is None else x).mean(axis=0)
        n = self.run.n
        with np.errstate(all="ignore"):
            g = self.loss.grad_batch(np.arange(n), np.repeat(x[None], n, axis=0)).sum(axis=0)
            norm = float(np.sqrt(np.sum(np.minimum(g * g, 1e300))))
        return min(max(norm, 1e-300), 1e300) if norm == norm else 1e300


class GossipBatch:
    """N AsyncGossip episodes (see the module docstring)."""

    def __init__(self, params: AsyncGossipParams, num_envs: int) -> None:
        self.params, self.num_envs = params, num_envs
        m = num_envs
        self.episodes: list[Episode | None] = [None] * m
        self.t = np.zeros(m, dtype=np.int64)
        self.error = np.ones(m)
        self.consensus = np.zeros(m)
        self.grad = np.ones(m)
        self.gradients = np.zeros(m, dtype=np.int64)
        self.gossips = np.zeros(m, dtype=np.int64)
        self.dropped = np.zeros(m, dtype=np.int64)
        self.cost = np.zeros(m)
        self.unit_gossips = np.zeros(m)
        self.unit_gradients = np.zeros(m)
        self.rate = np.zeros(m)
        """the last unit's gossip rate over DADAO's default"""
        self.reward = np.zeros(m)
        self.done = np.zeros(m, dtype=bool)
        self.diverged = np.zeros(m, dtype=bool)
        self.cut = np.zeros(m, dtype=bool)

    # ------------------------------------------------------------------ BatchSim
    @property
    def terminated(self) -> np.ndarray:
        """(N,) the error reached ``target`` x its initial value."""
        return self.done

    @property
    def truncated(self) -> np.ndarray:
        """(N,) the horizon ran out first."""
        return self.cut

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """New problems (unless ``problem_seed``) and new clocks in envs ``idx``."""
        for m in rows(idx, self.num_envs).tolist():
            ep = Episode(self.params, rngs[m])
            self.episodes[m] = ep
            self.error[m] = ep.err0
            self.consensus[m] = ep.run.consensus()
            self.grad[m] = ep.grad0
        every = rows(idx, self.num_envs)
        for name in ("t", "gradients", "gossips", "dropped"):
            getattr(self, name)[every] = 0
        for name in ("cost", "unit_gossips", "unit_gradients", "reward"):
            getattr(self, name)[every] = 0.0
        self.rate[every] = 1.0
        self.done[every] = False
        self.diverged[every] = False
        self.cut[every] = False

    def clock(self, m: int, action: Any) -> tuple[float, float, np.ndarray | None]:
        """(rate, beta~, edge probabilities or None) that ``action`` sets in env ``m``."""
        ep = self.episodes[m]
        assert ep is not None
        if self.params.action_mode == "intensity":
            rate = RHOS[int(action)] * ep.graph.rate
            return rate, ep.run.const.beta_tilde(ep.graph.chi1 / rate), None
        probs = edge_probs(action, self.params.edge_floor)
        s = spectrum(ep.graph.n, ep.graph.graphs[0], probs)
        return s.rate, ep.run.const.beta_tilde(s.chi1 / s.rate), probs

    def node_clock(self, m: int, rhos: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(rate, beta~, edge probabilities) when node i gossips at ``rhos[i]`` x DADAO's rate:
        edge (i, j) fires at sqrt(2 chi1 chi2) / |E| x (rho_i + rho_j) / 2, so equal rhos are
        the intensity mode's clock (fixed graphs only)."""
        ep = self.episodes[m]
        assert ep is not None
        edges = ep.graph.graphs[0]
        share = 0.5 * (rhos[edges[:, 0]] + rhos[edges[:, 1]])
        rate = ep.graph.rate * float(share.mean())
        probs = share / share.sum()
        s = spectrum(ep.graph.n, edges, probs)
        return rate, ep.run.const.beta_tilde(s.chi1 / rate), probs

    def step(self, idx: Rows, actions: Any, rngs: Sequence[np.random.Generator]) -> None:
        """One time unit in each env of ``idx`` (``actions``: one row per env)."""
        envs = rows(idx, self.num_envs).tolist()
        self.advance_many(envs, [self.clock(m, actions[row]) for row, m in enumerate(envs)])

    def advance(
        self, m: int, rate: float, beta_tilde: float, probs: np.ndarray | None = None
    ) -> None:
        """One time unit of env ``m`` under the given gossip clock (``advance_many``)."""
        self.advance_many([m], [(rate, beta_tilde, probs)])

    def advance_many(
        self, envs: list[int], clocks: Sequence[tuple[float, float, np.ndarray | None]]
    ) -> None:
        """One time unit of each env of ``envs`` under its gossip clock (rate, beta~, edge
        probabilities or None): each env draws its events from its own clocks, the events of
        all envs run together (``batchrun.run_batch``, the arithmetic of each env exactly its
        own), then each env's reward, counters and episode end."""
        p = self.params
        runs, drawn, ends = [], [], []
        for m, (rate, _, probs) in zip(envs, clocks, strict=True):
            ep = self.episodes[m]
            assert ep is not None
            left = math.inf
            if p.budget is not None:
                left = max(p.budget * ep.unit - self.cost[m] * ep.unit, 0.0)
            t_end = float(self.t[m] + 1)
            runs.append(ep.run)
            drawn.append(ep.run.draw(t_end, rate, probs, ep.costs, left))
            ends.append(t_end)
        if runs:
            run_batch(runs, drawn, ends, [beta_tilde for _, beta_tilde, _ in clocks])
        for m, (rate, _, _), events in zip(envs, clocks, drawn, strict=True):
            self._account(m, rate, events.stats)

    def _account(self, m: int, rate: float, stats: Interval) -> None:
        """Env ``m``'s reward, counters and episode end after its time unit (the error,
        consensus and gradient-norm proxy per env: their numpy reductions over a stack of envs
        would sum in another order)."""
        p = self.params
        ep = self.episodes[m]
        assert ep is not None
        x = ep.run.x
        error = ep.run.error(x)
        cap = DIVERGED * ep.err0
        diverged = not error <= cap  # also NaN
        error = min(max(error, 1e-300), cap) if not diverged else cap
        spent = stats.cost / ep.unit
        self.reward[m] = -(math.log(error) - math.log(self.error[m])) - p.cost_weight * spent
        self.error[m] = error
        self.consensus[m] = min(ep.run.consensus(x), error) if not diverged else error
        self.grad[m] = ep.grad_norm(x)
        self.cost[m] += spent
        self.gradients[m] += stats.gradients
        self.gossips[m] += stats.gossips
        self.dropped[m] += stats.dropped
        self.unit_gossips[m] = stats.gossips
        self.unit_gradients[m] = stats.gradients
        self.rate[m] = rate / ep.graph.rate
        self.t[m] += 1
        self.diverged[m] = diverged
        self.done[m] = diverged or error <= p.target * ep.err0
        self.cut[m] = not self.done[m] and self.t[m] >= p.horizon

    def observation(self) -> np.ndarray:
        """(N, OBS_SIZE) float32 observations (the env's docstring lists them)."""
        p = self.params
        out = np.zeros((self.num_envs, OBS_SIZE), dtype=np.float32)
        for m, ep in enumerate(self.episodes):
            if ep is None:
                continue
            left = 1.0
            if p.budget is not None:
                left = 1.0 - self.cost[m] / p.budget if p.budget > 0 else 0.0
            out[m, :8] = (
                math.log(ep.err0 / self.error[m]) / p.log_target,
                self.consensus[m] / self.error[m],
                math.log(max(ep.grad0, 1e-300) / self.grad[m]) / p.log_target,
                self.t[m] / p.horizon,
                left,
                math.log2(self.rate[m]) / 4 + 0.5,
                self.unit_gossips[m] / (self.unit_gossips[m] + ep.unit),
                self.unit_gradients[m] / (self.unit_gradients[m] + p.nodes),
            )
            out[m, 8:] = ep.static
        return np.clip(out, OBS_LOW, OBS_HIGH)

    def observation_size(self) -> int:
        """Length of one env's observation."""
        return OBS_SIZE

    def theory_time(self) -> np.ndarray:
        """(N,) time units the accelerated first-order line needs for the error drop so far:
        ln(err0 / err) / (2 ln((sqrt(kappa) + 1) / (sqrt(kappa) - 1))), one gradient round per
        time unit (Nesterov's worst-case rate; a reference line, not a bound for the drawn
        problem, whose easy directions converge faster)."""
        q = math.sqrt(self.params.kappa)
        per_round = 2.0 * math.log((q + 1.0) / (q - 1.0))
        err0 = np.array([ep.err0 if ep is not None else 1.0 for ep in self.episodes])
        return np.maximum(np.log(err0 / self.error), 0.0) / per_round

    def info(self) -> dict[str, np.ndarray]:
        """Per-env arrays (times in DADAO time units: one gradient per node per unit)."""
        return {
            "iteration_time": self.t.astype(float),
            "lower_bound": np.zeros(self.num_envs),
            "theory_time": self.theory_time(),
            "error": self.error.copy(),
            "consensus_error": self.consensus.copy(),
            "gradients": self.gradients.copy(),
            "gossips": self.gossips.copy(),
            "dropped_gossips": self.dropped.copy(),
            "communication_cost": self.cost.copy(),
            "rate": self.rate.copy(),
            "diverged": self.diverged.copy(),
            "step": self.t.copy(),
        }


__all__ = ["OBS_SIZE", "Episode", "GossipBatch", "edge_costs", "edge_probs"]
