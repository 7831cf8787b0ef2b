"""The exact DADAO event simulation (reference/disttrain.md section 3).

Each node i holds six vectors (x, x~, y, y~, z, z~) that follow, between its events, the linear
ODE ``d/dt s_i = M s_i`` with the fixed 6 x 6 generator ``M(mu, L)``:
x' = eta (x~ - x), x~' = eta~ (x - x~), y' = alpha (y~ - y), y~' = -theta (nu x~ + y + z),
z' = alpha (z~ - z), z~' = alpha~ (z - z~), where nu = mu / 2, alpha = 1/4 sqrt(nu / L),
alpha~ = eta = eta~ = 1/8 sqrt(nu / L), theta = 1/2 sqrt(L / nu). Two independent Poisson clocks
drive the jumps: gradient events (rate 1 per node) and gossip events (total rate lambda_mix on
the edges, drawn with probabilities p).

* Gradient at node i: r = grad f_i(x_i) - nu x_i - y~_i; x -= gamma r, x~ -= gamma~ r,
  y~ += (delta + delta~) r, with gamma = 1/(4L), gamma~ = 1/(4 sqrt(L nu)),
  delta = 1/4 sqrt(nu / L), delta~ = 1.
* Gossip on edge (i, j): m = (y + z)_i - (y + z)_j; z_i -= beta m, z_j += beta m and
  z~_i -= beta~ m, z~_j += beta~ m, with beta = 1/2 and beta~ = 2 chi1* sqrt(L / nu),
  chi1* = chi1(p) / lambda_mix.

``exp(M t)`` is evaluated in closed form. ``M`` has the eigenvalue 0 twice (the (x, x~) and
(z, z~) consensus directions) and is diagonalisable, but ``numpy.linalg.eig`` returns two
nearly parallel eigenvectors for it, so ``V diag(e^{lambda t}) V^-1`` overflows. ``Propagator``
takes an orthonormal SVD basis of the null space for the zero eigenvalue and the (well
separated) eigenvectors of the four others, so ``exp(M t) = sum_k e^{lambda_k t} R_k`` with
rank-one ``R_k`` is exact to rounding and batches over many ``t`` at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .batchrun import run_batch

STATE = ("x", "x~", "y", "y~", "z", "z~")
"""the six vectors of a node, in the generator's order"""


@dataclass(frozen=True)
class DadaoConstants:
    """DADAO's ODE and jump constants for given mu and L."""

    mu: float
    L: float

    @property
    def nu(self) -> float:
        """mu / 2."""
        return self.mu / 2

    @property
    def alpha(self) -> float:
        """1/4 sqrt(nu / L)."""
        return 0.25 * math.sqrt(self.nu / self.L)

    @property
    def eta(self) -> float:
        """1/8 sqrt(nu / L) (also eta~ and alpha~)."""
        return 0.125 * math.sqrt(self.nu / self.L)

    @property
    def theta(self) -> float:
        """1/2 sqrt(L / nu)."""
        return 0.5 * math.sqrt(self.L / self.nu)

    @property
    def gamma(self) -> float:
        """1 / (4 L)."""
        return 1.0 / (4 * self.L)

    @property
    def gamma_tilde(self) -> float:
        """1 / (4 sqrt(L nu))."""
        return 1.0 / (4 * math.sqrt(self.L * self.nu))

    @property
    def delta_sum(self) -> float:
        """delta + delta~ = 1/4 sqrt(nu / L) + 1."""
        return 0.25 * math.sqrt(self.nu / self.L) + 1.0

    beta: float = 0.5
    """the gossip step on z"""

    def beta_tilde(self, chi1_star: float) -> float:
        """2 chi1* sqrt(L / nu), the gossip step on z~."""
        return 2.0 * chi1_star * math.sqrt(self.L / self.nu)

    def generator(self) -> np.ndarray:
        """The 6 x 6 generator M (state order ``STATE``)."""
        a, e, th, nu = self.alpha, self.eta, self.theta, self.nu
        m = np.zeros((6, 6))
        m[0, 0], m[0, 1] = -e, e
        m[1, 0], m[1, 1] = e, -e
        m[2, 2], m[2, 3] = -a, a
        m[3, 1], m[3, 2], m[3, 4] = -th * nu, -th, -th
        m[4, 4], m[4, 5] = -a, a
        m[5, 4], m[5, 5] = e, -e
        return m


