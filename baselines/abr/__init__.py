"""ABR baselines: BBA, rate-based, BOLA, robustMPC (full and max_jump=1), random, fixed, and
the offline oracle (see ``oracle.py``)."""

from .heuristics import BBA, BOLA, FixedQuality, RandomPolicy, RateBased
from .mpc import RobustMPC
from .oracle import OfflineOptimal

__all__ = [
    "BBA",
    "BOLA",
    "FixedQuality",
    "OfflineOptimal",
    "RandomPolicy",
    "RateBased",
    "RobustMPC",
]
