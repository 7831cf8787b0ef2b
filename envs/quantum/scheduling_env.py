"""Moved to ``scheduling.env``; this re-export keeps the old import path for one release."""

from .scheduling.env import *  # noqa: F403
