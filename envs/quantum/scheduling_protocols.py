"""Moved to ``scheduling.purification``; this re-export keeps the old path for one release."""

from .scheduling.purification import *  # noqa: F403
