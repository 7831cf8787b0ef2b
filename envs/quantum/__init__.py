"""Quantum-network entanglement environments (repeater chains, multi-user QoS scheduling).

``physics`` holds every closed form (reference/quantum.md sections 1-2); ``params`` the repeater
chain's ``ChainParams`` with its presets and the NV link table of the QoS paper.
"""

from . import physics
from .params import NV2019_DEVICE, NV2019_LINK_TABLE, ChainParams, nv2019_link

__all__ = [
    "NV2019_DEVICE",
    "NV2019_LINK_TABLE",
    "ChainParams",
    "nv2019_link",
    "physics",
]
