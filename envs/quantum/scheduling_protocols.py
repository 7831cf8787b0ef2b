"""Moved to ``scheduling.purification``; this re-export keeps the old path for one release."""

from .scheduling.purification import (
    NV_PHOTON_EMISSION_DELAY_S,
    Protocol,
    PumpingScheme,
    achievable_rate_hz,
    build_protocols,
    capacity_bound_ebit_s,
    chain_fidelity,
    estimate,
    pumped_fidelity,
)

__all__ = [
    "NV_PHOTON_EMISSION_DELAY_S",
    "Protocol",
    "PumpingScheme",
    "achievable_rate_hz",
    "build_protocols",
    "capacity_bound_ebit_s",
    "chain_fidelity",
    "estimate",
    "pumped_fidelity",
]
