"""PettingZoo ``async_gossip_v0``: DADAO gossip control, one agent per node."""

from ..core.parallel import pettingzoo_api
from .gossip.parallel import AsyncGossipParallelEnv

env, parallel_env, raw_env = pettingzoo_api(AsyncGossipParallelEnv)

__all__ = ["AsyncGossipParallelEnv", "env", "parallel_env", "raw_env"]
