"""Quantum-network entanglement environments (repeater chains, multi-user QoS scheduling).

``physics`` holds every closed form (reference/quantum.md sections 1-2); ``params`` the repeater
chain's ``ChainParams`` with its presets and the NV link table of the QoS paper.
``netgym/RepeaterChain-v0`` is ``RepeaterChainEnv`` (vector: ``RepeaterChainVectorEnv``); its
PettingZoo version is the module ``repeater_chain_v0`` (``parallel_env``, ``env``, ``raw_env``).
"""

from ..core.lazy import lazy_exports

_EXPORTS = {
    "physics": ".physics:",
    "RepeaterChainEnv": ".chain_env",
    "RepeaterChainVectorEnv": ".chain_env",
    "ChainMdp": ".chain_mdp",
    "RepeaterChainParallelEnv": ".chain_parallel",
    "ChainSim": ".chain_sim",
    "NV2019_DEVICE": ".params",
    "NV2019_LINK_TABLE": ".params",
    "ChainParams": ".params",
    "nv2019_link": ".params",
    "Demand": ".demands",
    "QuantumNetworkSchedulingEnv": ".scheduling_env",
    "SchedulingParams": ".scheduling_params",
    "QuantumTopology": ".topologies",
    "load_gml": ".topologies",
    "make_topology": ".topologies",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
