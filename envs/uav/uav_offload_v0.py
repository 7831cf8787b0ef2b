"""PettingZoo ``uav_offload_v0``: multi-UAV offloading with one agent per UAV."""

from ..core.parallel import pettingzoo_api
from .parallel import UavOffloadParallelEnv

env, parallel_env, raw_env = pettingzoo_api(UavOffloadParallelEnv)

__all__ = ["UavOffloadParallelEnv", "env", "parallel_env", "raw_env"]
