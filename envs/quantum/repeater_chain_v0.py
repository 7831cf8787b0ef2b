"""PettingZoo ``repeater_chain_v0``: the repeater chain with one agent per node."""

from ..core.parallel import pettingzoo_api
from .chain.parallel import RepeaterChainParallelEnv

env, parallel_env, raw_env = pettingzoo_api(RepeaterChainParallelEnv)

__all__ = ["RepeaterChainParallelEnv", "env", "parallel_env", "raw_env"]
