"""Moved to ``.routing.trace_gates``; this re-export keeps the old import path for one release."""

from .routing.trace_gates import MARGIN, TraceGates

__all__ = ["MARGIN", "TraceGates"]
