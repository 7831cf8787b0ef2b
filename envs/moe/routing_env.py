"""Moved to ``.routing.env``; this re-export keeps the old import path for one release."""

from .routing.env import MoeRoutingEnv, MoeRoutingVectorEnv, check_actions, make_sim, routing_spaces
from .routing.sim import info_arrays

__all__ = [
    "MoeRoutingEnv",
    "MoeRoutingVectorEnv",
    "check_actions",
    "info_arrays",
    "make_sim",
    "routing_spaces",
]
