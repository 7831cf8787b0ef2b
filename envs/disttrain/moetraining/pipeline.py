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

from ...core.compiled import kernel

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
    c = stage_costs_kernel(_vector(alpha), _vector(beta), _vector(work), int(r), float(gamma))
    return float(c[0]), float(c[1]), float(c[2]), float(c[3]), float(c[4])


def _vector(values: np.ndarray) -> np.ndarray:
    """``values`` as a contiguous float64 array (the kernels' one argument type)."""
    return np.ascontiguousarray(values, dtype=np.float64)


@kernel
def stage_costs_kernel(
    alpha: np.ndarray, beta: np.ndarray, work: np.ndarray, r: int, gamma: float
) -> tuple[float, float, float, float, float]:  # pragma: no cover - compiled by numba
    """``stage_costs`` compiled (the operations of ``STAGE_OP``: A2A, AG, GEMM, RS, A2A)."""
    c0 = alpha[0] + beta[0] * work[0] / r
    c1 = alpha[1] + beta[1] * work[1] / r
    c2 = alpha[2] + beta[2] * work[2] / r
    c3 = alpha[3] + beta[3] * work[3] / r
    if r > 1:
        c2 *= gamma
    return c0, c1, c2, c3, c0


def schedule(
    c: tuple[float, float, float, float, float], r: int, ar_chunks: int = 0, ar_cost: float = 0.0
) -> float:
    """The makespan (ms) of the greedy list schedule of r chunks through the 5 stages, with
    ``ar_chunks`` gradient all-reduce chunks of ``ar_cost`` ms each on the NIC (those left
    when the last combine is done run after it); ``schedule_kernel`` computes it."""
    c0, c1, c2, c3, c4 = (float(x) for x in c)
    return float(schedule_kernel(c0, c1, c2, c3, c4, int(r), int(ar_chunks), float(ar_cost)))


@kernel
def schedule_kernel(
    c0: float, c1: float, c2: float, c3: float, c4: float, r: int, ar_chunks: int, ar_cost: float
) -> float:  # pragma: no cover - compiled by numba (the tests call it through ``schedule``)
    """``schedule`` compiled (numba): the list schedule is a sequential loop over the chunks
    whose next task depends on the last one's end, which numpy cannot vectorise."""
    # NVLink: all-gathers (ready when their dispatch chunk is done) and reduce-scatters
    # (ready when their GEMM is done); the GPU runs each GEMM as soon as its all-gather ends
    gemm_end = np.zeros(r)
    rs_end = np.zeros(r)
    t = 0.0
    gpu = 0.0
    a = 0
    b = 0
    start_a = 0.0
    while b < r:
        take_ag = False
        if a < r:
            start_a = (a + 1) * c0
            if start_a < t:
                start_a = t
            if b < a:
                start_b = gemm_end[b] if gemm_end[b] > t else t
                take_ag = start_a <= start_b
            else:
                take_ag = True
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
    c0, c1, c2, c3, c4 = (float(x) for x in c)
    return float(layer_bound_kernel(c0, c1, c2, c3, c4, int(r), int(ar_chunks), float(ar_cost)))


@kernel
def layer_bound_kernel(
    c0: float, c1: float, c2: float, c3: float, c4: float, r: int, ar_chunks: int, ar_cost: float
) -> float:  # pragma: no cover - compiled by numba
    """``layer_bound`` compiled."""
    nic = r * (c0 + c4) + ar_chunks * ar_cost
    return max(nic, r * (c1 + c3), r * c2, c0 + c1 + c2 + c3 + c4)


@kernel
def layer_time_kernel(
    alpha: np.ndarray, beta: np.ndarray, work: np.ndarray, r: int, gamma: float, launched: float
) -> tuple[float, float]:  # pragma: no cover - compiled by numba
    """(time, NIC busy time) in ms of one layer at degree r (``alpha``, ``beta``: the pass's
    profile) launching ``launched`` gradient elements in r all-reduce chunks in its NIC gaps
    (none when 0, as every forward layer)."""
    c0, c1, c2, c3, c4 = stage_costs_kernel(alpha, beta, work, r, gamma)
    busy = r * (c0 + c4)
    if launched > 0:
        chunk = alpha[4] + beta[4] * launched / r
        return schedule_kernel(c0, c1, c2, c3, c4, r, r, chunk), busy + r * chunk
    return schedule_kernel(c0, c1, c2, c3, c4, r, 0, 0.0), busy


@kernel
def iteration_bound_kernel(
    alpha_f: np.ndarray,
    beta_f: np.ndarray,
    alpha_b: np.ndarray,
    beta_b: np.ndarray,
    gamma: float,
    works: np.ndarray,
    grad: float,
    degrees: np.ndarray,
) -> float:  # pragma: no cover - compiled by numba
    """``OverlapModel.iteration_bound`` compiled: per layer and pass, the least layer bound
    and NIC busy time over the degree menu ``degrees``, summed in layer order."""
    forward = 0.0
    tail = 0.0
    nic = 0.0
    for layer in range(works.shape[0]):
        work = works[layer]
        for backward in range(2):
            alpha = alpha_b if backward else alpha_f
            beta = beta_b if backward else beta_f
            best = np.inf
            least = np.inf
            for q in range(degrees.shape[0]):
                r = degrees[q]
                c0, c1, c2, c3, c4 = stage_costs_kernel(alpha, beta, work, r, gamma)
                best = min(best, layer_bound_kernel(c0, c1, c2, c3, c4, r, 0, 0.0))
                least = min(least, r * (c0 + c4))
            if backward:
                tail += best
                nic += least
            else:
                forward += best
    grads = grad * works.shape[0]
    tail += alpha_b[4] + beta_b[4] * grad if grad > 0 else 0.0
    nic += alpha_b[4] + beta_b[4] * grads if grads > 0 else 0.0
    return forward + max(tail, nic)


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
    "iteration_bound_kernel",
    "layer_bound",
    "layer_bound_kernel",
    "layer_time_kernel",
    "schedule",
    "schedule_kernel",
    "stage_costs",
    "stage_costs_kernel",
    "workloads",
]
