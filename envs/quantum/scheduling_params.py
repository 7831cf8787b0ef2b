"""Moved to ``scheduling.params``; this re-export keeps the old import path for one release."""

from .scheduling.params import (
    INVALID_ACTION_MODES,
    LinkTable,
    SchedulingParams,
    nv_link_table,
    protocol_slots_estimate,
    success_prob_per_slot,
)

__all__ = [
    "INVALID_ACTION_MODES",
    "LinkTable",
    "SchedulingParams",
    "nv_link_table",
    "protocol_slots_estimate",
    "success_prob_per_slot",
]
