"""The reproduction of reference/disttrain.md section 6, E4 "Must reproduce" (run by
``tests/test_disttrain_gossip_reproduction.py``, ``benchmarks/disttrain.py`` and the docs).

- (T1) the communication-rate table of section 3: ``graphs.rate_table`` (exact formulas);
- (T2) linear convergence: the gradient events DADAO needs to reach a relative error of 1e-6
  grow like sqrt(kappa) (log-log slope 0.5 +- 0.1 over kappa in {10, 100, 1000});
- (T3) the communications grow like sqrt(chi1 chi2) across graph families (slope 1 +- 0.2).

Each function takes ``version``: 0 runs v0's ``DadaoSim`` (its published numbers), 1 the same
problems through ``netgym/AsyncGossip-v1``'s compiled sim (``v1sim.GossipBatchV1``), whose
event streams are keyed by the words v0 seeds its clocks with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dadao import DadaoSim
from .graphs import GossipGraph, gossip_graph
from .losses import draw_loss


@dataclass(frozen=True)
class RunToTarget:
    """One DADAO run at its default rate until the error falls by ``target``."""

    time: float
    """time units used (``max_time`` if not reached)"""
    gradients: int
    gossips: int
    reached: bool
    rate: float
    """sqrt(2 chi1 chi2) of the graph"""


def run_to_target(
    graph: str,
    n: int,
    kappa: float,
    seed: int = 0,
    target: float = 1e-6,
    dim: int = 5,
    loss: str = "quadratic",
    max_time: float = 20_000.0,
    version: int = 0,
) -> RunToTarget:
    """DADAO at rho = 1, uniform edges, on a problem drawn from ``seed``; the error is checked
    at every time unit (``version``: the module docstring)."""
    rng = np.random.default_rng(seed)
    g = gossip_graph(graph, n, rng)
    problem = draw_loss(loss, n, dim, kappa, rng)
    if version == 1:
        x0 = rng.standard_normal((n, dim))
        return _run_v1(graph, g, problem, x0, kappa, seed, target, max_time)
    sim = DadaoSim(
        problem,
        list(g.graphs),
        g.period,
        rng.standard_normal((n, dim)),
        np.random.default_rng(seed + 1),
        np.random.default_rng(seed + 2),
    )
    beta_tilde = sim.const.beta_tilde(g.chi1 / g.rate)
    err0, grads, gossips, t = sim.error(), 0, 0, 0
    while t < max_time:
        stats = sim.advance(float(t + 1), g.rate, beta_tilde)
        t += 1
        grads += stats.gradients
        gossips += stats.gossips
        if sim.error() <= target * err0:
            return RunToTarget(float(t), grads, gossips, True, g.rate)
    return RunToTarget(float(t), grads, gossips, False, g.rate)


def _run_v1(
    kind: str,
    g: GossipGraph,
    problem: Any,
    x0: np.ndarray,
    kappa: float,
    seed: int,
    target: float,
    max_time: float,
) -> RunToTarget:
    """``run_to_target`` through the v1 sim (one env, rho = 1 every unit)."""
    from .params import RHOS, AsyncGossipParams
    from .v1sim import EpisodeV1, GossipBatchV1

    n, dim = x0.shape
    params = AsyncGossipParams(
        graph=kind,
        nodes=n,
        dim=dim,
        loss=problem.kind,
        kappa=kappa,
        horizon=int(max_time),
        target=target,
    )
    sim = GossipBatchV1(params, 1)
    costs = np.ones((len(g.graphs), n, n))
    sim.start(0, EpisodeV1(params, g, problem, costs, x0, (seed + 1, seed + 2)))
    err0, t = float(sim.error[0]), 0
    action = np.array([RHOS.index(1.0)])
    while t < max_time:
        sim.step(slice(None), action, [])
        t += 1
        if sim.error[0] <= target * err0:
            break
    info = sim.info_of(0)
    reached = bool(sim.error[0] <= target * err0)
    return RunToTarget(float(t), info["gradients"], info["gossips"], reached, g.rate)


def loglog_slope(x: list[float] | np.ndarray, y: list[float] | np.ndarray) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def kappa_scaling(
    kappas: tuple[float, ...] = (10.0, 100.0, 1000.0),
    graph: str = "complete",
    n: int = 8,
    seeds: tuple[int, ...] = (0, 1),
    version: int = 0,
) -> tuple[list[float], float]:
    """(T2) mean gradient events to 1e-6 per kappa and their log-log slope against kappa."""
    grads = [
        float(np.mean([run_to_target(graph, n, k, s, version=version).gradients for s in seeds]))
        for k in kappas
    ]
    return grads, loglog_slope(kappas, grads)


SCALING_GRAPHS = (
    ("complete", 16),
    ("grid", 16),
    ("cycle", 16),
    ("star", 16),
    ("path", 16),
    ("barbell", 16),
    ("random_geometric", 16),
)
"""(T3) the graph families whose communications are compared"""


def graph_scaling(
    graphs: tuple[tuple[str, int], ...] = SCALING_GRAPHS,
    kappa: float = 10.0,
    seeds: tuple[int, ...] = (0, 1),
    version: int = 0,
) -> tuple[list[float], list[float], float]:
    """(T3) sqrt(chi1 chi2) and mean gossips to 1e-6 per graph, and their log-log slope."""
    roots, comms = [], []
    for kind, n in graphs:
        runs = [run_to_target(kind, n, kappa, s, version=version) for s in seeds]
        roots.append(runs[0].rate / math.sqrt(2.0))
        comms.append(float(np.mean([r.gossips for r in runs])))
    return roots, comms, loglog_slope(roots, comms)


__all__ = [
    "SCALING_GRAPHS",
    "RunToTarget",
    "graph_scaling",
    "kappa_scaling",
    "loglog_slope",
    "run_to_target",
]
