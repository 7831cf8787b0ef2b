"""The hyperparameters of the tabular agents (SARSA, Q-learning) and their validation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

EPSILON_DECAYS = ("linear", "exponential")


@dataclass(frozen=True)
class TabularConfig:
    """Hyperparameters of SARSA and Q-learning (the YAML files in ``agents/config`` hold the same
    defaults)."""

    learning_rate: float = 0.1
    """alpha, the TD step size in (0, 1]; its value at progress 0 of ``context.lr_schedule``"""
    gamma: float = 0.9
    """discount factor in [0, 1]"""
    epsilon_start: float = 1.0
    """exploration probability at step 0, in [0, 1]"""
    epsilon_end: float = 0.01
    """exploration probability after ``epsilon_decay_steps`` env steps, <= epsilon_start"""
    epsilon_decay_steps: int = 10_000
    """env steps (all sub-envs together) over which epsilon decays"""
    epsilon_decay: str = "linear"
    """'linear' or 'exponential' (geometric from start to end; needs epsilon_end > 0)"""
    bins: int | tuple[int, ...] = 10
    """Box observations: bins per feature, one int for all or one per feature"""
    low: float | tuple[float | None, ...] | None = None
    """Box observations: lower clipping bound, one for all features or one per feature
    (None = the observation space's bound)"""
    high: float | tuple[float | None, ...] | None = None
    """Box observations: upper clipping bound, as ``low``"""
    features: tuple[int, ...] | None = None
    """Box observations: flat indices of the observation entries to discretise (None = all)"""
    shared_table: bool = False
    """PettingZoo envs: one table for all agents instead of one per agent"""
    initial_q: float = 0.0
    """initial value of every table cell (optimistic values encourage exploration)"""

    def __post_init__(self) -> None:
        check_number("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True)
        check_number("gamma", self.gamma, 0.0, 1.0)
        check_number("epsilon_start", self.epsilon_start, 0.0, 1.0)
        check_number("epsilon_end", self.epsilon_end, 0.0, self.epsilon_start)
        check_integer("epsilon_decay_steps", self.epsilon_decay_steps, 1)
        if self.epsilon_decay not in EPSILON_DECAYS:
            raise ValueError(
                f"epsilon_decay must be one of {list(EPSILON_DECAYS)}, got {self.epsilon_decay!r}"
            )
        if self.epsilon_decay == "exponential" and self.epsilon_end <= 0:
            raise ValueError(
                f"epsilon_end must be > 0 with epsilon_decay 'exponential', got {self.epsilon_end}"
            )
        for index, count in enumerate(as_tuple(self.bins)):
            check_integer("bins" if is_scalar(self.bins) else f"bins[{index}]", count, 1)
        for key in ("low", "high"):
            for index, bound in enumerate(as_tuple(getattr(self, key))):
                if bound is not None:
                    check_number(key if is_scalar(getattr(self, key)) else f"{key}[{index}]", bound)
        if self.features is not None:
            if is_scalar(self.features):
                raise ValueError(f"features must be a list of flat indices, got {self.features!r}")
            if len(self.features) == 0:
                raise ValueError("features must list at least one flat index, got []")
            for index, feature in enumerate(self.features):
                check_integer(f"features[{index}]", feature, 0)
            if len(set(self.features)) != len(self.features):
                raise ValueError(f"features must not repeat an index, got {list(self.features)}")
        if not isinstance(self.shared_table, bool):
            raise ValueError(f"shared_table must be true or false, got {self.shared_table!r}")
        check_number("initial_q", self.initial_q)

    def epsilon_at(self, steps_done: int) -> float:
        """Exploration probability after ``steps_done`` env steps: from ``epsilon_start`` to
        ``epsilon_end`` in ``epsilon_decay_steps``, linearly or geometrically, then constant."""
        fraction = min(steps_done / self.epsilon_decay_steps, 1.0)
        if self.epsilon_decay == "linear":
            return self.epsilon_start + (self.epsilon_end - self.epsilon_start) * fraction
        return self.epsilon_start * (self.epsilon_end / self.epsilon_start) ** fraction

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> TabularConfig:
        """Validated config from a plain dict (YAML / JSON); lists become tuples.

        Raises:
            ValueError: an unknown key or a value out of range (the message names both).
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown tabular hyperparameter(s) {unknown}; known: {sorted(known)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (tuples become lists) that ``from_dict`` reads back."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def is_scalar(value: Any) -> bool:
    return not isinstance(value, (tuple, list))


def as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def check_number(
    key: str,
    value: Any,
    lowest: float = -math.inf,
    highest: float = math.inf,
    low_open: bool = False,
) -> None:
    """Raise a ValueError naming ``key`` unless ``value`` is a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{key} must be finite, got {value}")
    below = value <= lowest if low_open else value < lowest
    if below or value > highest:
        left = "(" if low_open else "["
        raise ValueError(f"{key} must be in {left}{lowest}, {highest}], got {value}")


def check_integer(key: str, value: Any, lowest: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    if value < lowest:
        raise ValueError(f"{key} must be >= {lowest}, got {value}")


__all__ = ["EPSILON_DECAYS", "TabularConfig"]
