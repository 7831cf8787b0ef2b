"""``netgym/MoeExpertCache-v0``: expert-cache eviction with pre-gated lookahead (Read-ME).

``params.py`` (``CacheParams``), ``stream.py`` (expert access streams), ``replay.py`` (cache
policies replayed on a stream, Belady's MIN as the bound), ``sim.py`` (``ExpertCacheSim``, the
cache that stops at each eviction decision) and ``env.py`` (``MoeExpertCacheEnv``).
"""
