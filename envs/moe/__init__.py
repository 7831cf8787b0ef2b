"""Mixture-of-Experts serving and routing environments.

Shared core: ``MoeCostModel`` (per-layer time costs, reference/moe.md section 6), model and
hardware presets, routing traces (``traces``) and request arrivals (``arrivals``).
Routing: ``netgym/MoeRouting-v0`` (``MoeRoutingEnv``, its vector env, and the PettingZoo
``routing_parallel_env``, one agent per expert-parallel device). Batching:
``netgym/MoeBatching-v0`` (``MoeBatchingEnv``). Cache: ``netgym/MoeExpertCache-v0``
(``MoeExpertCacheEnv``), access streams (``decode_stream``) and ``replay.replay`` (cache
policies on a stream, Belady's MIN as the bound).
"""

from .arrivals import ARRIVAL_PRESETS, ArrivalProcess, LengthDistribution, Requests
from .batching_env import MoeBatchingEnv
from .batching_params import BatchingParams
from .cache_env import MoeExpertCacheEnv
from .cache_stream import AccessStream, decode_stream
from .cost import CopyQueue, MoeCostModel, layer_stall_ms
from .params import HARDWARE_PRESETS, MODEL_PRESETS, MoeHardware, MoeModel
from .replay import ReplayResult
from .routing_env import MoeRoutingEnv, MoeRoutingVectorEnv
from .routing_parallel import MoeRoutingParallelEnv
from .routing_parallel import parallel_env as routing_parallel_env
from .routing_params import RoutingParams
from .traces import RoutingTables, RoutingTrace, SyntheticRouting, load_trace, routing_statistics

__all__ = [
    "ARRIVAL_PRESETS",
    "HARDWARE_PRESETS",
    "MODEL_PRESETS",
    "AccessStream",
    "ArrivalProcess",
    "BatchingParams",
    "CopyQueue",
    "LengthDistribution",
    "MoeBatchingEnv",
    "MoeCostModel",
    "MoeExpertCacheEnv",
    "MoeHardware",
    "MoeModel",
    "MoeRoutingEnv",
    "MoeRoutingParallelEnv",
    "MoeRoutingVectorEnv",
    "ReplayResult",
    "Requests",
    "RoutingParams",
    "RoutingTables",
    "RoutingTrace",
    "SyntheticRouting",
    "decode_stream",
    "layer_stall_ms",
    "load_trace",
    "routing_parallel_env",
    "routing_statistics",
]
