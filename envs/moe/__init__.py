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

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".arrivals": "ARRIVAL_PRESETS ArrivalProcess LengthDistribution Requests",
        ".batching.env": "MoeBatchingEnv",
        ".batching.params": "BatchingParams",
        ".cache.env": "MoeExpertCacheEnv",
        ".cache.params": "CacheParams",
        ".cache.replay": "ReplayResult",
        ".cache.stream": "AccessStream decode_stream",
        ".glider.env": "MoeGliderRoutingEnv",
        ".glider.params": "GliderParams",
        ".cost": "CopyQueue MoeCostModel layer_stall_ms",
        ".hardware": "HARDWARE_PRESETS MODEL_PRESETS MoeHardware MoeModel",
        ".moe_routing_v0": "routing_parallel_env=parallel_env",
        ".routing.env": "MoeRoutingEnv MoeRoutingVectorEnv",
        ".routing.parallel": "MoeRoutingParallelEnv",
        ".routing.params": "RoutingParams",
        ".traces": "RoutingTables RoutingTrace SyntheticRouting load_trace routing_statistics",
    },
)
