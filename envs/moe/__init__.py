"""Mixture-of-Experts serving and routing environments.

Shared core: ``MoeCostModel`` (per-layer time costs, reference/moe.md section 6), model and
hardware presets, routing traces (``traces``) and request arrivals (``arrivals``).
Routing: ``netgym/MoeRouting-v0`` (``MoeRoutingEnv``, its vector env, and the PettingZoo
``routing_parallel_env``, one agent per expert-parallel device). Batching:
``netgym/MoeBatching-v0`` (``MoeBatchingEnv``).
"""

from .arrivals import ARRIVAL_PRESETS, ArrivalProcess, LengthDistribution, Requests
from .batching_env import MoeBatchingEnv
from .batching_params import BatchingParams
from .cost import CopyQueue, MoeCostModel, layer_stall_ms
from .params import HARDWARE_PRESETS, MODEL_PRESETS, MoeHardware, MoeModel
from .routing_env import MoeRoutingEnv, MoeRoutingVectorEnv
from .routing_parallel import MoeRoutingParallelEnv
from .routing_parallel import parallel_env as routing_parallel_env
from .routing_params import RoutingParams
from .traces import RoutingTables, RoutingTrace, SyntheticRouting, load_trace, routing_statistics

__all__ = [
    "ARRIVAL_PRESETS",
    "HARDWARE_PRESETS",
    "MODEL_PRESETS",
    "ArrivalProcess",
    "BatchingParams",
    "CopyQueue",
    "LengthDistribution",
    "MoeBatchingEnv",
    "MoeCostModel",
    "MoeHardware",
    "MoeModel",
    "MoeRoutingEnv",
    "MoeRoutingParallelEnv",
    "MoeRoutingVectorEnv",
    "Requests",
    "RoutingParams",
    "RoutingTables",
    "RoutingTrace",
    "SyntheticRouting",
    "layer_stall_ms",
    "load_trace",
    "routing_parallel_env",
    "routing_statistics",
]
