"""Baselines of ``netgym/MoeTrainingOverlap-v0`` (reference/disttrain.md section 6, E3
"Baselines" and "Oracle / bound").

- ``FixedSchedule``: one degree r for every layer, forward and backward, and a fixed share of
  the pending gradient launched per backward layer: ``no-pipelining`` (r = 1, nothing
  overlapped: DeepSpeed-MoE-like), ``fixed-2`` and ``fixed-4`` (Tutel-like pipelining, the
  all-reduce after the backward).
- ``FsmoeOptimizer``: a re-implementation of FSMoE's optimiser: per layer, the continuous
  optimum of an analytic pipeline model over r in [1, 16] (forward, and backward with the GEMM
  doubled), rounded to {1, 2, 4, 8} by FSMoE's floor / ceiling rule; then the gradient
  partitioning across the backward layers by differential evolution (netgym's own, seeded, in
  numpy) over the shares, evaluated on the env's model.
- ``PerLayerSearch``: every degree (and share) tried per layer; it keeps the fastest forward
  layer and, backward, the least of the layer's time plus the all-reduce time of the gradient
  it leaves pending (as if that were exposed): myopic.
- ``DpOracle``: dynamic programming over the backward layers on the pending gradient
  (discretised per layer, values interpolated), exact layer times at every decision; the
  forward layers are independent, each at its fastest degree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from netgym.envs.disttrain.moetraining.pipeline import DEGREES, SHARES, STAGE_OP

ROUNDED = (1, 2, 4, 8)
"""FSMoE's degree grid"""


def _unwrap(env: Any) -> Any:
    return getattr(env, "unwrapped", env)


class _Planned:
    """A policy that fixes its forward degrees at reset and decides the backward per step."""

    name = "planned"

    def __init__(self) -> None:
        self.env: Any = None
        self.forward: list[int] = []

    def reset(self, env: Any) -> None:
        """Read the episode (its workloads) and plan."""
        self.env = _unwrap(env)
        self.plan()

    def plan(self) -> None:
        """Set ``self.forward`` (degree indices per layer) and any backward plan."""
        raise NotImplementedError

    def backward(self, layer: int, pending: float) -> tuple[int, int]:
        """(degree index, share index) of backward layer ``layer`` with ``pending`` elements."""
        raise NotImplementedError

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        """The planned action of the env's current step."""
        if self.env is None:
            raise RuntimeError("call reset(env) before act()")
        k, n_layers = self.env.step_index, self.env.params.layers
        if k < n_layers:
            return np.array([self.forward[k], 0], dtype=np.int64)
        return np.array(self.backward(2 * n_layers - 1 - k, self.env.pending), dtype=np.int64)


class FixedSchedule(_Planned):
    """Degree ``r`` everywhere and share index ``share`` in every backward layer."""

    def __init__(self, r: int, share: int = 0, name: str = "fixed") -> None:
        super().__init__()
        if r not in DEGREES or not 0 <= share < len(SHARES):
            raise ValueError(f"degree {r} or share index {share} is outside the menu")
        self.degree, self.share, self.name = DEGREES.index(r), share, name

    def plan(self) -> None:
        self.forward = [self.degree] * self.env.params.layers

    def backward(self, layer: int, pending: float) -> tuple[int, int]:
        return self.degree, self.share


def pipeline_estimate(alpha: np.ndarray, beta: np.ndarray, work: np.ndarray, r: float) -> float:
    """The analytic (continuous r) layer time: one chunk through the five stages plus r - 1
    chunks of the busiest resource."""
    op = np.asarray(STAGE_OP)
    c = alpha[op] + beta[op] * work[op] / r
    return float(c.sum() + (r - 1) * max(c[0] + c[4], c[1] + c[3], c[2]))


