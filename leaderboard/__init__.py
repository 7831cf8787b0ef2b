"""Evaluation protocols, leaderboard runs, reports and submissions.

Importing it registers the protocols of every env family (``netgym.envs.FAMILIES``).
"""

from .evaluate import EvaluationResult, evaluate
from .inprocess import LeaderboardRow, run_protocol
from .protocols import (
    PROTOCOLS,
    Anchors,
    Protocol,
    default_protocols,
    get_protocol,
    load_family_protocols,
    register_protocol,
)

load_family_protocols()

__all__ = [
    "PROTOCOLS",
    "Anchors",
    "EvaluationResult",
    "LeaderboardRow",
    "Protocol",
    "default_protocols",
    "evaluate",
    "get_protocol",
    "register_protocol",
    "run_protocol",
]
