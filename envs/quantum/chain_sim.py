"""Moved to ``chain.sim``; this re-export keeps the old import path for one release."""

from .chain.sim import *  # noqa: F403
