"""Quantum-network entanglement environments (repeater chains, multi-user QoS scheduling).

Family-shared modules: ``physics`` (every closed form, reference/quantum.md sections 1-2),
``nv2019`` (the QoS paper's NV link table and device numbers) and ``topologies``. One folder per
env: ``chain/`` is ``netgym/RepeaterChain-v0`` (``RepeaterChainEnv``, vector
``RepeaterChainVectorEnv``; its PettingZoo version is the module ``repeater_chain_v0`` with
``parallel_env``, ``env``, ``raw_env``), ``scheduling/`` is
``netgym/QuantumNetworkScheduling-v0``.
"""

from ..core.lazy import lazy_exports

_EXPORTS = {
    "physics": ".physics:",
    "RepeaterChainEnv": ".chain.env",
    "RepeaterChainVectorEnv": ".chain.env",
    "ChainMdp": ".chain.mdp",
    "RepeaterChainParallelEnv": ".chain.parallel",
    "ChainSim": ".chain.sim",
    "ChainParams": ".chain.params",
    "NV2019_DEVICE": ".nv2019",
    "NV2019_LINK_TABLE": ".nv2019",
    "nv2019_link": ".nv2019",
    "Demand": ".scheduling.demands",
    "PumpingScheme": ".scheduling.purification",
    "QuantumNetworkSchedulingEnv": ".scheduling.env",
    "SchedulingParams": ".scheduling.params",
    "QuantumTopology": ".topologies",
    "load_gml": ".topologies",
    "make_topology": ".topologies",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
