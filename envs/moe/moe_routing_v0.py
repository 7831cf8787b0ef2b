"""PettingZoo ``moe_routing_v0``: token routing with one agent per expert-parallel device."""

from ..core.parallel import pettingzoo_api
from .routing.parallel import MoeRoutingParallelEnv

env, parallel_env, raw_env = pettingzoo_api(MoeRoutingParallelEnv)

__all__ = ["MoeRoutingParallelEnv", "env", "parallel_env", "raw_env"]
