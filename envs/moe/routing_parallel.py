"""Moved to ``.routing.parallel``; this re-export keeps the old import path for one release."""

from .moe_routing_v0 import env, parallel_env, raw_env
from .routing.parallel import MoeRoutingParallelEnv

__all__ = ["MoeRoutingParallelEnv", "env", "parallel_env", "raw_env"]
