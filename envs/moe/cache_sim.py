"""Moved to ``.cache.sim``; this re-export keeps the old import path for one release."""

from .cache.sim import NEVER, ExpertCacheSim, min_miss_positions, visible_end

__all__ = ["ExpertCacheSim", "NEVER", "min_miss_positions", "visible_end"]
