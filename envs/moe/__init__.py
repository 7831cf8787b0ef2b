"""Mixture-of-Experts serving and routing environments, one folder per env.

Shared core: ``MoeCostModel`` (``cost.py``, per-layer time costs, reference/moe.md section 6),
model and hardware presets (``hardware.py``), routing traces (``traces.py``) and request
arrivals (``arrivals.py``).
``routing/``: ``netgym/MoeRouting-v0`` (``MoeRoutingEnv``, its vector env, and the PettingZoo
env ``moe_routing_v0``, one agent per expert-parallel device). ``batching/``:
``netgym/MoeBatching-v0`` (``MoeBatchingEnv``). ``cache/``: ``netgym/MoeExpertCache-v0``
(``MoeExpertCacheEnv``, ``CacheParams``), access streams (``decode_stream``) and
``cache.replay.replay`` (cache policies on a stream, Belady's MIN as the bound).
The flat module paths of earlier releases (``routing_env``, ``cache_sim``, ``params``, ...)
re-export the moved names for one release.
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
