"""Compiled helpers shared by the distributed-training envs' kernels (numba,
``envs/core/compiled.py``): ``pairwise_sum``, numpy's summation order in a loop, so that a
kernel that replaces ``numpy.sum`` keeps its results bit for bit."""

from __future__ import annotations

import numpy as np

from ..core.compiled import kernel


@kernel
def pairwise_sum(values: np.ndarray, n: int) -> float:
    """``values[:n].sum()`` in numpy's order for a contiguous float64 array: blocks of up to
    128 values in 8 interleaved partial sums, longer runs halved at a multiple of 8."""
    if n < 8:
        total = 0.0
        for i in range(n):
            total += values[i]
        return total
    if n <= 128:
        r0, r1, r2, r3 = values[0], values[1], values[2], values[3]
        r4, r5, r6, r7 = values[4], values[5], values[6], values[7]
        i = 8
        while i < n - n % 8:
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            total += values[i]
            i += 1
        return total + 0.0  # numpy adds the sum to its identity 0.0: -0.0 becomes +0.0
    half = n // 2
    half -= half % 8
    return pairwise_sum(values, half) + pairwise_sum(values[half:], n - half) + 0.0


__all__ = ["pairwise_sum"]
