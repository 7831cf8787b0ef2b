"""The batched sim of ``netgym/MoeTrainingOverlap-v0`` (the ``BatchSim`` protocol).

An episode is one training iteration of L MoE layers: L forward steps (layer 0 .. L-1, the
action's degree r_f; its share is ignored), then L backward steps (layer L-1 .. 0: degree r_b
and the share of the pending gradient to all-reduce in this layer's NIC gaps). A layer's
gradient becomes pending when its backward is done; what is pending after the last backward
layer is all-reduced at the end, exposed. Layers run one after another; the step's time is the
layer's (``model.py``, ``pipeline.py``). Reward: minus the step's time over the iteration's
lower bound, so the return is ``-T_iter / T_lb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.compiled import kernel
from ...core.sim import Rows, rows
from .model import DEGREE_ARRAY, OverlapModel
from .params import MoeTrainingOverlapParams
from .pipeline import DEGREES, SHARES, layer_time_kernel

OBS_SIZE = 13
JITTER_CLIP = (0.1, 10.0)
"""the per-layer token factor is clipped to this range"""
SHARE_ARRAY = np.array(SHARES)
"""the share menu as ``step_kernel`` reads it"""


def _squash(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + x)


class MoeOverlapSim:
    """N MoeTrainingOverlap episodes (see the module docstring)."""

    def __init__(self, params: MoeTrainingOverlapParams, num_envs: int) -> None:
        self.params, self.num_envs = params, num_envs
        self.model = OverlapModel.of(params)
        m, n_layers = num_envs, params.layers
        self.works = np.repeat(self.model.work[None, None], m, axis=0).repeat(n_layers, axis=1)
        """(N, L, 4) each layer's workloads this episode"""
        self.op1 = np.zeros((m, n_layers, 2, 4))
        """per layer and pass, the four operations' times at r = 1 over the layer's bound"""
        self.bound1 = np.ones((m, n_layers, 2))
        """per layer and pass, the r = 1 resource bound (ms)"""
        self.lower = np.ones(m)
        self.t = np.zeros(m, dtype=np.int64)
        self.elapsed = np.zeros(m)
        self.pool = np.zeros(m)
        self.nic_idle = np.zeros(m)
        self.back_time = np.zeros(m)
        self.prev_degree = np.zeros(m, dtype=np.int64)
        self.prev_share = np.zeros(m, dtype=np.int64)
        self.layer_time = np.zeros(m)
        self.launched = np.zeros(m)
        self.exposed = np.zeros(m)
        self.reward = np.zeros(m)
        self.done = np.zeros(m, dtype=bool)

    # ------------------------------------------------------------------ BatchSim
    @property
    def terminated(self) -> np.ndarray:
        """(N,) the iteration is done (the exposed all-reduce included)."""
        return self.done

    @property
    def truncated(self) -> np.ndarray:
        """(N,) all False."""
        return np.zeros(self.num_envs, dtype=bool)

    def reset(
        self, idx: Rows, rngs: Sequence[np.random.Generator], options: dict[str, Any]
    ) -> None:
        """A new iteration (new token factors when ``token_jitter`` > 0) in envs ``idx``."""
        p, model = self.params, self.model
        sigma = p.token_jitter
        for m in rows(idx, self.num_envs):
            z = rngs[m].standard_normal(p.layers)
            factor = np.clip(np.exp(sigma * z - 0.5 * sigma * sigma), *JITTER_CLIP)
            self.works[m] = model.work[None, :] * factor[:, None]
            for backward, (alpha, beta) in enumerate(
                ((model.alpha_f, model.beta_f), (model.alpha_b, model.beta_b))
            ):
                ops = alpha[:4] + beta[:4] * self.works[m]
                bound = np.maximum.reduce(
                    [2 * ops[:, 0], ops[:, 1] + ops[:, 3], ops[:, 2], ops.sum(axis=1) + ops[:, 0]]
                )
                self.bound1[m, :, backward] = bound
                self.op1[m, :, backward] = ops / bound[:, None]
            self.lower[m] = model.iteration_bound(self.works[m])
        every = rows(idx, self.num_envs)
        for array in (self.t, self.prev_degree, self.prev_share):
            array[every] = 0
        for name in ("elapsed", "pool", "nic_idle", "back_time", "layer_time", "launched"):
            getattr(self, name)[every] = 0.0
        self.exposed[every] = 0.0
        self.reward[every] = 0.0
        self.done[every] = False

    def step(self, idx: Rows, actions: np.ndarray, rngs: Sequence[np.random.Generator]) -> None:
        """One layer (forward or backward) in each env of ``idx``; ``actions`` (n, 2) holds
        (degree index, share index) rows (``step_kernel``)."""
        model = self.model
        step_kernel(
            rows(idx, self.num_envs).astype(np.int64),
            np.ascontiguousarray(actions, dtype=np.int64).reshape(-1, 2),
            self.works,
            model.alpha_f,
            model.beta_f,
            model.alpha_b,
            model.beta_b,
            model.gamma,
            model.grad,
            self.lower,
            self.t,
            self.pool,
            self.nic_idle,
            self.back_time,
            self.layer_time,
            self.launched,
            self.exposed,
            self.elapsed,
            self.prev_degree,
            self.prev_share,
            self.done,
            self.reward,
        )

    def observation(self) -> np.ndarray:
        """(N, OBS_SIZE) float32 observations (the env's docstring lists them)."""
        n_layers = self.params.layers
        m_all = np.arange(self.num_envs)
        k = np.minimum(self.t, 2 * n_layers - 1)
        backward = (k >= n_layers).astype(np.int64)
        layer = np.where(backward == 1, 2 * n_layers - 1 - k, k)
        bound = self.bound1[m_all, layer, backward]
        grad_time = self.model.beta_b[4] * self.model.grad
        out = np.zeros((self.num_envs, OBS_SIZE), dtype=np.float32)
        out[:, 0] = backward
        out[:, 1] = np.where(backward == 1, k - n_layers, k) / n_layers
        out[:, 2:6] = self.op1[m_all, layer, backward]
        out[:, 6] = _squash(self.model.beta_b[4] * self.pool / bound)
        out[:, 7] = _squash(grad_time * np.where(backward == 1, layer + 1, n_layers) / bound)
        out[:, 8] = self.nic_idle / np.maximum(self.back_time, 1e-300)
        out[:, 9] = self.prev_degree / (len(DEGREES) - 1)
        out[:, 10] = self.prev_share / (len(SHARES) - 1)
        out[:, 11] = _squash(self.elapsed / self.lower)
        out[:, 12] = 1.0 - 1.0 / self.model.a2a_factor
        return np.clip(out, 0.0, 1.0)

    def observation_size(self) -> int:
        """Length of one env's observation."""
        return OBS_SIZE

    def info(self) -> dict[str, np.ndarray]:
        """Per-env arrays (times in seconds, as every disttrain env reports them)."""
        return {
            "iteration_time": self.elapsed / 1e3,
            "lower_bound": self.lower / 1e3,
            "layer_time": self.layer_time / 1e3,
            "exposed_allreduce": self.exposed / 1e3,
            "launched": self.launched.copy(),
            "pending_gradient": self.pool.copy(),
            "nic_idle": self.nic_idle / 1e3,
            "degree": np.array(DEGREES)[self.prev_degree],
            "step": self.t.copy(),
        }