class Propagator:
    """``exp(M t)`` in closed form through a null-space basis (see the module docstring).

    Raises:
        ValueError: ``M``'s nonzero eigenvalues are not separated enough to diagonalise it
            stably (never for DADAO's generator).
    """

    def __init__(self, m: np.ndarray, null_tol: float = 1e-10) -> None:
        u, sv, vt = np.linalg.svd(m)
        scale = max(sv[0], 1e-300)
        null = vt[sv <= null_tol * scale].T
        vals, vecs = np.linalg.eig(m)
        keep = np.abs(vals) > null_tol * scale * 10
        if null.shape[1] + int(keep.sum()) != m.shape[0]:
            raise ValueError(
                f"the generator's null space has dimension {null.shape[1]} but "
                f"{int((~keep).sum())} eigenvalues are 0: it is not diagonalisable"
            )
        basis = np.concatenate([null.astype(complex), vecs[:, keep]], axis=1)
        self.condition = float(np.linalg.cond(basis))
        if not self.condition < 1e8:
            raise ValueError(
                f"the generator's eigenbasis is ill-conditioned (cond {self.condition:.3g})"
            )
        inverse = np.linalg.inv(basis)
        self.basis, self.inverse = basis, inverse
        """the eigenbasis (null-space columns first) and its inverse"""
        self.eigenvalues = np.concatenate([np.zeros(null.shape[1]), vals[keep]])
        """the eigenvalue of each column of ``basis``"""
        k0 = null.shape[1]
        self.rates = np.concatenate([[0.0], vals[keep]])
        """the distinct exponents: 0 first, then the nonzero eigenvalues"""
        size = m.shape[0]
        parts = [(basis[:, :k0] @ inverse[:k0]).reshape(-1)]
        parts += [np.outer(basis[:, k], inverse[k]).reshape(-1) for k in range(k0, size)]
        self.parts = np.array(parts)
        """(K, size * size) the rank-one (and null-space projector) terms"""
        self.size = size

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        """``exp(M t)`` for an array of times: shape ``t.shape + (6, 6)``."""
        t = np.asarray(t, dtype=float)
        e = np.exp(np.multiply.outer(t.reshape(-1), self.rates))
        out = (e @ self.parts).real
        return out.reshape(t.shape + (self.size, self.size))


def plain_eig_propagator(m: np.ndarray, t: float) -> np.ndarray:
    """``V diag(e^{lambda t}) V^-1`` from ``numpy.linalg.eig`` (the unstable construction the
    reference warns about; kept for the tests that show the difference)."""
    vals, vecs = np.linalg.eig(m)
    return (vecs @ np.diag(np.exp(vals * t)) @ np.linalg.inv(vecs)).real


@dataclass
class Interval:
    """What one ``DadaoSim.advance`` did."""

    gradients: int = 0
    gossips: int = 0
    dropped: int = 0
    """gossip events the budget did not allow"""
    cost: float = 0.0
    """communication cost of the executed gossips"""


@dataclass
class Events:
    """The pre-sampled events of one interval (times sorted per clock)."""

    grad_times: np.ndarray
    grad_nodes: np.ndarray
    gossip_times: np.ndarray
    gossip_pairs: np.ndarray
    """(k, 2) the gossips' node pairs"""
    stats: Interval


