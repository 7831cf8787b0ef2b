"""``WalkParams``: the toy env's parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from netgym.envs.core.params import EnvParams
from netgym.envs.core.validation import check_int, check_range


@dataclass(frozen=True)
class WalkParams(EnvParams):
    """Parameters of ``netgym/ToyWalk-v0``."""

    ENV_NAME: ClassVar[str] = "ToyWalk"
    PRESETS: ClassVar[dict[str, str | None]] = {"default": None, "short": "short"}

    length: int = 10
    """cells of the line; the goal is the last one"""
    slip: float = 0.1
    """probability that a move goes the other way"""
    max_steps: int = 50
    """truncation"""

    def __post_init__(self) -> None:
        check_int(self, "WalkParams", "length", low=2)
        check_range("WalkParams", "slip", self.slip, low=0.0, high=1.0)
        check_int(self, "WalkParams", "max_steps", low=1)

    @classmethod
    def short(cls, **changes: object) -> WalkParams:
        """A 4-cell line."""
        return cls(**{"length": 4, **changes})
