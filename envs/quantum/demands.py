"""Moved to ``scheduling.demands``; this re-export keeps the old import path for one release."""

from .scheduling.demands import *  # noqa: F403
