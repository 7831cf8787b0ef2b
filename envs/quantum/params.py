"""Moved to ``chain.params``, ``nv2019``; this re-export keeps the old path for one release."""

from .chain.params import OBS_MODES, REWARD_MODES, SCHEMES, ChainParams
from .nv2019 import (
    NV2019_ALPHAS,
    NV2019_DEVICE,
    NV2019_FIDELITIES,
    NV2019_LINK_TABLE,
    NV2019_RATES_HZ,
    nv2019_link,
)

__all__ = [
    "NV2019_ALPHAS",
    "NV2019_DEVICE",
    "NV2019_FIDELITIES",
    "NV2019_LINK_TABLE",
    "NV2019_RATES_HZ",
    "OBS_MODES",
    "REWARD_MODES",
    "SCHEMES",
    "ChainParams",
    "nv2019_link",
]
