"""Quantum-network entanglement environments (repeater chains, multi-user QoS scheduling).

Family-shared modules: ``physics`` (every closed form, reference/quantum.md sections 1-2),
``nv2019`` (the QoS paper's NV link table and device numbers) and ``topologies``. One folder per
env: ``chain/`` is ``netgym/RepeaterChain-v0`` (``RepeaterChainEnv``, vector
``RepeaterChainVectorEnv``; its PettingZoo version is the module ``repeater_chain_v0`` with
``parallel_env``, ``env``, ``raw_env``), ``scheduling/`` is
``netgym/QuantumNetworkScheduling-v0``.
"""

from ..core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".": "physics",
        ".chain.env": "RepeaterChainEnv RepeaterChainVectorEnv",
        ".chain.mdp": "ChainMdp",
        ".chain.parallel": "RepeaterChainParallelEnv",
        ".chain.params": "ChainParams",
        ".chain.sim": "ChainSim",
        ".nv2019": "NV2019_DEVICE NV2019_LINK_TABLE nv2019_link",
        ".scheduling.demands": "Demand",
        ".scheduling.env": "QuantumNetworkSchedulingEnv",
        ".scheduling.params": "SchedulingParams",
        ".scheduling.purification": "PumpingScheme",
        ".topologies": "QuantumTopology load_gml make_topology",
    },
)
