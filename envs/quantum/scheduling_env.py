"""Moved to ``scheduling.env``; this re-export keeps the old import path for one release."""

from .scheduling.env import (
    BACKLOG_CAP,
    DEMAND_FEATURES,
    EDGE_FEATURES,
    NODE_FEATURES,
    QuantumNetworkSchedulingEnv,
)

__all__ = [
    "BACKLOG_CAP",
    "DEMAND_FEATURES",
    "EDGE_FEATURES",
    "NODE_FEATURES",
    "QuantumNetworkSchedulingEnv",
]
