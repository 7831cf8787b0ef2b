"""The MoE layer model of ``netgym/MoeTrainingOverlap-v0`` (reference/disttrain.md section 4).

An MoE layer runs five operations: A2A dispatch (NIC), all-gather (NVLink), the expert GEMMs
(GPU), reduce-scatter (NVLink) and A2A combine (NIC). Operation x on n_x elements costs
``alpha_x + beta_x n_x``; split into r chunks, each chunk costs ``alpha_x + beta_x n_x / r``
(FSMoE's ``tools/optim.py`` profile). The chunks form a 5-stage pipeline over three resources
scheduled by greedy list scheduling: a resource that is free starts the ready task of highest
priority (lower stage first; the gradient all-reduce chunks last), or waits for the earliest
one. Since dispatch chunks are always ready, the NIC sends all of them first; the NVLink
interleaves all-gathers and reduce-scatters as they become ready; the GPU runs the GEMMs in
order; gradient all-reduce chunks fill the NIC when no combine chunk is ready
(non-preemptive, so one may delay a combine). The layer ends when the NIC is done.

Workloads (elements), with tokens ``T = f b s`` (f = top-k x capacity factor): ``n_A2A = T m /
e_s``, ``n_AG = n_RS = T m``, ``n_GEMM = T m h g / e_s``. The backward pass runs the same
pipeline with the GEMM cost doubled (FSMoE doubles alpha and beta of the GEMM).
"""

from __future__ import annotations

import numpy as np

OPS = ("a2a", "ag", "gemm", "rs", "ar")
"""the five operations of the alpha/beta profile, in FSMoE's order"""
FSMOE_ALPHA = (0.235, 0.0549, 0.592, 0.0688, 0.341)
"""FSMoE ``tools/optim.py``'s default alpha (ms) for [A2A, AG, GEMM, RS, AR]"""
FSMOE_BETA = (1.85e-6, 6.72e-7, 5.68e-11, 6.70e-7, 3.50e-6)
"""FSMoE's default beta (ms per element) for [A2A, AG, GEMM, RS, AR]"""
DEGREES = (1, 2, 4, 8, 16)
"""the pipeline degrees r of the action menu"""
SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
"""the shares of the remaining gradient all-reduce launched in a backward layer"""
STAGE_OP = (0, 1, 2, 3, 0)
"""the operation of each pipeline stage (dispatch and combine are both A2A)"""


def workloads(
    batch: float, seq: float, hidden: float, ffn: float, f: float, esp: float, gemms: float
) -> np.ndarray:
    """(4,) elements of [A2A, AG, GEMM, RS] of one MoE layer (reference section 4)."""
    tokens = f * batch * seq
    a2a = tokens * hidden / esp
    return np.array([a2a, tokens * hidden, a2a * ffn * gemms, tokens * hidden])


def stage_costs(
    alpha: np.ndarray, beta: np.ndarray, work: np.ndarray, r: int, gamma: float = 1.0
) -> tuple[float, float, float, float, float]:
    """Per-chunk times (ms) of the five stages at degree r; the GEMM's times ``gamma`` when
    the layer is pipelined (r > 1: its chunks overlap communication)."""
    c = [float(alpha[o] + beta[o] * work[o] / r) for o in STAGE_OP]
    if r > 1:
        c[2] *= gamma
    return c[0], c[1], c[2], c[3], c[4]


def schedule(
    c: tuple[float, float, float, float, float], r: int, ar_chunks: int = 0, ar_cost: float = 0.0
) -> float:
    """The makespan (ms) of the greedy list schedule of r chunks through the 5 stages, with
    ``ar_chunks`` gradient all-reduce chunks of ``ar_cost`` ms each on the NIC (those left
    when the last combine is done run after it)."""
    c0, c1, c2, c3, c4 = c
    # NVLink: all-gathers (ready when their dispatch chunk is done) and reduce-scatters
    # (ready when their GEMM is done); the GPU runs each GEMM as soon as its all-gather ends
    gemm_end = [0.0] * r
    rs_end = [0.0] * r
    t = gpu = 0.0
    a = b = 0
    while b < r:
        if a < r:
            start_a = (a + 1) * c0
            if start_a < t:
                start_a = t
            if b < a:
                start_b = gemm_end[b] if gemm_end[b] > t else t
                take_ag = start_a <= start_b
            else:
                take_ag = True
        else:
            take_ag = False
        if take_ag:
            t = start_a + c1
            gpu = (t if t > gpu else gpu) + c2
            gemm_end[a] = gpu
            a += 1
        else:
            t = (gemm_end[b] if gemm_end[b] > t else t) + c3
            rs_end[b] = t
            b += 1
    # NIC after the dispatch block: combines when ready, all-reduce chunks in the gaps
    t = r * c0
    j = 0
    left = ar_chunks
    while j < r:
        ready = rs_end[j]
        if ready <= t:
            t += c4
            j += 1
        elif left:
            t += ar_cost
            left -= 1
        else:
            t = ready + c4
            j += 1
    return t + left * ar_cost


def layer_bound(
    c: tuple[float, float, float, float, float], r: int, ar_chunks: int = 0, ar_cost: float = 0.0
) -> float:
    """The per-resource busy-time bound of one layer at degree r: no schedule of its tasks
    is shorter than the NIC's, the NVLink's or the GPU's busy time, nor than one chunk's
    path through the five stages."""
    nic = r * (c[0] + c[4]) + ar_chunks * ar_cost
    return max(nic, r * (c[1] + c[3]), r * c[2], c[0] + c[1] + c[2] + c[3] + c[4])


def allreduce_time(alpha: np.ndarray, beta: np.ndarray, elements: float) -> float:
    """One all-reduce of ``elements`` (ms); 0 for nothing."""
    return float(alpha[4] + beta[4] * elements) if elements > 0 else 0.0


__all__ = [
    "DEGREES",
    "FSMOE_ALPHA",
    "FSMOE_BETA",
    "OPS",
    "SHARES",
    "STAGE_OP",
    "allreduce_time",
    "layer_bound",
    "schedule",
    "stage_costs",
    "workloads",
]
