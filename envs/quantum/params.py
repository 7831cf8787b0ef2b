"""Moved to ``chain.params``, ``nv2019``; this re-export keeps the old path for one release."""

from .chain.params import *  # noqa: F403
from .nv2019 import *  # noqa: F403
