"""Moved to ``.cache.sim``; this re-export keeps the old import path for one release."""

from .cache.bound import min_miss_positions
from .cache.sim import NEVER, ExpertCacheSim
from .cache.stream import visible_end

__all__ = ["NEVER", "ExpertCacheSim", "min_miss_positions", "visible_end"]
