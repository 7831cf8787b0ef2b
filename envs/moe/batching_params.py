"""Moved to ``.batching.params``; this re-export keeps the old import path for one release."""

from .batching.params import BATCHING_ACTION_MODES, BatchingParams

make_batching_params = BatchingParams.coerce

__all__ = ["BATCHING_ACTION_MODES", "BatchingParams", "make_batching_params"]
