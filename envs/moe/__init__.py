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
    "MoeBatchingEnv": ".batching.env",
    "BatchingParams": ".batching.params",
    "MoeExpertCacheEnv": ".cache.env",
    "CacheParams": ".cache.params",
    "AccessStream": ".cache.stream",
    "decode_stream": ".cache.stream",
    "CopyQueue": ".cost",
    "MoeCostModel": ".cost",
    "layer_stall_ms": ".cost",
    "HARDWARE_PRESETS": ".hardware",
    "MODEL_PRESETS": ".hardware",
    "MoeHardware": ".hardware",
    "MoeModel": ".hardware",
    "ReplayResult": ".cache.replay",
    "MoeRoutingEnv": ".routing.env",
    "MoeRoutingVectorEnv": ".routing.env",
    "MoeRoutingParallelEnv": ".routing.parallel",
    "routing_parallel_env": ".moe_routing_v0:parallel_env",
    "RoutingParams": ".routing.params",
    "RoutingTables": ".traces",
    "RoutingTrace": ".traces",
    "SyntheticRouting": ".traces",
    "load_trace": ".traces",
    "routing_statistics": ".traces",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
