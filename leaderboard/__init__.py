"""Evaluation, protocols, leaderboards, reports, submissions and the ``netgym`` command line."""

from . import families, families_quantum_moe  # noqa: F401  (register the protocols)
from .evaluate import EvaluationResult, evaluate
from .protocols import (
    PROTOCOLS,
    Anchors,
    LeaderboardRow,
    Protocol,
    default_protocols,
    get_protocol,
    register_protocol,
    run_protocol,
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
