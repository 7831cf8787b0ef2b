"""The other decentralized optimisers of DADAO's rate table (reference/disttrain.md section 3),
run on an ``AsyncGossip`` problem with the env's accounting (re-implemented from the
published update rules; time unit = one gradient per node).

- ``adom_plus``: ADOM+ (Kovalev et al. 2021), synchronous: per round every node takes one
  gradient and every edge communicates once (|E| edges per round); with
  ``multi_consensus``, ceil(chi ln 2) gossip rounds per round (chi = lambda_max /
  lambda_min^+ of the Laplacian), so the gossip matrix I - (I - L / lambda_max)^T has a
  condition number <= 2.
- ``msda``: MSDA (Scaman et al. 2017, Algorithm 2), synchronous dual method with Chebyshev
  accelerated gossip of K = floor(1 / sqrt(gamma)) rounds on Lambda = L / |E| (|E| K edges per
  round); quadratic losses only (it needs the local dual gradients).
- ``continuized``: the continuized accelerated gossip of Even et al. (2021), asynchronous:
  edges fire at total rate sqrt(2 chi1 chi2) per time unit, each firing takes one dual
  gradient at both ends; quadratic losses only.

Each returns a ``MethodRun``: the error mean_i |x_i - x*|^2 at the end of every time unit and
the edges and gradients each unit used; ``method_return`` scores it like the env's reward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from netgym.envs.disttrain.gossip.graphs import laplacian, spectrum
from netgym.envs.disttrain.gossip.losses import Quadratic

METHODS = ("ADOM+", "ADOM+ multi-consensus", "MSDA", "Continuized")


@dataclass(frozen=True)
class MethodRun:
    """A run of one method: per time unit, the error and the edges and gradients used."""

    name: str
    errors: np.ndarray
    """(T + 1,) error at t = 0, 1, .., T"""
    edges: np.ndarray
    """(T,) edge activations in each unit"""
    gradients: np.ndarray
    """(T,) local (primal or dual) gradients in each unit"""


def method_return(run: MethodRun, unit: float, cost_weight: float) -> float:
    """ln(err_0 / err_T) - cost_weight x (edges used / unit), the env's return with uniform
    costs (``unit``: DADAO's default spend per time unit, sqrt(2 chi1 chi2))."""
    return float(math.log(run.errors[0] / run.errors[-1]) - cost_weight * run.edges.sum() / unit)


def _error(x: np.ndarray, x_star: np.ndarray) -> float:
    return float(np.mean(np.sum((x - x_star) ** 2, axis=1)))


def adom_plus(
    loss, edges: np.ndarray, x0: np.ndarray, rounds: int, multi_consensus: bool = False
) -> MethodRun:
    """ADOM+ for ``rounds`` rounds (one round per time unit); see the module docstring."""
    n = x0.shape[0]
    lap = laplacian(n, edges)
    s = spectrum(n, edges)
    gossip = lap / s.lambda_max
    per_round = len(edges)
    chi = s.chi
    if multi_consensus:
        steps = math.ceil(chi * math.log(2.0))
        gossip = np.eye(n) - np.linalg.matrix_power(np.eye(n) - gossip, steps)
        vals = np.linalg.eigvalsh(gossip)
        chi = vals[-1] / vals[1]
        per_round *= steps
    mu, big_l = loss.mu, loss.L
    tau2 = math.sqrt(mu / big_l)
    tau1 = 1.0 / (math.sqrt(big_l / mu) + 0.5)
    sigma2 = tau2 / (16 * chi)
    sigma1 = 1.0 / (1.0 / sigma2 + 0.5)
    eta, alpha, beta = 1.0 / (big_l * tau2), mu / 2, 1.0 / (2 * big_l)
    delta, nu = 1.0 / (17 * big_l), mu / 2
    gamma, theta, zeta = nu / (14 * sigma2 * chi**2), nu / (4 * sigma2), 0.5
    c1 = (1 + eta * alpha) / ((1 + theta * beta) * (1 + eta * alpha) + theta * eta)
    c2 = theta * beta + eta * theta / (1 + eta * alpha)
    c3 = theta * (beta * nu + eta * (nu + alpha) / (1 + eta * alpha))
    c4, c5 = theta / (1 + eta * alpha), 1.0 / (1 + eta * alpha)
    x = x0.copy()
    y, z, m = (np.zeros_like(x0) for _ in range(3))
    xf, yf, zf = x.copy(), y.copy(), z.copy()
    nodes = np.arange(n)
    errors = [_error(x, loss.x_star)]
    for _ in range(rounds):
        xg = tau1 * x + (1 - tau1) * xf
        grad = loss.grad_batch(nodes, xg)
        yg = sigma1 * y + (1 - sigma1) * yf
        zg = sigma1 * z + (1 - sigma1) * zf
        y_new = c1 * (y + c2 * grad - c3 * xg - c4 * x - (theta / nu) * (yg + zg))
        x_new = c5 * (x + eta * alpha * xg - eta * (grad - nu * xg - y_new))
        message = (gamma / nu) * (yg + zg) + m
        z_new = z + gamma * delta * (zg - z) - gossip @ message
        m = message - gossip @ message
        xf = xg + tau2 * (x_new - x)
        yf = yg + sigma2 * (y_new - y)
        zf = zg - zeta * gossip @ (yg + zg)
        x, y, z = x_new, y_new, z_new
        errors.append(_error(x, loss.x_star))
    name = "ADOM+ multi-consensus" if multi_consensus else "ADOM+"
    return MethodRun(
        name, np.array(errors), np.full(rounds, float(per_round)), np.full(rounds, float(n))
    )


def _dual_grad(loss: Quadratic, y: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """grad f_i^*(y_i) = c_i + A_i^{-1} y_i for the quadratic f_i."""
    inv = np.linalg.inv(loss.a[nodes])
    return loss.c[nodes] + (inv @ y[:, :, None])[:, :, 0]


def _need_quadratic(loss, name: str) -> None:
    if not isinstance(loss, Quadratic):
        raise ValueError(
            f"{name} needs the local dual gradients, implemented for quadratic losses only "
            f"(got {type(loss).__name__}); use loss='quadratic'"
        )


def msda(loss, edges: np.ndarray, x0: np.ndarray, rounds: int) -> MethodRun:
    """MSDA for ``rounds`` rounds; its primal iterate is grad f_i^*(x_i). ``x0`` sets n and d
    (MSDA starts from the dual 0)."""
    _need_quadratic(loss, "MSDA")
    n, d = x0.shape
    w = laplacian(n, edges) / len(edges)
    vals = np.linalg.eigvalsh(w)
    lam1, gap = vals[-1], vals[1] / vals[-1]
    c1 = (1 - math.sqrt(gap)) / (1 + math.sqrt(gap))
    c2, c3 = (1 + gap) / (1 - gap) if gap < 1 else math.inf, 2 / ((1 + gap) * lam1)
    k = int(1 / math.sqrt(gap))
    kappa, alpha = loss.L / loss.mu, loss.mu
    eta = alpha * (1 + c1 ** (2 * k)) / (1 + c1**k) ** 2
    mom = ((1 + c1**k) * math.sqrt(kappa) - 1 + c1**k) / (
        (1 + c1**k) * math.sqrt(kappa) + 1 - c1**k
    )
    mix = np.eye(n) - c3 * w
    nodes = np.arange(n)
    x, y = np.zeros((n, d)), np.zeros((n, d))

    def accelerated_gossip(v: np.ndarray) -> np.ndarray:
        if gap >= 1:  # complete graph: one round is exact averaging
            return v - v.mean(axis=0)
        a_prev, a_cur, v_prev, v_cur = 1.0, c2, v, c2 * (mix @ v)
        for _ in range(1, k):
            a_prev, a_cur = a_cur, 2 * c2 * a_cur - a_prev
            v_prev, v_cur = v_cur, 2 * c2 * (mix @ v_cur) - v_prev
        return v - v_cur / a_cur

    errors = [_error(_dual_grad(loss, x, nodes), loss.x_star)]
    for _ in range(rounds):
        theta = _dual_grad(loss, x, nodes)
        y_plus = x - eta * accelerated_gossip(theta)
        x, y = (1 + mom) * y_plus - mom * y, y_plus
        errors.append(_error(_dual_grad(loss, x, nodes), loss.x_star))
    return MethodRun(
        "MSDA", np.array(errors), np.full(rounds, float(len(edges) * k)), np.full(rounds, n * 1.0)
    )


def continuized(
    loss, edges: np.ndarray, x0: np.ndarray, units: int, rng: np.random.Generator
) -> MethodRun:
    """The continuized method for ``units`` time units at sqrt(2 chi1 chi2) edges per unit
    (uniform edges); its primal iterate is grad f_i^*(y_i). ``x0`` sets n and d."""
    _need_quadratic(loss, "Continuized")
    n, d = x0.shape
    lap = laplacian(n, edges) / len(edges)
    s = spectrum(n, edges)
    rate = s.rate
    pinv = np.linalg.pinv(lap)
    gossip_gap, r_over_p = 1.0 / s.chi1, 2.0 * s.chi2
    eta = math.sqrt(gossip_gap / r_over_p) * math.sqrt(loss.mu / loss.L)
    gamma = loss.mu / (2 * r_over_p)
    gamma_t = math.sqrt(loss.L * loss.mu / (2 * gossip_gap * r_over_p))
    i_all, j_all = edges[:, 0], edges[:, 1]
    resist = pinv[i_all, i_all] + pinv[j_all, j_all] - 2 * pinv[i_all, j_all]
    inv = np.linalg.inv(loss.a)
    y, z = np.zeros((n, d)), np.zeros((n, d))
    last = np.zeros(n)
    nodes = np.arange(n)

    def propagate(k: int, t_event: float) -> None:
        # exp(M s) for M = [[-eta, eta], [eta, -eta]] is I + (1 - e^{-2 eta s}) / 2 M / eta
        f = 0.5 * (1.0 - math.exp(-2.0 * eta * (t_event - last[k]) * rate))
        y[k], z[k] = y[k] + f * (z[k] - y[k]), z[k] + f * (y[k] - z[k])
        last[k] = t_event

    errors = [_error(_dual_grad(loss, y, nodes), loss.x_star)]
    used = []
    for unit in range(units):
        count = int(rng.poisson(rate))
        times = np.sort(unit + rng.random(count))
        picks = rng.integers(0, len(edges), count)
        for t, e in zip(times.tolist(), picks.tolist(), strict=True):
            i, j = int(i_all[e]), int(j_all[e])
            propagate(i, t)
            propagate(j, t)
            g = (loss.c[i] + inv[i] @ y[i]) - (loss.c[j] + inv[j] @ y[j])
            y[i] -= gamma * resist[e] * g
            y[j] += gamma * resist[e] * g
            z[i] -= gamma_t * g
            z[j] += gamma_t * g
        for k in range(n):
            propagate(k, float(unit + 1))
        used.append(count)
        errors.append(_error(_dual_grad(loss, y, nodes), loss.x_star))
    edges_used = np.array(used, dtype=float)
    return MethodRun("Continuized", np.array(errors), edges_used, 2.0 * edges_used)


__all__ = ["METHODS", "MethodRun", "adom_plus", "continuized", "method_return", "msda"]
