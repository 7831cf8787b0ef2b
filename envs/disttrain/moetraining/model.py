"""``OverlapModel``: the timing model of one ``MoeTrainingOverlapParams`` (the profile with the
backward GEMM factor and the coupling's all-to-all factor applied), shared by the sim, the
baselines and the oracle so that they time a layer the same way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .coupling import a2a_congestion_factor
from .params import MoeTrainingOverlapParams
from .pipeline import (
    DEGREES,
    allreduce_time,
    iteration_bound_kernel,
    layer_time_kernel,
)

DEGREE_ARRAY = np.array(DEGREES, dtype=np.int64)
"""the degree menu as the kernels take it"""


@dataclass(frozen=True, eq=False)
class OverlapModel:
    """The layer timing of one params (times in ms, workloads in elements)."""

    alpha_f: np.ndarray
    beta_f: np.ndarray
    alpha_b: np.ndarray
    beta_b: np.ndarray
    gamma: float
    work: np.ndarray
    """(4,) the configured layer's [A2A, AG, GEMM, RS] elements"""
    grad: float
    """gradient elements per layer"""
    layers: int
    a2a_factor: float
    """beta_A2A's multiplier from the coupling (1 without)"""

    @classmethod
    def of(cls, params: MoeTrainingOverlapParams) -> OverlapModel:
        """The model of ``params`` (the coupling's factor computed once per fabric)."""
        alpha = np.array(params.alpha, dtype=float)
        beta = np.array(params.beta, dtype=float)
        factor = a2a_congestion_factor(params.a2a_scheme, params.a2a_fabric, params.a2a_seed)
        beta[0] *= factor
        alpha_b, beta_b = alpha.copy(), beta.copy()
        alpha_b[2] *= params.backward_gemm_factor
        beta_b[2] *= params.backward_gemm_factor
        return cls(
            alpha,
            beta,
            alpha_b,
            beta_b,
            float(params.overlap_slowdown),
            params.work,
            params.layer_grad,
            params.layers,
            factor,
        )

    def forward(self, work: np.ndarray, r: int) -> float:
        """Forward time (ms) of a layer with workloads ``work`` at degree r."""
        work = np.ascontiguousarray(work, dtype=np.float64)
        return float(layer_time_kernel(self.alpha_f, self.beta_f, work, int(r), self.gamma, 0.0)[0])

    def backward(self, work: np.ndarray, r: int, launched: float = 0.0) -> float:
        """Backward time (ms) at degree r launching ``launched`` gradient elements (in r
        all-reduce chunks) in the layer's NIC gaps."""
        return self.backward_busy(work, r, launched)[0]

    def backward_busy(self, work: np.ndarray, r: int, launched: float = 0.0) -> tuple[float, float]:
        """(backward time, NIC busy time) in ms, as ``backward``."""
        work = np.ascontiguousarray(work, dtype=np.float64)
        time, busy = layer_time_kernel(
            self.alpha_b, self.beta_b, work, int(r), self.gamma, float(launched)
        )
        return float(time), float(busy)

    def allreduce(self, elements: float) -> float:
        """One all-reduce of ``elements`` (ms), the exposed flush at the end."""
        return allreduce_time(self.alpha_b, self.beta_b, elements)

    def iteration_bound(self, works: np.ndarray) -> float:
        """A lower bound (ms) on the iteration of layers ``works`` ((L, 4)): the forward
        layers' bounds, plus the larger of the backward layers' bounds with the last layer's
        gradient all-reduce (it can only start after the backward) and the backward's least
        NIC busy time with every gradient's all-reduce (``bounds`` per layer; computed by
        ``pipeline.iteration_bound_kernel``)."""
        return float(
            iteration_bound_kernel(
                self.alpha_f,
                self.beta_f,
                self.alpha_b,
                self.beta_b,
                self.gamma,
                np.ascontiguousarray(works, dtype=np.float64),
                self.grad,
                DEGREE_ARRAY,
            )
        )


__all__ = ["DEGREE_ARRAY", "OverlapModel"]
