"""Moved to ``.batching.env``; this re-export keeps the old import path for one release."""

from .batching.env import MoeBatchingEnv

__all__ = ["MoeBatchingEnv"]
