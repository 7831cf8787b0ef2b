"""Argument checks and the float-or-array convention of the physics functions.

Every check returns its argument as a float array or raises ``ValueError`` naming the argument
and the bad value (a probability outside (0, 1], a negative distance, a fidelity below 1/4, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

ArrayLike = Any
"""a float or anything ``np.asarray`` turns into a float array"""


def finite_array(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is finite."""
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return array


def scalar_or_array(array: np.ndarray) -> Any:
    """A 0-d result as a Python float, anything else as the array."""
    return float(array) if array.ndim == 0 else array


def check_probability(name: str, value: ArrayLike, *, allow_zero: bool = False) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is in (0, 1] ([0, 1])."""
    array = finite_array(name, value)
    low_ok = array >= 0.0 if allow_zero else array > 0.0
    if not np.all(low_ok & (array <= 1.0)):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be a probability in {interval}, got {value!r}")
    return array


def check_nonnegative(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is finite and >= 0."""
    array = finite_array(name, value)
    if not np.all(array >= 0.0):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return array


def check_fidelity(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float array; ``ValueError`` unless every entry is in [1/4, 1]."""
    array = finite_array(name, value)
    if not np.all((array >= 0.25 - 1e-12) & (array <= 1.0 + 1e-12)):
        raise ValueError(f"{name} must be a fidelity in [1/4, 1], got {value!r}")
    return np.clip(array, 0.25, 1.0)


def check_bds(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a BDS array (last axis 4); ``ValueError`` unless the weights are in [0, 1]
    and sum to 1 (within 1e-9) with ``F = bds[..., 0] >= 1/4``."""
    array = finite_array(name, value)
    if array.shape[-1:] != (4,):
        raise ValueError(f"{name} must have a last axis of 4 Bell weights, got {array.shape}")
    if not np.all((array >= -1e-12) & (array <= 1.0 + 1e-12)):
        raise ValueError(f"{name} Bell weights must be in [0, 1], got {value!r}")
    if not np.allclose(array.sum(axis=-1), 1.0, atol=1e-9):
        raise ValueError(f"{name} Bell weights must sum to 1, got sums {array.sum(axis=-1)!r}")
    if not np.all(array[..., 0] >= 0.25 - 1e-12):
        raise ValueError(f"{name} fidelity (first Bell weight) must be >= 1/4, got {value!r}")
    return array


def check_meas_fid(value: ArrayLike) -> np.ndarray:
    """Bell-measurement bit fidelity as a float array; ``ValueError`` unless in [1/2, 1] (below
    1/2 the swap's Werner factor (4 eta^2 - 1) / 3 turns negative and F falls below 1/4)."""
    array = finite_array("meas_fid", value)
    if not np.all((array >= 0.5) & (array <= 1.0)):
        raise ValueError(f"meas_fid must be in [0.5, 1], got {value!r}")
    return array


__all__ = [
    "ArrayLike",
    "check_bds",
    "check_fidelity",
    "check_meas_fid",
    "check_nonnegative",
    "check_probability",
]
