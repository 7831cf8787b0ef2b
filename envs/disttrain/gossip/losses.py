"""Local losses of ``AsyncGossip``: each node i holds an L-smooth, mu-strongly convex f_i and
the nodes minimise sum_i f_i (reference/disttrain.md section 3).

``Quadratic``: f_i(x) = 1/2 (x - c_i)^T A_i (x - c_i), each A_i symmetric with eigenvalues in
[mu, L] (log-uniform; node 0 has both mu and L, so kappa = L / mu exactly). ``Logistic``:
f_i(x) = 1/m sum_k log(1 + exp(-y_k a_k^T x)) + mu/2 |x|^2 on m Gaussian samples per node, with
L_i = lambda_max(A_i^T A_i) / (4 m) + mu, L = max_i L_i and mu set so that L / mu = kappa.
Both return x* = argmin sum_i f_i (a linear solve; Newton's method for the logistic loss).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

LOSSES = ("quadratic", "logistic")
"""local loss families"""
LOGISTIC_SAMPLES = 20
"""samples per node of the logistic loss"""
StackedGrad = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``grad(nodes, x)`` over the nodes of several envs' losses, numbered one env after the other"""


class Quadratic:
    """Quadratic local losses (see the module docstring).

    Raises:
        ValueError: a Hessian that is not symmetric positive definite (a non-convex or merely
            convex f_i: DADAO needs every f_i mu-strongly convex with mu > 0).
    """

    kind = "quadratic"

    def __init__(self, hessians: np.ndarray, centres: np.ndarray) -> None:
        a = np.asarray(hessians, dtype=float)
        c = np.asarray(centres, dtype=float)
        if a.ndim != 3 or a.shape[1] != a.shape[2] or c.shape != a.shape[:2]:
            raise ValueError(
                f"Quadratic needs hessians (n, d, d) and centres (n, d), got {a.shape} and "
                f"{c.shape}"
            )
        if not np.allclose(a, a.transpose(0, 2, 1)):
            raise ValueError("Quadratic: every Hessian A_i must be symmetric")
        eig = np.linalg.eigvalsh(a)
        if eig.min() <= 0:
            node = int(np.argmin(eig.min(axis=1)))
            raise ValueError(
                f"Quadratic: node {node}'s Hessian has eigenvalue {eig.min():.3g} <= 0, so "
                "f_i is not strongly convex; DADAO needs every local loss mu-strongly convex "
                "(mu > 0): give positive definite Hessians"
            )
        self.a, self.c = a, c
        self.b = np.einsum("nij,nj->ni", a, c)
        self.mu, self.L = float(eig.min()), float(eig.max())
        self.x_star = np.linalg.solve(a.sum(axis=0), self.b.sum(axis=0))

    @classmethod
    def draw(cls, n: int, dim: int, kappa: float, rng: np.random.Generator) -> Quadratic:
        """Random quadratics with mu = 1 and L = kappa."""
        q, _ = np.linalg.qr(rng.standard_normal((n, dim, dim)))
        s = np.exp(rng.uniform(0.0, np.log(kappa), (n, dim)))
        s[0, 0], s[0, -1] = 1.0, kappa
        a = np.einsum("nij,nj,nkj->nik", q, s, q)
        a = 0.5 * (a + a.transpose(0, 2, 1))
        return cls(a, rng.standard_normal((n, dim)))

    def grad(self, i: int, x: np.ndarray) -> np.ndarray:
        """Gradient of f_i at x."""
        return self.a[i] @ x - self.b[i]

    def grad_batch(self, nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
        """(k, d) gradients of f_{nodes[k]} at x[k]."""
        return quadratic_grad(self.a[nodes], self.b[nodes], x)

    @staticmethod
    def stacked(losses: Sequence[Quadratic]) -> StackedGrad:
        """``grad(nodes, x)``: gradients at ``x`` (..., d) of the nodes ``nodes`` (...) of the
        losses' nodes numbered one loss after the other (node i of ``losses[e]`` is e n + i)."""
        a = _concat([loss.a for loss in losses])
        b = _concat([loss.b for loss in losses])
        return lambda nodes, x: quadratic_grad(a[nodes], b[nodes], x)


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    """The arrays concatenated along their first axis (the array itself when there is one)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def quadratic_grad(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(..., d) gradients A x - b of quadratics with Hessians ``a`` (..., d, d) and linear
    terms ``b`` = A c (..., d) at ``x`` (..., d)."""
    return (a @ x[..., None])[..., 0] - b


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def logistic_grad(
    a: np.ndarray, y: np.ndarray, mu: float | np.ndarray, x: np.ndarray
) -> np.ndarray:
    """(..., d) gradients of the l2-regularised logistic losses with samples ``a`` (..., m, d),
    labels ``y`` (..., m) and weights ``mu`` (a float, or broadcasting to x) at ``x`` (..., d)."""
    s = _sigmoid(-y * (a @ x[..., None])[..., 0])
    return -(np.swapaxes(a, -1, -2) @ (y * s)[..., None])[..., 0] / y.shape[-1] + mu * x


class Logistic:
    """l2-regularised logistic local losses (see the module docstring)."""

    kind = "logistic"

    def __init__(self, data: np.ndarray, labels: np.ndarray, mu: float) -> None:
        if not mu > 0:
            raise ValueError(f"Logistic: the l2 weight mu must be > 0 (strong convexity), got {mu}")
        self.data, self.labels, self.mu = data, labels, float(mu)
        m = data.shape[1]
        gram = np.einsum("nki,nkj->nij", data, data)
        self.L = float(np.linalg.eigvalsh(gram)[:, -1].max() / (4 * m) + mu)
        self.x_star = self._solve()

    @classmethod
    def draw(cls, n: int, dim: int, kappa: float, rng: np.random.Generator) -> Logistic:
        """Gaussian samples labelled by a random hyperplane (10 % flipped), mu set so that
        L / mu = kappa."""
        data = rng.standard_normal((n, LOGISTIC_SAMPLES, dim))
        w = rng.standard_normal(dim)
        labels = np.sign(data @ w + 1e-12)
        labels[rng.random(labels.shape) < 0.1] *= -1
        gram = np.einsum("nki,nkj->nij", data, data)
        l_data = float(np.linalg.eigvalsh(gram)[:, -1].max() / (4 * LOGISTIC_SAMPLES))
        return cls(data, labels, l_data / (kappa - 1.0))

    def grad(self, i: int, x: np.ndarray) -> np.ndarray:
        """Gradient of f_i at x."""
        a, y = self.data[i], self.labels[i]
        s = _sigmoid(-y * (a @ x))
        return -(a.T @ (y * s)) / len(y) + self.mu * x

    def grad_batch(self, nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
        """(k, d) gradients of f_{nodes[k]} at x[k]."""
        return logistic_grad(self.data[nodes], self.labels[nodes], self.mu, x)

    @staticmethod
    def stacked(losses: Sequence[Logistic]) -> StackedGrad:
        """``grad(nodes, x)`` as ``Quadratic.stacked``."""
        data = _concat([loss.data for loss in losses])
        labels = _concat([loss.labels for loss in losses])
        mu = np.repeat([loss.mu for loss in losses], len(losses[0].labels))
        return lambda nodes, x: logistic_grad(data[nodes], labels[nodes], mu[nodes][..., None], x)

    def _solve(self) -> np.ndarray:
        n, m, d = self.data.shape
        a, y = self.data.reshape(n * m, d), self.labels.reshape(n * m)
        x = np.zeros(d)
        for _ in range(100):
            s = _sigmoid(-y * (a @ x))
            g = -(a.T @ (y * s)) / m + n * self.mu * x
            h = (a.T * (s * (1 - s))) @ a / m + n * self.mu * np.eye(d)
            step = np.linalg.solve(h, g)
            x -= step
            if np.abs(step).max() < 1e-15:
                break
        return x


def draw_loss(kind: str, n: int, dim: int, kappa: float, rng: np.random.Generator):
    """A ``Quadratic`` or ``Logistic`` problem with condition number ``kappa``."""
    if kind == "quadratic":
        return Quadratic.draw(n, dim, kappa, rng)
    if kind == "logistic":
        return Logistic.draw(n, dim, kappa, rng)
    raise ValueError(f"unknown loss {kind!r}; choose one of {list(LOSSES)}")


__all__ = [
    "LOGISTIC_SAMPLES",
    "LOSSES",
    "Logistic",
    "Quadratic",
    "StackedGrad",
    "draw_loss",
    "logistic_grad",
    "quadratic_grad",
]
