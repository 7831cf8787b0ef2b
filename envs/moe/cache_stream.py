"""Moved to ``.cache.stream``; this re-export keeps the old import path for one release."""

from .cache.stream import UNITS, AccessStream, batch_schedule, decode_stream

__all__ = ["AccessStream", "UNITS", "batch_schedule", "decode_stream"]
