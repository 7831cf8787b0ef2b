"""PettingZoo ``wireless_video_cell_v0``: the base station and every ABR client as agents."""

from ..core.parallel import pettingzoo_api
from .parallel import WirelessVideoCellParallelEnv

env, parallel_env, raw_env = pettingzoo_api(WirelessVideoCellParallelEnv)

__all__ = ["WirelessVideoCellParallelEnv", "env", "parallel_env", "raw_env"]
