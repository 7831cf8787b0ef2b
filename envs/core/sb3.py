"""Moved to netgym.agents.sb3_vec_env; this re-export keeps the old import path for one release."""

from ...agents.sb3_vec_env import (
    BATCHED_METHODS,
    SB3VecEnvAdapter,
    SharedPolicyVecEnv,
    make_sb3_vec_env,
    split_info,
)

__all__ = [
    "BATCHED_METHODS",
    "SB3VecEnvAdapter",
    "SharedPolicyVecEnv",
    "make_sb3_vec_env",
    "split_info",
]
