"""What every benchmark script shares: one pinned core, a timed loop, the machine's fingerprint.

Import it first, before numpy (``from _harness import PINNED_CPU, log, machine, rate``): it sets
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` to 1 so that BLAS pools
start single-threaded, and pins the process to the first CPU it may use, so every figure is a
single-core figure. Scripts run as ``python benchmarks/<name>.py``, which puts this folder on
``sys.path``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
PINNED_CPU: int | None = None
"""the CPU this process is pinned to (None where the OS has no affinity call)"""
if hasattr(os, "sched_setaffinity"):
    PINNED_CPU = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {PINNED_CPU})

import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON result)."""
    print(message, file=sys.stderr, flush=True)


def rate(block: Callable[[], int], seconds: float) -> dict[str, float]:
    """Call ``block`` (a fixed chunk of work returning its unit count) until ``seconds`` pass.

    A warm-up of ``max(0.05, seconds / 10)`` s runs first and is not counted. Returns
    ``per_s`` (units per wall second), ``units``, ``elapsed_s`` and ``cpu_per_s`` (units per
    second of this process's CPU time, less sensitive to other processes on the machine).
    """
    warm_end = time.perf_counter() + max(0.05, seconds / 10)
    while time.perf_counter() < warm_end:
        block()
    units = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while True:
        units += block()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            cpu_s = max(time.process_time() - cpu_start, 1e-9)
            return {
                "per_s": units / elapsed,
                "units": units,
                "elapsed_s": elapsed,
                "cpu_per_s": units / cpu_s,
            }


def machine(**versions: str) -> dict[str, Any]:
    """Python and numpy versions, CPU count, the pinned CPU, platform and processor, plus the
    given package versions (e.g. ``gymnasium=gym.__version__``)."""
    import numpy as np

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        **versions,
        "cpu_count": os.cpu_count(),
        "pinned_cpu": PINNED_CPU,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


__all__ = ["PINNED_CPU", "log", "machine", "rate"]
