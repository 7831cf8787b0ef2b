"""Moved to ``.batching.sim``; this re-export keeps the old import path for one release."""

from .batching.sim import N_SLOT_FEATURES, BatchingSim, SlotView

__all__ = ["BatchingSim", "N_SLOT_FEATURES", "SlotView"]
