"""Mixture-of-Experts serving and routing environments.

Shared core: ``MoeCostModel`` (per-layer time costs, reference/moe.md section 6), model and
hardware presets, routing traces (``traces``) and request arrivals (``arrivals``).
Routing: ``netgym/MoeRouting-v0`` (``MoeRoutingEnv``, its vector env, and the PettingZoo
``routing_parallel_env``, one agent per expert-parallel device). Batching:
``netgym/MoeBatching-v0`` (``MoeBatchingEnv``). Cache: ``netgym/MoeExpertCache-v0``
(``MoeExpertCacheEnv``), access streams (``decode_stream``) and ``replay.replay`` (cache
policies on a stream, Belady's MIN as the bound).
"""

from ..core.lazy import lazy_exports

_EXPORTS = {
    "ARRIVAL_PRESETS": ".arrivals",
    "ArrivalProcess": ".arrivals",
    "LengthDistribution": ".arrivals",
    "Requests": ".arrivals",
    "MoeBatchingEnv": ".batching_env",
    "BatchingParams": ".batching_params",
    "MoeExpertCacheEnv": ".cache_env",
    "AccessStream": ".cache_stream",
    "decode_stream": ".cache_stream",
    "CopyQueue": ".cost",
    "MoeCostModel": ".cost",
    "layer_stall_ms": ".cost",
    "HARDWARE_PRESETS": ".params",
    "MODEL_PRESETS": ".params",
    "MoeHardware": ".params",
    "MoeModel": ".params",
    "ReplayResult": ".replay",
    "MoeRoutingEnv": ".routing_env",
    "MoeRoutingVectorEnv": ".routing_env",
    "MoeRoutingParallelEnv": ".routing_parallel",
    "routing_parallel_env": ".routing_parallel:parallel_env",
    "RoutingParams": ".routing_params",
    "RoutingTables": ".traces",
    "RoutingTrace": ".traces",
    "SyntheticRouting": ".traces",
    "load_trace": ".traces",
    "routing_statistics": ".traces",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
