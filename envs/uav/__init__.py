"""Multi-UAV cellular offloading: ``netgym/UavOffload-v0`` (centralised) and the PettingZoo
parallel env ``uav_offload_v0`` (one agent per UAV), after arXiv 2402.02957."""

from .env import (
    UavOffloadEnv,
    UavOffloadParallelEnv,
    UavOffloadVectorEnv,
    env,
    parallel_env,
    raw_env,
)
from .params import UavParams
from .sim import UavSim, greedy_association

__all__ = [
    "UavOffloadEnv",
    "UavOffloadParallelEnv",
    "UavOffloadVectorEnv",
    "UavParams",
    "UavSim",
    "env",
    "greedy_association",
    "parallel_env",
    "raw_env",
]
