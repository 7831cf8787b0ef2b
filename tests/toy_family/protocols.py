"""The toy family's leaderboard protocol (what ``leaderboard/protocols_<family>.py`` holds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netgym.leaderboard.protocols import Anchors, define_protocol


def walk(data_dir: Path | None) -> dict[str, Any]:
    """The default line with a little slip."""
    return {"slip": 0.1}


define_protocol(
    "toy-walk",
    "netgym/ToyWalk-v0",
    walk,
    Anchors(reference="right"),
    seeds=2,
    episodes=3,
    quick=(1, 2),
    description="toy walker, 2 seeds x 3 episodes; score = mean reward per step",
)
