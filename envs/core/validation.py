"""Parameter validation that produces errors a user can act on.

Every check raises ``ValueError`` naming the field, the bad value and what is allowed, e.g.
``ValueError("AbrParams.rtt_s must be >= 0, got -1.0")``.

A number is a Python ``int`` or ``float``, a numpy scalar or 0-d array, or any other object
with ``__float__`` (``Fraction``, ``Decimal``); ``bool`` is not a number. Finiteness is checked
before anything converts the value (NaN and infinity are never "not an integer"), and Python
ints are compared exactly, so an int too large for a float (``10**400``) fails its bound with a
readable message instead of an ``OverflowError``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

MAX_INT64 = 2**63 - 1
"""the bound of an integer that sizes an array or is stored in one (numpy's int64)"""
SHOWN_CHARS = 60
"""values whose repr is longer are shortened in error messages"""


def shown(value: Any) -> str:
    """``repr(value)``, shortened for error messages (a 400-digit int, a long list)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        text = str(int(value))
        if len(text) > SHOWN_CHARS:
            return f"an integer of {len(text.lstrip('-'))} digits ({text[:12]}...)"
        return text
    text = repr(value)
    if len(text) > SHOWN_CHARS:
        return f"{text[: SHOWN_CHARS - 20]}... ({type(value).__name__}, {len(text)} chars)"
    return text


def _describe(value: Any) -> str:
    """What a value that is not a single number is, for the error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} {shown(value)}"
    return shown(value)


def as_number(name: str, value: Any) -> int | float:
    """``value`` as a Python int (integers of any size, exactly) or float (anything else).

    Raises:
        ValueError: ``value`` is not a single number (a bool, a string, a list, an array of more
            than one element, an object without ``__float__``), or converting it overflows.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (np.ndarray, list, tuple, str, bytes)) or not hasattr(value, "__float__"):
        raise ValueError(f"{name} must be a number, got {_describe(value)}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {_describe(value)}") from None
    except OverflowError:
        raise ValueError(f"{name} must be a finite number, got {shown(value)}") from None


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
    """Raise ``ValueError`` unless ``value`` is a finite number inside the given bounds (and
    a whole number when ``integer``)."""
    name = f"{owner}.{field}"
    number = as_number(name, value)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {shown(value)}")
    if integer and isinstance(number, float) and not number.is_integer():
        raise ValueError(f"{name} must be an integer, got {shown(value)}")
    if low is not None:
        if low_inclusive and number < low:
            raise ValueError(f"{name} must be >= {low}, got {shown(value)}")
        if not low_inclusive and number <= low:
            raise ValueError(f"{name} must be > {low}, got {shown(value)}")
    if high is not None:
        if high_inclusive and number > high:
            raise ValueError(f"{name} must be <= {high}, got {shown(value)}")
        if not high_inclusive and number >= high:
            raise ValueError(f"{name} must be < {high}, got {shown(value)}")


def check_int(obj: Any, owner: str, field: str, **bounds: Any) -> None:
    """Check the integer field ``field`` of the frozen dataclass ``obj`` (a whole-number float
    such as 8.0 is accepted) and store it as an int; ``bounds`` as in ``check_range``."""
    value = getattr(obj, field)
    check_range(owner, field, value, integer=True, **bounds)
    set_field(obj, field, int(as_number(f"{owner}.{field}", value)))


def set_field(obj: Any, field: str, value: Any) -> None:
    """Store a normalised value in a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, field, value)


def check_choice(owner: str, field: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    allowed = list(choices)
    try:  # an array is never a choice (its == is elementwise)
        known = not isinstance(value, np.ndarray) and value in allowed
    except (TypeError, ValueError):
        known = False
    if not known:
        raise ValueError(f"{owner}.{field} must be one of {allowed}, got {_describe(value)}")


def check_sequence(
    owner: str, field: str, value: Any, *, min_len: int = 1, length: int | None = None
) -> Sequence[Any]:
    """Raise ``ValueError`` unless ``value`` is a list or tuple of the right length."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{owner}.{field} must be a list or tuple, got {_describe(value)}")
    if length is not None and len(value) != length:
        raise ValueError(f"{owner}.{field} must have {length} entries, got {len(value)}")
    if len(value) < min_len:
        raise ValueError(f"{owner}.{field} must have at least {min_len} entries, got {len(value)}")
    return value


def check_numbers(
    owner: str,
    field: str,
    value: Any,
    *,
    min_len: int = 1,
    length: int | None = None,
    **bounds: Any,
) -> tuple[float, ...]:
    """A list or tuple of finite numbers inside ``bounds`` (as in ``check_range``), as a tuple
    of floats; an entry that is not a number is named by its index (``ladder_kbps[2]``)."""
    entries = check_sequence(owner, field, value, min_len=min_len, length=length)
    for index, entry in enumerate(entries):
        check_range(owner, f"{field}[{index}]", entry, **bounds)
    return tuple(float(as_number(f"{owner}.{field}[{i}]", e)) for i, e in enumerate(entries))


__all__ = [
    "MAX_INT64",
    "as_number",
    "check_choice",
    "check_int",
    "check_numbers",
    "check_range",
    "check_sequence",
    "set_field",
    "shown",
]
