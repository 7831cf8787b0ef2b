"""ABR baselines: BBA, rate-based, BOLA, robustMPC (full and max_jump=1), random, fixed, and
the offline oracle (see ``oracle.py``)."""

from collections.abc import Callable
from typing import Any

from .heuristics import BBA, BOLA, FixedQuality, RandomPolicy, RateBased
from .mpc import RobustMPC
from .oracle import OfflineOptimal

BASELINES: dict[str, dict[str, tuple[Callable[[int], Any], str]]] = {
    "netgym/AbrStreaming-v0": {
        "bba": (lambda seed: BBA(), "buffer-based, reservoir 5 s, cushion 10 s"),
        "rb": (lambda seed: RateBased(), "rate-based, harmonic mean of the last 5 chunks"),
        "bola": (lambda seed: BOLA(), "BOLA-BASIC, dash.js parameters (10 s / 30 s)"),
        "mpc": (lambda seed: RobustMPC(), "robustMPC, horizon 5, all plans"),
        "mpc-jump1": (
            lambda seed: RobustMPC(max_jump=1),
            "robustMPC restricted to +-1 level per chunk (NetLLM's MPC)",
        ),
        "random": (lambda seed: RandomPolicy(seed), "uniformly random level"),
        "lowest": (lambda seed: FixedQuality(0), "always the lowest level"),
        "highest": (lambda seed: FixedQuality(-1), "always the highest level"),
        "oracle": (
            lambda seed: OfflineOptimal(),
            "offline optimum (DP over quantised buffer and clock, knows the trace)",
        ),
    },
}
"""env id -> baseline name -> (factory(seed) -> policy, one-line summary)"""

__all__ = [
    "BASELINES",
    "BBA",
    "BOLA",
    "FixedQuality",
    "OfflineOptimal",
    "RandomPolicy",
    "RateBased",
    "RobustMPC",
]
