"""Moved to ``scheduling.params``; this re-export keeps the old import path for one release."""

from .scheduling.params import *  # noqa: F403
