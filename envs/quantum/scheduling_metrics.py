"""Moved to ``scheduling.metrics``; this re-export keeps the old import path for one release."""

from .scheduling.metrics import *  # noqa: F403
