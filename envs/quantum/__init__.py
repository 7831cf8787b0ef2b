"""Quantum-network entanglement environments (repeater chains, multi-user QoS scheduling).

``physics`` holds every closed form (reference/quantum.md sections 1-2); ``params`` the repeater
chain's ``ChainParams`` with its presets and the NV link table of the QoS paper.
``netgym/RepeaterChain-v0`` is ``RepeaterChainEnv`` (vector: ``RepeaterChainVectorEnv``); its
PettingZoo version is the module ``repeater_chain_v0`` (``parallel_env``, ``env``, ``raw_env``).
"""

from . import chain_parallel as repeater_chain_v0
from . import physics
from .chain_env import RepeaterChainEnv, RepeaterChainVectorEnv
from .chain_mdp import ChainMdp
from .chain_parallel import RepeaterChainParallelEnv
from .chain_sim import ChainSim
from .params import NV2019_DEVICE, NV2019_LINK_TABLE, ChainParams, nv2019_link

__all__ = [
    "NV2019_DEVICE",
    "NV2019_LINK_TABLE",
    "ChainMdp",
    "ChainParams",
    "ChainSim",
    "RepeaterChainEnv",
    "RepeaterChainParallelEnv",
    "RepeaterChainVectorEnv",
    "nv2019_link",
    "physics",
    "repeater_chain_v0",
]

# multi-user QoS scheduling (netgym/QuantumNetworkScheduling-v0)
from .demands import Demand  # noqa: E402
from .scheduling_env import QuantumNetworkSchedulingEnv  # noqa: E402
from .scheduling_params import SchedulingParams  # noqa: E402
from .topologies import QuantumTopology, load_gml, make_topology  # noqa: E402

__all__ += [
    "Demand",
    "QuantumNetworkSchedulingEnv",
    "QuantumTopology",
    "SchedulingParams",
    "load_gml",
    "make_topology",
]
