"""Moved to ``.routing.lp``; this re-export keeps the old import path for one release."""

from .routing.lp import linear_value, routing_lp

__all__ = ["linear_value", "routing_lp"]
