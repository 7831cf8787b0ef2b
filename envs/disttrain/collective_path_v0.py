"""PettingZoo ``collective_path_v0``: collective path selection, one agent per leaf."""

from ..core.parallel import pettingzoo_api
from .collective.parallel import CollectivePathParallelEnv

env, parallel_env, raw_env = pettingzoo_api(CollectivePathParallelEnv)

__all__ = ["CollectivePathParallelEnv", "env", "parallel_env", "raw_env"]
