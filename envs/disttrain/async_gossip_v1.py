"""PettingZoo ``async_gossip_v1``: DADAO gossip control, one agent per node, v1 sim."""

from ..core.parallel import pettingzoo_api
from .gossip.v1parallel import AsyncGossipV1ParallelEnv

env, parallel_env, raw_env = pettingzoo_api(AsyncGossipV1ParallelEnv)

__all__ = ["AsyncGossipV1ParallelEnv", "env", "parallel_env", "raw_env"]
