"""Learning-rate schedules as functions of training progress ``p`` in [0, 1], and the
rl-baselines3-zoo schedule strings (``lin_3e-4``, ``constant_0.2``) that configs may use.

``rex`` is the reflected exponential schedule of Chen et al., "REX: Revisiting Budgeted
Training with an Improved Schedule" (MLSys 2022): ``lr(p) = lr0 * (1 - p) / (0.5 + 0.5 (1 - p))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

SCHEDULES = ("constant", "linear", "rex")


def make_schedule(name: str, initial: float) -> Callable[[float], float]:
    """``schedule(progress) -> learning rate`` for ``progress`` in [0, 1] (clipped)."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown lr schedule {name!r}; known: {list(SCHEDULES)}")
    if not initial > 0:
        raise ValueError(f"the initial learning rate must be > 0, got {initial}")

    def schedule(progress: float) -> float:
        remaining = 1.0 - min(max(progress, 0.0), 1.0)
        if name == "constant":
            return initial
        if name == "linear":
            return initial * remaining
        return initial * remaining / (0.5 + 0.5 * remaining)

    return schedule


# ------------------------------------------------------------------ rl-baselines3-zoo idioms
ZOO_SCHEDULES = {"lin": "linear", "constant": "constant"}
"""rl-baselines3-zoo's schedule prefixes (``lin_3e-4``, ``constant_0.2``) -> netgym's names"""
ZOO_SCHEDULED_KEYS = ("clip_range", "clip_range_vf")
"""SB3 hyperparameters besides ``learning_rate`` that take a zoo schedule (PPO's clip ranges)"""


def parse_zoo_schedule(value: object, key: str = "value") -> tuple[str, float] | None:
    """``'lin_3e-4'`` -> ``('linear', 0.0003)``, ``'constant_0.2'`` -> ``('constant', 0.2)``;
    None for anything else (a plain number, another string).

    Raises:
        ValueError: a zoo prefix followed by something that is not a finite number >= 0.
    """
    if not isinstance(value, str):
        return None
    prefix, sep, number = value.partition("_")
    if not sep or prefix not in ZOO_SCHEDULES:
        return None
    try:
        initial = float(number)
    except ValueError:
        initial = math.nan
    if not (math.isfinite(initial) and initial >= 0):
        raise ValueError(
            f"{key} {value!r}: a {prefix}_ schedule takes a finite number >= 0 after "
            f"'{prefix}_' (e.g. {prefix}_3e-4)"
        )
    return ZOO_SCHEDULES[prefix], initial


class LinearFromStart:
    """SB3's linear schedule: ``initial`` at the start, falling to 0 at the end of the run
    (SB3 calls it with ``progress_remaining``, 1 -> 0); a class, so saved models pickle it by
    reference."""

    def __init__(self, initial: float) -> None:
        self.initial = float(initial)

    def __call__(self, progress_remaining: float) -> float:
        return float(progress_remaining) * self.initial

    def __repr__(self) -> str:
        return f"lin_{self.initial:g}"


def sb3_schedule(value: object, key: str) -> object:
    """``value`` for SB3: a zoo schedule string as a constant or ``LinearFromStart``; any
    other value unchanged."""
    parsed = parse_zoo_schedule(value, key)
    if parsed is None:
        return value
    kind, initial = parsed
    return initial if kind == "constant" else LinearFromStart(initial)
