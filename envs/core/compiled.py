"""Compiled kernels: numba's ``njit`` with an on-disk cache, and a registry of what is compiled.

Issue #21 allows a compiled kernel where numpy cannot vectorise a loop well (association rounds,
event loops, per-row top-k): through numba, with ``cache=True``, as that kernel's *only*
implementation (no numpy twin to drift apart), covered by the same trajectory-equality tests.
Every such kernel is declared with :func:`kernel`, so that the benchmarks can list them and time
their compilation (``benchmarks/vector.py``'s ``compiled_kernels``), and ``docs/performance.md``
says which kernels are compiled and why.

Rules for a kernel, so that trajectories stay bit-identical to the numpy code it replaces:

- no ``fastmath`` (it reorders floating-point operations);
- sums in the order the numpy code used: numpy's ``sum`` over more than 8 contiguous values is
  pairwise, a loop is sequential, so a kernel that replaces ``np.sum`` either keeps the sum in
  numpy or proves equality on the env's tests;
- random numbers are drawn by the caller from the env's own ``numpy.random.Generator`` and passed
  in as arrays (numba's generators do not share numpy's streams).

numba keys its cache on the kernel's own source file: after editing a constant or a kernel in
another module that a cached kernel reads or calls, a development checkout must drop the stale
cache (``find . -name '*.nbi' -delete``, or ``NUMBA_CACHE_DIR`` on a new folder); fresh clones,
CI and installs compile afresh. Where no cache folder is writable (a read-only package and home),
kernels compile in every process instead, with one warning.

numba is imported when the first kernel is declared, so ``import netgym`` stays cheap: a family
module that declares kernels is imported only when its env is made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

KERNELS: dict[str, Any] = {}
"""every declared kernel (numba dispatcher) by ``module.qualname``"""
_WARNED_NO_CACHE: list[bool] = []
"""one warning per process when numba finds no writable cache folder"""


def kernel(function: Callable[..., Any]) -> Any:
    """Compile ``function`` with numba (``nopython``, ``cache=True``) and register it.

    Use as a decorator on a module-level function whose arguments are numpy arrays and scalars.
    The dispatcher compiles on the first call for each argument-type signature and caches the
    machine code beside the module (or in numba's user-wide cache when the package folder is
    read-only; ``NUMBA_CACHE_DIR`` overrides both).
    """
    try:
        import numba
    except ImportError as error:  # a broken install: numba is a core dependency
        raise ImportError(
            f"netgym's compiled kernel {function.__module__}.{function.__qualname__} needs numba, "
            "a core dependency of netgym: reinstall netgym (`pip install -e .`) or "
            "`pip install numba`."
        ) from error
    try:
        dispatcher = numba.njit(cache=True, nogil=True)(function)
    except RuntimeError as error:  # numba finds no writable cache folder ("no locator")
        if "cannot cache" not in str(error):
            raise
        if not _WARNED_NO_CACHE:
            _WARNED_NO_CACHE.append(True)
            logger.warning(
                "numba cannot cache netgym's compiled kernels (%s): they compile in every "
                "process; set NUMBA_CACHE_DIR to a writable folder to keep them",
                error,
            )
        dispatcher = numba.njit(cache=False, nogil=True)(function)
    KERNELS[f"{function.__module__}.{function.__qualname__}"] = dispatcher
    return dispatcher


def kernel_report() -> dict[str, dict[str, Any]]:
    """For every declared kernel: its compiled signatures and its on-disk cache hits and misses."""
    report: dict[str, dict[str, Any]] = {}
    for name, dispatcher in sorted(KERNELS.items()):
        stats = getattr(dispatcher, "stats", None)
        if stats is None:  # NUMBA_DISABLE_JIT=1: the plain Python function, nothing compiled
            report[name] = {"signatures": [], "cache_hits": 0, "cache_misses": 0}
            continue
        report[name] = {
            "signatures": [str(signature) for signature in dispatcher.signatures],
            "cache_hits": int(sum(stats.cache_hits.values())),
            "cache_misses": int(sum(stats.cache_misses.values())),
        }
    return report


def time_first_call(call: Callable[[], Any]) -> dict[str, float]:
    """Seconds of ``call()`` run twice: the first pays compilation or a cache load, the second not.

    ``benchmarks/`` run it in a fresh process with ``NUMBA_CACHE_DIR`` on an empty folder to
    report compile time, and again on the warm cache to report the load time users see.
    """
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    start = time.perf_counter()
    call()
    second = time.perf_counter() - start
    return {"first_s": first, "second_s": second}