class DadaoSim:
    """One DADAO run: the nodes' states, their last event times and the two Poisson clocks.

    Args:
        loss: a ``Quadratic`` or ``Logistic`` (``grad(i, x)``, ``mu``, ``L``, ``x_star``).
        graphs: the edge arrays ``(E_k, 2)`` the gossip cycles through (one for a fixed graph).
        period: time each graph of ``graphs`` lasts (``inf`` for a fixed graph).
        x0: ``(n, d)`` initial x; x~, y, y~, z and z~ start at 0, as in the DADAO repository.
        grad_rng, mix_rng: the gradient and gossip clocks' generators.
    """

    def __init__(
        self,
        loss,
        graphs: list[np.ndarray],
        period: float,
        x0: np.ndarray,
        grad_rng: np.random.Generator,
        mix_rng: np.random.Generator,
    ) -> None:
        self.loss = loss
        self.const = DadaoConstants(loss.mu, loss.L)
        self.prop = Propagator(self.const.generator())
        self.graphs, self.period = graphs, float(period)
        n, d = x0.shape
        self.n, self.d = n, d
        self.coords = np.zeros((6, n, d), dtype=complex)
        """the nodes' states in the eigenbasis of M: s_i = Re(basis @ coords[:, i])"""
        self.coords[:] = self.prop.inverse[:, 0, None, None] * x0[None]
        self.last = np.zeros(n)
        self.t = 0.0
        c, p = self.const, self.prop
        self.read_grad = p.basis[[0, 3]]
        """(2, 6) reads x and y~ off the eigen-coordinates"""
        self.read_mix = p.basis[2] + p.basis[4]
        """(6,) reads y + z off the eigen-coordinates"""
        u = np.array([-c.gamma, -c.gamma_tilde, 0.0, c.delta_sum, 0.0, 0.0])
        self.jump = p.inverse @ u
        """(6,) a gradient jump of residual 1 in eigen-coordinates"""
        self.grad_rng, self.mix_rng = grad_rng, mix_rng

    def graph_at(self, t: float) -> int:
        """Index of the graph in force at time t."""
        if not math.isfinite(self.period) or len(self.graphs) == 1:
            return 0
        return int(t // self.period) % len(self.graphs)

    def _gossip_edges(
        self, times: np.ndarray, probs: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(k, 2) node pairs of gossip events at ``times`` and the index of their graph."""
        fixed = np.zeros(len(times), dtype=np.int64)
        if probs is not None:
            edges = self.graphs[0]
            pick = self.mix_rng.choice(len(edges), size=len(times), p=probs)
            return edges[pick], fixed
        u = self.mix_rng.random(len(times))
        if len(self.graphs) == 1 or not math.isfinite(self.period):
            edges = self.graphs[0]
            return edges[np.minimum((u * len(edges)).astype(np.int64), len(edges) - 1)], fixed
        out = np.empty((len(times), 2), dtype=np.int64)
        which = np.array([self.graph_at(t) for t in times.tolist()], dtype=np.int64)
        for k, g in enumerate(which.tolist()):
            edges = self.graphs[g]
            out[k] = edges[min(int(u[k] * len(edges)), len(edges) - 1)]
        return out, which

    def advance(
        self,
        t_end: float,
        rate: float,
        beta_tilde: float,
        probs: np.ndarray | None = None,
        costs: np.ndarray | None = None,
        budget: float = math.inf,
    ) -> Interval:
        """Draw and run the events of ``[t, t_end)`` and bring every node to ``t_end``.

        Args:
            t_end: the interval's end (> the current time).
            rate: lambda_mix, the gossip clock's total rate in the interval.
            beta_tilde: the gossip step on z~ (``DadaoConstants.beta_tilde``).
            probs: edge probabilities over ``graphs[0]`` (None: uniform over the graph in force).
            costs: (K, n, n) cost of an edge (i, j) of graph k at ``costs[k, i, j]`` (None:
                every edge costs 1).
            budget: cost the gossips of this interval may spend; gossips past it are dropped.
        """
        events = self.draw(t_end, rate, probs, costs, budget)
        self.run(events, t_end, beta_tilde)
        return events.stats

    def draw(
        self,
        t_end: float,
        rate: float,
        probs: np.ndarray | None = None,
        costs: np.ndarray | None = None,
        budget: float = math.inf,
    ) -> Events:
        """The two clocks' events in ``[t, t_end)`` (see ``advance``); state is unchanged."""
        span = t_end - self.t
        n, g_rng, m_rng = self.n, self.grad_rng, self.mix_rng
        kg = int(g_rng.poisson(n * span))
        tg = np.sort(self.t + span * g_rng.random(kg))
        node = g_rng.integers(0, n, kg)
        km = int(m_rng.poisson(rate * span))
        tm = np.sort(self.t + span * m_rng.random(km))
        pairs, which = self._gossip_edges(tm, probs)
        stats = Interval(gradients=kg)
        if km:
            cost = np.ones(km) if costs is None else costs[which, pairs[:, 0], pairs[:, 1]]
            spent = np.cumsum(cost)
            allowed = int(np.searchsorted(spent, budget + 1e-12, side="right"))
            stats.dropped = km - allowed
            tm, pairs = tm[:allowed], pairs[:allowed]
            stats.gossips = allowed
            stats.cost = float(spent[allowed - 1]) if allowed else 0.0
        return Events(tg, node, tm, pairs, stats)

    def run(self, events: Events, t_end: float, beta_tilde: float) -> None:
        """Apply ``events`` (from ``draw``) and bring every node to ``t_end``.

        The events get levels (``levels.event_levels``): an event's level is one more than the
        last level at any of its nodes, so the events of one level touch disjoint nodes: they
        commute and run as one vectorised batch, in the same order per node as the clocks give
        (exact, not an approximation); ``batchrun.run_batch`` runs them, in eigen-coordinates:
        propagation is ``coords *= e^{lambda dt}``, the jumps are rank-one updates mapped
        through the basis.
        """
        run_batch([self], [events], [t_end], [beta_tilde])

    @property
    def state(self) -> np.ndarray:
        """(n, 6, d) the nodes' six vectors (``STATE`` order) at their last event times (all at
        ``t`` between calls of ``advance``)."""
        s = np.einsum("ab,bnd->nad", self.prop.basis, self.coords).real
        return np.ascontiguousarray(s)

    @state.setter
    def state(self, value: np.ndarray) -> None:
        self.coords = np.einsum("ab,nbd->and", self.prop.inverse, np.asarray(value, complex))

    def gossip(self, i: int, j: int, beta_tilde: float) -> None:
        """One gossip jump on edge (i, j) now (no propagation; for tests)."""
        s, c = self.state, self.const
        m = s[i, 2] + s[i, 4] - s[j, 2] - s[j, 4]
        s[i, 4] -= c.beta * m
        s[j, 4] += c.beta * m
        s[i, 5] -= beta_tilde * m
        s[j, 5] += beta_tilde * m
        self.state = s

    @property
    def x(self) -> np.ndarray:
        """(n, d) the nodes' x (all nodes are at time ``t`` between calls of ``advance``)."""
        return (self.prop.basis[0] @ self.coords.reshape(6, -1)).real.reshape(self.n, self.d)

    def error(self, x: np.ndarray | None = None) -> float:
        """mean_i |x_i - x*|^2 = mean_i |x_i - x_bar|^2 + |x_bar - x*|^2 (``x``: ``self.x``
        when the caller has it already)."""
        diff = (self.x if x is None else x) - self.loss.x_star
        return float(np.mean(np.sum(diff * diff, axis=1)))

    def consensus(self, x: np.ndarray | None = None) -> float:
        """mean_i |x_i - x_bar|^2 (``x`` as in ``error``)."""
        x = self.x if x is None else x
        return float(np.mean(np.sum((x - x.mean(axis=0)) ** 2, axis=1)))


__all__ = [
    "STATE",
    "DadaoConstants",
    "DadaoSim",
    "Events",
    "Interval",
    "Propagator",
    "plain_eig_propagator",
]
