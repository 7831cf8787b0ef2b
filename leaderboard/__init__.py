"""Evaluation, protocols and the ``netgym`` command line."""

from .evaluate import EvaluationResult, evaluate
from .protocols import (
    PROTOCOLS,
    LeaderboardRow,
    Protocol,
    get_protocol,
    register_protocol,
    run_protocol,
)

__all__ = [
    "PROTOCOLS",
    "EvaluationResult",
    "LeaderboardRow",
    "Protocol",
    "evaluate",
    "get_protocol",
    "register_protocol",
    "run_protocol",
]
