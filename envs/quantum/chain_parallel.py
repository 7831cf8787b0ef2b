"""Moved to ``repeater_chain_v0``; this re-export keeps the old import path for one release."""

from .chain.observations import AGENT_FEATURES
from .repeater_chain_v0 import RepeaterChainParallelEnv, env, parallel_env, raw_env

__all__ = ["AGENT_FEATURES", "RepeaterChainParallelEnv", "env", "parallel_env", "raw_env"]
