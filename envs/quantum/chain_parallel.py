"""Moved to ``repeater_chain_v0``; this re-export keeps the old import path for one release."""

from .chain.observations import AGENT_FEATURES as AGENT_FEATURES
from .repeater_chain_v0 import *  # noqa: F403
