"""Moved to netgym.leaderboard.protocols_quantum and protocols_moe; this re-export keeps the old
import path for one release."""

from . import protocols_moe, protocols_quantum

__all__ = ["protocols_moe", "protocols_quantum"]
