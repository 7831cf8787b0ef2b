"""Moved to ``chain.mdp``; this re-export keeps the old import path for one release."""

from .chain.mdp import *  # noqa: F403