@kernel
def step_kernel(
    envs: np.ndarray,
    actions: np.ndarray,
    works: np.ndarray,
    alpha_f: np.ndarray,
    beta_f: np.ndarray,
    alpha_b: np.ndarray,
    beta_b: np.ndarray,
    gamma: float,
    grad: float,
    lower: np.ndarray,
    t: np.ndarray,
    pool: np.ndarray,
    nic_idle: np.ndarray,
    back_time: np.ndarray,
    layer_time: np.ndarray,
    launched_out: np.ndarray,
    exposed_out: np.ndarray,
    elapsed: np.ndarray,
    prev_degree: np.ndarray,
    prev_share: np.ndarray,
    done: np.ndarray,
    reward: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba
    """``MoeOverlapSim.step`` compiled: per env of ``envs`` one layer's list schedule (a
    sequential loop per env, which numpy cannot vectorise), the gradient pool and the
    counters, written in place."""
    n_layers = works.shape[1]
    for q in range(envs.shape[0]):
        m = envs[q]
        d = actions[q, 0]
        s = actions[q, 1]
        k = t[m]
        r = DEGREE_ARRAY[d]
        exposed = 0.0
        launched = 0.0
        if k < n_layers:
            time = layer_time_kernel(alpha_f, beta_f, works[m, k], r, gamma, 0.0)[0]
        else:
            layer = 2 * n_layers - 1 - k
            left = pool[m]
            launched = SHARE_ARRAY[s] * left
            time, busy = layer_time_kernel(alpha_b, beta_b, works[m, layer], r, gamma, launched)
            left += grad - launched
            pool[m] = left
            nic_idle[m] += time - busy
            back_time[m] += time
            if layer == 0:
                exposed = alpha_b[4] + beta_b[4] * left if left > 0 else 0.0
                pool[m] = 0.0
        step_time = time + exposed
        layer_time[m] = time
        launched_out[m] = launched
        exposed_out[m] = exposed
        elapsed[m] += step_time
        prev_degree[m] = d
        prev_share[m] = s
        t[m] = k + 1
        done[m] = k + 1 == 2 * n_layers
        reward[m] = -step_time / lower[m]


__all__ = ["OBS_SIZE", "MoeOverlapSim", "step_kernel"]
