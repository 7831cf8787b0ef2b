"""Feature tables of the expert-cache sim: each feature of an integer distance, age or elapsed
count, computed once for ``0 .. size - 1`` so that the hot loop reads instead of computing.

Tables of up to ``SHARED_TABLE_SIZE`` entries are shared by every sim of the process; longer
streams get their own, freed with their sim (a shared table of a 10-million-access stream would
hold about a gigabyte for the rest of the process).
"""

from __future__ import annotations

import functools
import math

SHARED_TABLE_SIZE = 1 << 16
"""feature tables up to this size are computed once per process and shared; larger ones (long
streams) belong to their sim alone, so that they are freed with it"""


def lookup_table(kind: str, parameter: float, size: int) -> tuple[float, ...]:
    """Feature values for integer arguments ``0 .. size - 1`` (``_compute_lookup``), shared
    between sims up to ``SHARED_TABLE_SIZE`` entries."""
    if size <= SHARED_TABLE_SIZE:
        return _shared_lookup(kind, parameter, size)
    return _compute_lookup(kind, parameter, size)


@functools.lru_cache(maxsize=64)
def _shared_lookup(kind: str, parameter: float, size: int) -> tuple[float, ...]:
    return _compute_lookup(kind, parameter, size)


def _compute_lookup(kind: str, parameter: float, size: int) -> tuple[float, ...]:
    """Feature values for integer arguments ``0 .. size - 1``.

    ``'near'``: ``1 - exp(-d / W)`` with ``parameter = -1 / W``; ``'age'``:
    ``log1p(a) / (1 + log1p(a))``; ``'decay'``: ``parameter ** e``. Scalar ``math`` (not numpy)
    so that every value equals the one the per-key formula gives, bit for bit.
    """
    if kind == "near":
        return tuple(-math.expm1(d * parameter) for d in range(size))
    if kind == "age":
        return tuple(x / (1.0 + x) for x in map(math.log1p, range(size)))
    return tuple(parameter**e for e in range(size))


def table_size(n_accesses: int) -> int:
    """A power of two above ``n_accesses + 1``: tables are shared by streams of similar length."""
    return 1 << (n_accesses + 2).bit_length()


__all__ = ["SHARED_TABLE_SIZE", "lookup_table", "table_size"]
