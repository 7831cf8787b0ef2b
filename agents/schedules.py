"""Learning-rate schedules as functions of training progress ``p`` in [0, 1].

``rex`` is the reflected exponential schedule of Chen et al., "REX: Revisiting Budgeted
Training with an Improved Schedule" (MLSys 2022): ``lr(p) = lr0 * (1 - p) / (0.5 + 0.5 (1 - p))``.
"""

from __future__ import annotations

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
