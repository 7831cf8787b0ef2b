"""Moved to ``scheduling.demands``; this re-export keeps the old import path for one release."""

from .scheduling.demands import (
    DEMAND_MODES,
    RELEASE_MODES,
    Demand,
    check_demands,
    connected_end_pairs,
    generate_demands,
    load_demands,
    release_slots,
)

__all__ = [
    "DEMAND_MODES",
    "RELEASE_MODES",
    "Demand",
    "check_demands",
    "connected_end_pairs",
    "generate_demands",
    "load_demands",
    "release_slots",
]
