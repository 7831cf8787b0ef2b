"""Moved to ``.cache.env``; this re-export keeps the old import path for one release."""

from .cache.env import MoeExpertCacheEnv
from .cache.params import REWARDS

__all__ = ["REWARDS", "MoeExpertCacheEnv"]
