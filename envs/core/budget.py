"""A memory budget checked before allocating, so that a configuration too large for the machine
fails at once with an error that names its size, not later inside numpy or the OS killer.

Every env estimates the bytes its configuration will hold (its tables and per-env state, times
``num_envs`` for a vector env) and calls ``check_memory`` before it allocates them. The budget
is ``DEFAULT_BUDGET_BYTES`` (4 GiB) unless ``NETGYM_MEMORY_BUDGET`` says otherwise, in bytes or
with a unit (``16GB``, ``512MiB``); ``NETGYM_MEMORY_BUDGET=0`` switches the check off.
"""

from __future__ import annotations

import os
import re

DEFAULT_BUDGET_BYTES = 4 * 2**30
"""the budget when ``NETGYM_MEMORY_BUDGET`` is not set: 4 GiB"""
BUDGET_VARIABLE = "NETGYM_MEMORY_BUDGET"

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_bytes(text: str) -> int:
    """``"16GB"`` -> 16e9, ``"512MiB"`` -> 2**29, ``"1000"`` -> 1000.

    Raises:
        ValueError: not a non-negative number with an optional unit.
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(
            f"{BUDGET_VARIABLE} must be a number of bytes, optionally with a unit "
            f"(e.g. 16GB, 512MiB), got {text!r}"
        )
    return int(float(match.group(1)) * _UNITS[unit])


def memory_budget() -> int | None:
    """The budget in bytes (None: no check), from ``NETGYM_MEMORY_BUDGET`` or the default."""
    text = os.environ.get(BUDGET_VARIABLE)
    if text is None or not text.strip():
        return DEFAULT_BUDGET_BYTES
    value = parse_bytes(text)
    return value or None


def format_bytes(n: float) -> str:
    """``3.2 GiB``, ``640 MiB``, ``12 KiB``; ``3.5e+12 TiB`` and ``inf TiB`` beyond 1000 TiB."""
    if n >= 1000 * 2**40:
        return f"{n / 2**40:.3g} TiB"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def format_count(n: float) -> str:
    """A count for a message: ``321``, ``1000000001``; ``3.2e+17`` and ``inf`` when huge."""
    if isinstance(n, int) and abs(n) < 10**12:
        return str(n)
    if isinstance(n, float) and n.is_integer() and abs(n) < 1e12:
        return str(int(n))
    return f"{float(n):.3g}" if abs(n) < 1e308 else "inf"


def check_memory(owner: str, estimate_bytes: float, detail: str) -> None:
    """Raise ``ValueError`` when ``estimate_bytes`` exceeds the budget.

    Args:
        owner: what is being built (``"AbrStreamingVectorEnv"``).
        estimate_bytes: the bytes the configuration will hold.
        detail: the parameters that drive the estimate (``"num_envs=10000000, history_len=8"``).
    """
    budget = memory_budget()
    if budget is None or estimate_bytes <= budget:
        return
    raise ValueError(
        f"{owner}: this configuration needs about {format_bytes(estimate_bytes)} ({detail}), "
        f"over the memory budget of {format_bytes(budget)}; make it smaller, or raise the budget "
        f"with {BUDGET_VARIABLE}=<bytes, e.g. 64GB> (0 switches the check off)"
    )


__all__ = [
    "BUDGET_VARIABLE",
    "DEFAULT_BUDGET_BYTES",
    "check_memory",
    "format_bytes",
    "format_count",
    "memory_budget",
    "parse_bytes",
]