def fsmoe_degree(alpha: np.ndarray, beta: np.ndarray, work: np.ndarray) -> int:
    """FSMoE's degree: the continuous optimum of ``pipeline_estimate`` over [1, 16] (golden
    section), then the better of its floor and ceiling on {1, 2, 4, 8}."""
    low, high = 1.0, 16.0
    ratio = (5**0.5 - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if pipeline_estimate(alpha, beta, work, a) <= pipeline_estimate(alpha, beta, work, b):
            high = b
        else:
            low = a
    best = (low + high) / 2
    below = max(d for d in ROUNDED if d <= min(best, 8))
    above = min((d for d in ROUNDED if d >= best), default=8)
    return min((above, below), key=lambda d: (pipeline_estimate(alpha, beta, work, d), d != below))


def differential_evolution(
    objective: Any,
    dim: int,
    rng: np.random.Generator,
    population: int = 24,
    generations: int = 30,
    weight: float = 0.7,
    crossover: float = 0.9,
) -> np.ndarray:
    """Minimise ``objective`` over [0, 1]^dim by DE/rand/1/bin (seeded by ``rng``); the best
    point found."""
    pop = rng.random((population, dim))
    fit = np.array([objective(x) for x in pop])
    for _ in range(generations):
        for i in range(population):
            others = rng.choice(population - 1, 3, replace=False)
            a, b, c = pop[np.where(others >= i, others + 1, others)]
            mutant = np.clip(a + weight * (b - c), 0.0, 1.0)
            cross = rng.random(dim) < crossover
            cross[rng.integers(dim)] = True
            trial = np.where(cross, mutant, pop[i])
            value = objective(trial)
            if value <= fit[i]:
                pop[i], fit[i] = trial, value
    return pop[int(np.argmin(fit))]


class FsmoeOptimizer(_Planned):
    """FSMoE's optimiser (see the module docstring), seeded."""

    name = "fsmoe"

    def __init__(self, seed: int = 0, population: int = 24, generations: int = 30) -> None:
        super().__init__()
        self.rng = np.random.default_rng(seed)
        self.population, self.generations = population, generations
        self.back: list[int] = []
        self.shares: np.ndarray = np.zeros(0, dtype=np.int64)

    def plan(self) -> None:
        model, works = self.env.model, self.env.layer_works()
        self.forward = [DEGREES.index(fsmoe_degree(model.alpha_f, model.beta_f, w)) for w in works]
        self.back = [DEGREES.index(fsmoe_degree(model.alpha_b, model.beta_b, w)) for w in works]
        n_layers = len(works)
        if n_layers < 2:
            self.shares = np.zeros(n_layers, dtype=np.int64)
            return
        cache: dict[tuple[int, int, float], float] = {}

        def cost(u: np.ndarray) -> float:
            shares = np.rint(u * (len(SHARES) - 1)).astype(np.int64)
            pool = total = 0.0
            for position, layer in enumerate(range(n_layers - 1, -1, -1)):
                s = int(shares[position - 1]) if position else 0
                key = (layer, s, pool)
                if key not in cache:
                    r = DEGREES[self.back[layer]]
                    cache[key] = model.backward(works[layer], r, SHARES[s] * pool)
                total += cache[key]
                pool += model.grad - SHARES[s] * pool
            return total + model.allreduce(pool)

        best = differential_evolution(
            cost, n_layers - 1, self.rng, self.population, self.generations
        )
        self.shares = np.concatenate([[0], np.rint(best * (len(SHARES) - 1)).astype(np.int64)])

    def backward(self, layer: int, pending: float) -> tuple[int, int]:
        position = self.env.params.layers - 1 - layer
        return self.back[layer], int(self.shares[position])


class PerLayerSearch(_Planned):
    """Exhaustive per-layer search (myopic; see the module docstring)."""

    name = "per-layer"

    def plan(self) -> None:
        model = self.env.model
        self.forward = [
            int(np.argmin([model.forward(w, r) for r in DEGREES])) for w in self.env.layer_works()
        ]

    def backward(self, layer: int, pending: float) -> tuple[int, int]:
        model, work = self.env.model, self.env.layer_works()[layer]
        best, choice = np.inf, (0, 0)
        for d, r in enumerate(DEGREES):
            for s, share in enumerate(SHARES):
                if s and pending <= 0:
                    break
                left = pending * (1 - share)
                value = model.backward(work, r, share * pending) + model.beta_b[4] * left
                if value < best - 1e-12:
                    best, choice = value, (d, s)
        return choice


class DpOracle(_Planned):
    """Dynamic programming over the backward layers (see the module docstring)."""

    name = "oracle"

    def __init__(self, grid: int = 33) -> None:
        super().__init__()
        self.grid = grid
        self.values: list[tuple[np.ndarray, np.ndarray]] = []
        """per layer l: (pending grid, cost-to-go from l's backward on) ; index l"""

    def _next_value(self, layer: int, pending: np.ndarray | float) -> np.ndarray:
        """Cost-to-go after layer ``layer``'s backward, from the pending gradient then."""
        model = self.env.model
        if layer == 0:
            return np.vectorize(model.allreduce)(pending)
        grid, value = self.values[layer - 1]
        return np.interp(pending, grid, value)

    def _best(self, work: np.ndarray, layer: int, pending: float) -> tuple[float, int, int]:
        model = self.env.model
        best, choice = np.inf, (0, 0)
        for s, share in enumerate(SHARES):
            if s and pending <= 0:
                break
            after = float(self._next_value(layer, pending * (1 - share) + model.grad))
            for d, r in enumerate(DEGREES):
                value = model.backward(work, r, share * pending) + after
                if value < best - 1e-12:
                    best, choice = value, (d, s)
        return best, choice[0], choice[1]

    def plan(self) -> None:
        model, works = self.env.model, self.env.layer_works()
        n_layers = len(works)
        self.forward = [int(np.argmin([model.forward(w, r) for r in DEGREES])) for w in works]
        self.values = []
        for layer in range(n_layers):  # layer 0 is backpropagated last
            high = model.grad * (n_layers - 1 - layer)
            grid = np.linspace(0.0, high, self.grid if high > 0 else 1)
            value = np.array([self._best(works[layer], layer, float(p))[0] for p in grid])
            self.values.append((grid, value))

    def backward(self, layer: int, pending: float) -> tuple[int, int]:
        _, d, s = self._best(self.env.layer_works()[layer], layer, pending)
        return d, s

    def expected(self) -> float:
        """The DP's predicted iteration time (ms) of the episode (its forward included)."""
        model, works = self.env.model, self.env.layer_works()
        pairs = zip(works, self.forward, strict=True)
        forward = sum(model.forward(w, DEGREES[d]) for w, d in pairs)
        return forward + float(self.values[-1][1][0])


__all__ = [
    "DpOracle",
    "FixedSchedule",
    "FsmoeOptimizer",
    "PerLayerSearch",
    "differential_evolution",
    "fsmoe_degree",
    "pipeline_estimate",
]
