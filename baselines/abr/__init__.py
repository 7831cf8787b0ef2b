"""ABR baselines: BBA, rate-based, BOLA, robustMPC (full and max_jump=1), random, fixed, and
the offline oracle (see ``oracle.py``)."""

from .heuristics import BBA, BOLA, FixedQuality, RandomPolicy, RateBased
from .mpc import RobustMPC

__all__ = ["BBA", "BOLA", "FixedQuality", "RandomPolicy", "RateBased", "RobustMPC"]
