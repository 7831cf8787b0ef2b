"""Moved to ``scheduling.sim``; this re-export keeps the old import path for one release."""

from .scheduling.sim import Execution, SchedulingSim

__all__ = ["Execution", "SchedulingSim"]
