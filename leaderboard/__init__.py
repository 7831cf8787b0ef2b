"""Evaluation, protocols, leaderboards, reports, submissions and the ``netgym`` command line."""

from . import families, families_quantum_moe  # noqa: F401  (register the protocols)
from .evaluate import EvaluationResult, evaluate
from .inprocess import LeaderboardRow, run_protocol
from .protocols import (
    PROTOCOLS,
    Anchors,
    Protocol,
    default_protocols,
    get_protocol,
    register_protocol,
)

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
