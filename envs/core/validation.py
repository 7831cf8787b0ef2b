"""Parameter validation that produces errors a user can act on.

Every check raises ``ValueError`` naming the field, the bad value and what is allowed, e.g.
``ValueError("AbrParams.rtt_s must be >= 0, got -1.0")``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def check_range(
    owner: str,
    field: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number inside the given bounds."""
    name = f"{owner}.{field}"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not hasattr(value, "__float__")
    ):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if integer and int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None:
        if low_inclusive and number < low:
            raise ValueError(f"{name} must be >= {low}, got {value!r}")
        if not low_inclusive and number <= low:
            raise ValueError(f"{name} must be > {low}, got {value!r}")
    if high is not None:
        if high_inclusive and number > high:
            raise ValueError(f"{name} must be <= {high}, got {value!r}")
        if not high_inclusive and number >= high:
            raise ValueError(f"{name} must be < {high}, got {value!r}")


def check_int(obj: Any, owner: str, field: str, **bounds: Any) -> None:
    """Check the integer field ``field`` of the frozen dataclass ``obj`` (a whole-number float
    such as 8.0 is accepted) and store it as an int; ``bounds`` as in ``check_range``."""
    value = getattr(obj, field)
    check_range(owner, field, value, integer=True, **bounds)
    set_field(obj, field, int(value))


def set_field(obj: Any, field: str, value: Any) -> None:
    """Store a normalised value in a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, field, value)


def check_choice(owner: str, field: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    allowed = list(choices)
    if value not in allowed:
        raise ValueError(f"{owner}.{field} must be one of {allowed}, got {value!r}")


def check_sequence(
    owner: str, field: str, value: Any, *, min_len: int = 1, length: int | None = None
) -> Sequence[Any]:
    """Raise ``ValueError`` unless ``value`` is a list or tuple of the right length."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{owner}.{field} must be a list or tuple, got {value!r}")
    if length is not None and len(value) != length:
        raise ValueError(f"{owner}.{field} must have {length} entries, got {len(value)}")
    if len(value) < min_len:
        raise ValueError(f"{owner}.{field} must have at least {min_len} entries, got {len(value)}")
    return value
