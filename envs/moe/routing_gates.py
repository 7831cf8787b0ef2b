"""Moved to ``.routing.gates``; this re-export keeps the old import path for one release."""

from .routing.gates import GateSource

__all__ = ["GateSource"]
