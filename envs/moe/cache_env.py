"""Moved to ``.cache.env``; this re-export keeps the old import path for one release."""

from .cache.env import REWARDS, MoeExpertCacheEnv

__all__ = ["MoeExpertCacheEnv", "REWARDS"]
