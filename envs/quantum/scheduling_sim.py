"""Moved to ``scheduling.sim``; this re-export keeps the old import path for one release."""

from .scheduling.sim import *  # noqa: F403
