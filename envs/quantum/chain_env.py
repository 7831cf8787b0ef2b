"""Moved to ``chain.env``; this re-export keeps the old import path for one release."""

from .chain.env import *  # noqa: F403
